"""`flask leads export`: one row per lead, exact JSON, formula-safe CSV."""

from __future__ import annotations

import csv
import io
import json


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
        assert row["message"].startswith("'")
        assert "HYPERLINK" in row["message"]


def test_every_dangerous_prefix_is_neutralised():
    from clinic.leads.export import neutralise_formula

    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_formula(value) == "'" + value
    assert neutralise_formula("Plain") == "Plain"
    assert neutralise_formula(42) == 42
