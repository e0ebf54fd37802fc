"""`flask leads export`: one row per lead, exact JSON for scripts, and for people the inbox's
CSV and Excel export (names, labels, clinic local times), formula-safe."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile


def test_jsonl_export_is_exact_and_one_object_per_lead(runner, submit_inquiry):
    submit_inquiry("/conditions/lupus?utm_source=news&utm_medium=email&utm_campaign=nov")
    submit_inquiry(message="Second, latest question")
    submit_inquiry(name="Ola Nordmann", email="ola@example.no", phone="", preferred_contact="email")
    result = runner.invoke(args=["leads", "export", "--format", "jsonl"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 2
    first = rows[0]
    for key in (
        "id",
        "created_at",
        "name",
        "email",
        "phone",
        "status",
        "condition",
        "message",
        "inquiry_count",
        "first_contacted_at",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "referrer",
        "landing_page",
        "submitted_from",
    ):
        assert key in first, key
    assert first["name"] == "Zoë Núñez"
    assert first["phone"] == "+12125550142"
    assert first["inquiry_count"] == 2
    assert first["message"] == "Second, latest question"
    assert first["status"] == "new"
    assert rows[1]["phone"] is None


def test_csv_export_neutralises_formulas(runner, submit_inquiry):
    for index, prefix in enumerate(["=", "+", "-", "@"]):
        submit_inquiry(
            name=f"Name {index}",
            email=f"p{index}@example.com",
            phone="",
            preferred_contact="email",
            message=f'{prefix}HYPERLINK("http://evil.example")',
        )
    result = runner.invoke(args=["leads", "export", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 4
    for row in rows:
        assert row["Latest message"].startswith("'")
        assert "HYPERLINK" in row["Latest message"]


def test_csv_export_is_the_inbox_export_for_people(runner, submit_inquiry):
    submit_inquiry("/conditions/lupus?utm_source=news&utm_campaign=nov")
    result = runner.invoke(args=["leads", "export"])
    assert result.exit_code == 0
    [row] = csv.DictReader(io.StringIO(result.output))
    assert (row["Name"], row["Status"], row["Condition"]) == ("Zoë Núñez", "New", "Lupus")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d -0[45]:00", row["Received"])
    assert (row["UTM source"], row["UTM campaign"]) == ("news", "nov")
    assert row["Lead ID"].isdigit() and row["Owner"] == row["Owner ID"] == ""


def test_xlsx_export_to_a_file_and_to_standard_output(runner, submit_inquiry, tmp_path):
    submit_inquiry(name="Ola Nordmann", email="ola@example.no", phone="", preferred_contact="email")
    path = tmp_path / "leads.xlsx"
    result = runner.invoke(args=["leads", "export", "--format", "xlsx", "--output", str(path)])
    assert result.exit_code == 0, result.output
    piped = runner.invoke(args=["leads", "export", "--format", "xlsx"])
    assert piped.exit_code == 0
    for data in (path.read_bytes(), piped.stdout_bytes):
        sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet2.xml").decode()
        assert "<t>Ola Nordmann</t>" in sheet and "<t>Lead ID</t>" in sheet


def test_every_dangerous_prefix_is_neutralised():
    from clinic.leads.export import neutralise_formula

    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_formula(value) == "'" + value
    assert neutralise_formula("Plain") == "Plain"
    assert neutralise_formula(42) == 42
