"""The inbox's Excel export: the CSV's rows in typed cells (times and dates as Excel dates in
clinic local time, ids and counts as numbers, phones as text), formulas neutralised, more leads
than a sheet holds continued on the next sheet, the same permission and audit as the CSV, and no
file left on the server. The workbook is read as what it is, a zip of XML."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from xml.etree import ElementTree

import pytest

from clinic.extensions import db
from clinic.leads import export_xlsx
from clinic.leads.export import SHEET_HEADINGS
from clinic.leads.export_xlsx import write_workbook
from clinic.models import StaffUser
from tests.lead_helpers import audit_rows, make_lead, signed_in
from tests.staff_helpers import make_staff

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class Workbook:
    """An .xlsx file's sheets as {sheet name: {cell reference: Cell}}, and each cell's style."""

    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        workbook = self._xml("xl/workbook.xml")
        rels = self._xml("xl/_rels/workbook.xml.rels")
        targets = {
            rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{PACKAGE_RELS}Relationship")
        }
        self.sheet_files = {
            sheet.get("name"): "xl/" + targets[sheet.get(f"{RELS}id")]
            for sheet in workbook.iter(f"{MAIN}sheet")
        }
        self.styles = self._styles()

    @property
    def names(self) -> list[str]:
        return list(self.sheet_files)

    def cells(self, name: str) -> dict[str, Cell]:
        found = {}
        for cell in self._xml(self.sheet_files[name]).iter(f"{MAIN}c"):
            value = cell.find(f"{MAIN}v")
            text = cell.find(f"{MAIN}is/{MAIN}t")
            found[cell.get("r")] = Cell(
                kind=cell.get("t") or "n",
                value=text.text if text is not None else value.text,
                style=self.styles[int(cell.get("s", 0))],
                formula=cell.find(f"{MAIN}f") is not None,
            )
        return found

    def rows(self, name: str) -> list[dict[str, Cell]]:
        """The sheet's rows below its heading, as {heading: Cell}."""
        headings: dict[str, str] = {}
        rows: dict[int, dict[str, Cell]] = {}
        for ref, cell in self.cells(name).items():  # in the file's order: the headings first
            column, row = re.fullmatch(r"([A-Z]+)(\d+)", ref).groups()
            if row == "1":
                headings[column] = cell.text
            else:
                rows.setdefault(int(row), {})[headings[column]] = cell
        return [rows[number] for number in sorted(rows)]

    def _styles(self) -> list[dict]:
        styles = self._xml("xl/styles.xml")
        formats = {
            int(f.get("numFmtId")): f.get("formatCode") for f in styles.iter(f"{MAIN}numFmt")
        }
        formats[49] = "@"  # built in: text
        return [
            {
                "format": formats.get(int(xf.get("numFmtId", 0)), "General"),
                "quote_prefix": xf.get("quotePrefix") == "1",
            }
            for xf in styles.find(f"{MAIN}cellXfs")
        ]

    def _xml(self, path: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.zip.read(path))


class Cell:
    def __init__(self, kind: str, value: str | None, style: dict, formula: bool):
        self.kind, self.value, self.style, self.formula = kind, value, style, formula

    @property
    def text(self) -> str:
        assert self.kind == "inlineStr" and not self.formula, (self.kind, self.value)
        return self.value

    @property
    def number(self) -> float:
        assert self.kind == "n" and not self.formula, (self.kind, self.value)
        return float(self.value)


def excel_days(local: datetime) -> float:
    return (local - datetime(1899, 12, 30)) / timedelta(days=1)


@pytest.fixture
def casey(app, client):
    """A coordinator an admin has allowed to export."""
    user = signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        db.session.get(StaffUser, user.id).can_export = True
        db.session.commit()
    return user


