"""Reading an upload: encodings found, never guessed silently wrong; separators; Excel cells as
the text a person sees, formulas as text; and the command line's import and undo."""

from __future__ import annotations

import codecs
import io
import json
from datetime import datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.leads.importing.reading import ImportFileError, cell_text, open_sheet
from clinic.models import ImportBatch, Lead

TEXT = "Name;Email\r\nZoë Núñez;zoe@example.com\r\nRenée Côté;renee@example.com\r\n"


def _read(data: bytes, **options) -> tuple[str | None, str | None, list[list[str]]]:
    sheet = open_sheet(io.BytesIO(data), "people.csv", **options)
    return sheet.encoding, sheet.delimiter, [sheet.headers, *(cells for _, cells in sheet.rows)]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_each_encoding_is_found(data, encoding):
    found, delimiter, rows = _read(data)
    assert (found, delimiter) == (encoding, ";")
    assert rows == [
        ["Name", "Email"],
        ["Zoë Núñez", "zoe@example.com"],
        ["Renée Côté", "renee@example.com"],
    ]


def test_windows_1252_is_said_not_silent():
    sheet = open_sheet(io.BytesIO(TEXT.encode("cp1252")), "people.csv")
    assert sheet.notes and "read as Windows-1252" in sheet.notes[0]
    assert sheet.encoding_label == "Windows-1252"


def test_an_encoding_the_import_does_not_read_is_refused_by_name():
    text = "Имя,Email\r\n" + "Иван Петров,ivan@example.com\r\n" * 20
    with pytest.raises(ImportFileError, match="isn't in UTF-8, UTF-16 or Windows-1252"):
        open_sheet(io.BytesIO(text.encode("cp1251")), "people.csv")


def test_a_wrong_chosen_encoding_names_the_line():
    with pytest.raises(ImportFileError, match=r"can't be read as UTF-8 \(line 2\)"):
        _read(TEXT.encode("cp1252"), encoding="utf-8")


@pytest.mark.parametrize(("separator", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_the_separator_is_found(separator, name):
    text = separator.join(["Name", "Email", "Notes"]) + "\r\n"
    text += separator.join(["Kim Lee", "kim@example.com", '"one, two; three"']) + "\r\n"
    _, delimiter, rows = _read(text.encode())
    assert delimiter == separator, name
    assert rows[1] == ["Kim Lee", "kim@example.com", "one, two; three"]


def test_empty_and_old_excel_files_are_refused():
    with pytest.raises(ImportFileError, match="empty"):
        open_sheet(io.BytesIO(b"  \r\n"), "empty.csv")
    with pytest.raises(ImportFileError, match=r"older Excel file \(\.xls\)"):
        open_sheet(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100), "old.xls")
    with pytest.raises(ImportFileError, match="can't be opened as an Excel workbook"):
        open_sheet(io.BytesIO(b"PK\x03\x04 not really a zip"), "broken.xlsx")


def test_excel_cells_read_as_a_person_sees_them():
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone", "Created", "Score", "Formula"])
    sheet.append(["Kim", 447911123456, datetime(2025, 1, 2, 9, 30), 2.5, "=SUM(1,2)"])
    buffer = io.BytesIO()
    book.save(buffer)
    read = open_sheet(io.BytesIO(buffer.getvalue()), "people.xlsx")
    assert read.kind == "xlsx"
    assert [cells for _, cells in read.rows] == [
        ["Kim", "447911123456", "2025-01-02T09:30:00", "2.5", "=SUM(1,2)"]
    ]
    assert cell_text(True) == "TRUE" and cell_text(None) == ""


def test_the_command_line_imports_and_undoes(app, runner, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(
        "Nom,Courriel,Portable\r\nZoë Núñez,zoe@example.com,2125550142\r\nSans contact,,\r\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.json"
    columns = {"Nom": "name", "Courriel": "email", "Portable": "phone"}
    mapping.write_text(json.dumps({"columns": columns}), encoding="utf-8")

    dry = runner.invoke(
        args=["leads", "import", str(people), "--mapping", str(mapping), "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[-1] == "1 new, 0 joined, 0 possible duplicates, 1 refused"

    done = runner.invoke(
        args=["leads", "import", str(people), "--mapping", str(mapping), "--source", "Salon"]
    )
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == "1 new, 0 joined, 0 possible duplicates, 1 refused"
    with app.app_context():
        batch_id = db.session.execute(select(func.max(ImportBatch.id))).scalar_one()
        lead = db.session.execute(select(Lead)).scalar_one()
        assert (lead.source, lead.import_batch_id, lead.phone) == (
            "Salon",
            batch_id,
            "+12125550142",
        )
    assert f"batch #{batch_id}" in done.output

    undone = runner.invoke(args=["leads", "import-undo", str(batch_id)])
    assert undone.exit_code == 0, undone.output
    assert "removed 1 lead, 1 inquiry and 0 notes" in undone.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_the_command_line_says_what_is_wrong(runner, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("Nom,Courriel\r\nZoë,zoe@example.com\r\n", encoding="utf-8")
    result = runner.invoke(args=["leads", "import", str(people)])
    assert result.exit_code != 0
    assert "Choose the column holding each person's name" in result.output
    bad = runner.invoke(args=["leads", "import-undo", "999"])
    assert bad.exit_code != 0 and "There is no import batch #999" in bad.output


@pytest.mark.parametrize(
    "address",
    [
        "Zoe.Nunez@Example.COM", "a+b@x.com", "a%b@x.io", "_@x.co", "a@x.c", "a..b@x.com",
        "a.@x.com", ".a@x.com", "a@x..com", "a@-x.com", "a@x-.com", "a@ex--ample.com",
        "a@xn--80ak6aa92e.com", "x@localhost.test", "a@x.invalid", "a@sub.onion", "A@X.ARPA",
        "a@x.123", "a" * 65 + "@x.com", "a@" + ("b" * 63 + ".") * 4 + "com", "a@x_y.com",
        "zoë@example.com", "a@exämple.com",
    ],
)  # fmt: skip
def test_the_plain_email_shortcut_agrees_with_email_validator(address):
    from clinic.leads.importing.rows import plain_email
    from clinic.leads.normalise import normalise_email

    fast = plain_email(address)
    assert fast is not None or address not in ("Zoe.Nunez@Example.COM", "a+b@x.com", "_@x.co")
    if fast is not None:
        assert fast == normalise_email(address)