@pytest.fixture
def tmp_folder(tmp_path, monkeypatch):
    """The system's temporary folder for the test: an export must leave it empty."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def download(client, query: str = "") -> Workbook:
    response = client.get(f"/staff/leads/export.xlsx{query}")
    assert response.status_code == 200
    assert response.mimetype == export_xlsx.CONTENT_TYPE
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="leads-') and disposition.endswith('.xlsx"')
    data = response.get_data()
    assert int(response.headers["Content-Length"]) == len(data)
    return Workbook(data)


def test_cells_are_typed_in_clinic_local_time(app, client, casey, tmp_folder):
    with app.app_context():
        owner = make_staff("dana@clinic.test", name="Dana Owner")
        lead = make_lead(
            "Ola Booked",
            phone="(212) 555-0142",
            at=datetime(2026, 12, 7, 14, 14, 30, tzinfo=UTC),  # 09:14:30 in New York
            status="consult_booked",
            owner_id=owner.id,
            first_contacted_at=datetime(2026, 7, 1, 13, 5, tzinfo=UTC),  # 09:05 EDT
            follow_up_on=date(2026, 12, 9),
            follow_up_time=time(10, 30),
            attempts=2,
        )
        lead_id, owner_id = lead.id, owner.id
    book = download(client)
    assert book.names == ["About", "Leads"]
    headings = book.cells("Leads")
    assert [headings[f"{chr(65 + i)}1"].text for i in range(len(SHEET_HEADINGS))] == list(
        SHEET_HEADINGS
    )
    [row] = book.rows("Leads")
    assert row["Lead ID"].number == lead_id
    received = row["Received"]
    assert received.number == pytest.approx(excel_days(datetime(2026, 12, 7, 9, 14, 30)))
    assert received.style["format"] == "yyyy-mm-dd hh:mm"
    assert row["First contacted"].number == pytest.approx(excel_days(datetime(2026, 7, 1, 9, 5)))
    assert row["Follow-up date"].number == excel_days(datetime(2026, 12, 9))
    assert row["Follow-up date"].style["format"] == "yyyy-mm-dd"
    assert row["Follow-up time"].number == 0.4375  # 10:30
    assert row["Follow-up time"].style["format"] == "hh:mm"
    phone = row["Phone"]
    assert phone.text == "+12125550142"  # exact, and kept as text when edited in Excel
    assert phone.style == {"format": "@", "quote_prefix": True}
    assert (row["Status"].text, row["Condition"].text) == ("Consult booked", "Lupus")
    assert (row["Owner"].text, row["Owner ID"].number) == ("Dana Owner", owner_id)
    assert (row["Contact attempts"].number, row["Inquiries"].number) == (2, 1)
    assert row["SMS consent"].text == "No"
    assert "Lost reason" not in row  # an empty cell is not written
    about = {cell.value for cell in book.cells("About").values()}
    assert "Casey Coord" in " ".join(about) and "1" in about
    assert "Clinic local time (America/New_York)" in " ".join(about)
    assert list(tmp_folder.iterdir()) == []


def test_text_that_could_start_a_formula_is_neutralised(app, client, casey):
    with app.app_context():
        make_lead(
            '=HYPERLINK("http://evil.example","click")',
            message="+1 stem cells?\n@home -5",
            email="plain@example.com",
        )
        make_lead("Tab Person", message="\tindented", email="-1@example.com")
    book = download(client, "?sort=oldest")
    first, second = book.rows("Leads")
    assert first["Name"].text == '\'=HYPERLINK("http://evil.example","click")'
    assert first["Latest message"].text == "'+1 stem cells?\n@home -5"
    assert first["Email"].text == "plain@example.com"
    assert second["Latest message"].text == "'\tindented"
    assert second["Email"].text == "'-1@example.com"
    assert not any(cell.formula for row in (first, second) for cell in row.values())


def test_more_leads_than_a_sheet_holds_continue_on_the_next_sheets(
    app, client, casey, monkeypatch, tmp_folder
):
    monkeypatch.setattr(export_xlsx, "SHEET_ROWS", 3)  # a heading and two leads
    with app.app_context():
        ids = [make_lead(f"Person {n}", ago=timedelta(minutes=10 - n)).id for n in range(5)]
    inbox = client.get("/staff/leads?owner=anyone").get_data(as_text=True)
    assert "More than 2 leads: Excel fits that many on a sheet" in inbox
    book = download(client, "?sort=oldest")
    assert book.names == ["About", "Leads", "Leads (2)", "Leads (3)"]
    sheets = [[row["Lead ID"].number for row in book.rows(name)] for name in book.names[1:]]
    assert sheets == [ids[:2], ids[2:4], ids[4:]]
    for name in book.names[1:]:  # every sheet has the headings
        assert book.cells(name)["A1"].text == "Lead ID"
    about = " ".join(cell.value for cell in book.cells("About").values())
    assert "continue from sheet Leads on Leads (2), Leads (3)" in about
    with app.app_context():
        [entry] = audit_rows("leads_exported")
    assert entry.detail == "rows=5; file=xlsx; filters=sort=oldest"
    assert list(tmp_folder.iterdir()) == []


def test_no_hint_while_the_leads_fit_on_one_sheet(app, client, casey):
    with app.app_context():
        make_lead()
    inbox = client.get("/staff/leads?owner=anyone").get_data(as_text=True)
    assert 'href="/staff/leads/export.xlsx?owner=anyone"' in inbox
    assert "Excel fits that many" not in inbox


def test_the_same_filters_rows_and_audit_as_the_csv(app, client, casey):
    with app.app_context():
        for _ in range(3):
            make_lead(condition="lupus")
        make_lead(condition="multiple-sclerosis")
        make_lead(condition="lupus", status="treated")
    book = download(client, "?condition=lupus")
    body = client.get("/staff/leads/export.csv?condition=lupus").get_data(as_text=True)
    csv_rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    excel_rows = book.rows("Leads")
    assert len(excel_rows) == 3
    assert [row["Name"].text for row in excel_rows] == [row["Name"] for row in csv_rows]
    assert [row["Lead ID"].number for row in excel_rows] == [
        int(row["Lead ID"]) for row in csv_rows
    ]
    with app.app_context():
        xlsx_entry, csv_entry = audit_rows("leads_exported")
    assert xlsx_entry.actor_id == casey.id
    assert xlsx_entry.detail == "rows=3; file=xlsx; filters=condition=lupus"
    assert csv_entry.detail == "rows=3; file=csv; filters=condition=lupus"


def test_an_empty_selection_is_a_workbook_with_headings_only(app, client, casey):
    book = download(client, "?condition=lupus")
    assert book.rows("Leads") == []
    assert book.cells("Leads")["A1"].text == "Lead ID"


def test_the_excel_export_needs_the_permission(app, client):
    assert client.get("/staff/leads/export.xlsx").status_code == 302  # signed out
    signed_in(app, client, "casey@clinic.test")
    with app.app_context():
        make_lead()
    inbox = client.get("/staff/leads").get_data(as_text=True)
    assert "export.xlsx" not in inbox
    assert client.get("/staff/leads/export.xlsx").status_code == 403
    with app.app_context():
        assert audit_rows("leads_exported") == []


def sheet_row(**cells) -> list:
    """A row as sheet_rows gives it, from headings written as keywords (Lead_ID=…)."""
    row = [None] * len(SHEET_HEADINGS)
    for heading, value in cells.items():
        row[SHEET_HEADINGS.index(heading.replace("_", " "))] = value
    return row


def test_text_comes_back_exactly_as_typed(ctx, tmp_path):
    path = tmp_path / "leads.xlsx"
    message = "Fish & chips <b>\x01 cost _x0041_ pounds"
    write_workbook(
        [
            sheet_row(
                Lead_ID=7,
                Received=1_765_000_000,
                Name=" Ann & Bo ",
                Email="x" * 40_000,
                Latest_message=message,
            )
        ],
        str(path),
        exported_by="Test",
        selection="All",
    )
    [row] = Workbook(path.read_bytes()).rows("Leads")
    assert row["Name"].text == " Ann & Bo "  # spaces kept (xml:space="preserve")
    assert row["Email"].text == "x" * 32_767  # Excel's longest cell
    # Control characters XML can't hold are dropped; Excel reads '_x005F_' as a plain '_'.
    assert row["Latest message"].text == "Fish & chips <b> cost _x005F_x0041_ pounds"


def test_every_part_of_the_package_is_listed_and_well_formed(ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(export_xlsx, "SHEET_ROWS", 2)
    path = tmp_path / "leads.xlsx"
    rows = [sheet_row(Lead_ID=n, Received=1_765_000_000) for n in range(3)]
    summary = write_workbook(rows, str(path), exported_by="Test", selection="All")
    assert summary == export_xlsx.WorkbookSummary(3, ("Leads", "Leads (2)", "Leads (3)"))
    package = zipfile.ZipFile(path)
    parts = set(package.namelist())
    for part in parts:
        ElementTree.fromstring(package.read(part))
    types = ElementTree.fromstring(package.read("[Content_Types].xml"))
    overridden = {node.get("PartName").lstrip("/") for node in types if node.get("PartName")}
    assert overridden == parts - {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/_rels/workbook.xml.rels",
    }
    book = Workbook(path.read_bytes())
    assert set(book.sheet_files.values()) <= parts
    assert book.names == ["About", "Leads", "Leads (2)", "Leads (3)"]
    assert [len(book.rows(name)) for name in book.names[1:]] == [1, 1, 1]
