"""The people's export as an Excel workbook: the same rows as the CSV in typed cells (times and
dates as Excel dates in clinic local time, counts and ids as numbers, phones as text), written
in constant memory at any size.

Each lead becomes one row of SpreadsheetML written here, to a temporary file per sheet, then
zipped (:mod:`clinic.leads.xlsx_package`): a general library such as XlsxWriter spends most of a
whole-database export's time on each cell, and a sync worker must finish the request within its
timeout. Excel holds 1,048,576 rows a sheet (heading included): beyond that the leads continue
on "Leads (2)", and the About sheet, the first tab, says so.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from clinic import clock
from clinic.leads.export import (
    CLOCK,
    DATE,
    FORMULA_PREFIXES,
    ID,
    INSTANT,
    LABEL,
    NUMBER,
    PHONE,
    SHEET_COLUMNS,
    TEXT,
)
from clinic.leads.export_times import EXCEL_EPOCH_DAYS, LocalTimes
from clinic.leads.xlsx_package import (
    STYLE_BOLD,
    STYLE_DATE,
    STYLE_DATE_TIME,
    STYLE_TEXT,
    STYLE_TIME,
    Sheet,
    column_letters,
    inline_string,
    sheet_end,
    sheet_start,
    write_package,
)

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's rows per sheet, the heading row included.
SHEET_ROWS = 1_048_576
LEADS_SHEET = "Leads"
# Rows of XML written to a sheet's file at a time.
CHUNK_ROWS = 500

# Column widths in characters, by kind; a message gets more room.
_WIDTHS = {ID: 9, NUMBER: 10, INSTANT: 17, DATE: 12, CLOCK: 8, PHONE: 16, LABEL: 18, TEXT: 24}
_WIDE = {"Latest message": 60, "Email": 30, "Landing page": 40, "Referrer": 40}
# A phone stored by intake (E.164): text that only looks like a sum, never a formula.
_E164 = re.compile(r"\+[0-9]{6,15}")
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
_TEXT_KINDS = frozenset((TEXT, LABEL, PHONE))
_EXCEL_DAY_ZERO = date(1970, 1, 1).toordinal() - EXCEL_EPOCH_DAYS
# A row's XML from its number and a lead's cells.
RowXml = Callable[[int, Sequence[Any]], str]


@dataclass(frozen=True)
class WorkbookSummary:
    """What a written workbook holds: the number of leads and its lead sheets' names."""

    rows: int
    sheets: tuple[str, ...]


def leads_per_sheet() -> int:
    """How many leads one sheet holds below its heading."""
    return SHEET_ROWS - 1


def write_workbook(
    rows: Iterable[Sequence[Any]],
    path: str,
    *,
    exported_by: str,
    selection: str,
    tmpdir: str | None = None,
) -> WorkbookSummary:
    """Write :func:`clinic.leads.export.sheet_rows` to an .xlsx file at ``path``.

    Text a person typed that could start a formula gets an apostrophe, as in the CSV (a cell
    edited in Excel, or saved again as CSV, would otherwise run it); a phone number is kept
    exact and marked as text instead. The About sheet says when and by whom the file was made,
    which leads it holds (``selection``, in words) and on which sheets. ``tmpdir`` holds the
    sheets' XML while the rows are written (the system's temporary folder by default).
    """
    times = LocalTimes(clock.zone())
    exported = f"{times.text(int(clock.now().timestamp()))} by {exported_by}"
    row_xml = _RowWriter(times).xml
    per_sheet = leads_per_sheet()
    with tempfile.TemporaryDirectory(prefix="clinic-sheets-", dir=tmpdir) as folder:
        sheets = [_LeadSheet(LEADS_SHEET, folder, row_xml, active=True)]
        try:
            for cells in rows:
                if sheets[-1].leads == per_sheet:
                    sheets[-1].close()
                    name = f"{LEADS_SHEET} ({len(sheets) + 1})"
                    sheets.append(_LeadSheet(name, folder, row_xml, active=False))
                sheets[-1].add(cells)
        finally:
            sheets[-1].close()
        finished = [sheet.finished() for sheet in sheets]
        total = sum(sheet.leads for sheet in sheets)
        notes = (("Exported", exported), ("Selection", selection))
        about = _about_sheet(folder, notes, total, [sheet.name for sheet in finished], times)
        write_package(path, [about, *finished], active=1)
    return WorkbookSummary(rows=total, sheets=tuple(sheet.name for sheet in finished))


def workbook_file(
    rows: Iterable[Sequence[Any]], *, exported_by: str, selection: str
) -> tuple[IO[bytes], WorkbookSummary]:
    """The workbook in an open temporary file that is already gone from the disk (its space is
    freed when the file is closed), so no export is ever left behind, even after an error."""
    folder = tempfile.mkdtemp(prefix="clinic-export-")
    try:
        path = os.path.join(folder, "leads.xlsx")
        summary = write_workbook(
            rows, path, exported_by=exported_by, selection=selection, tmpdir=folder
        )
        return open(path, "rb"), summary  # noqa: SIM115 (the caller closes it)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _RowWriter:
    """One lead's cells as a row of SpreadsheetML, each the way its column's kind asks."""

    def __init__(self, times: LocalTimes) -> None:
        self.excel = times.excel
        self.kinds = tuple(kind for _, kind in SHEET_COLUMNS)
        self.columns = tuple(column_letters(index) for index in range(len(SHEET_COLUMNS)))
        number_styles = {INSTANT: STYLE_DATE_TIME, DATE: STYLE_DATE, CLOCK: STYLE_TIME}
        self.styles = tuple(
            f' s="{number_styles[kind]}"' if kind in number_styles else "" for kind in self.kinds
        )

    def xml(self, row: int, cells: Sequence[Any]) -> str:
        parts = [f'<row r="{row}">']
        add, kinds, columns, styles = parts.append, self.kinds, self.columns, self.styles
        for index, value in enumerate(cells):
            if value is None or value == "":
                continue
            kind = kinds[index]
            if kind in _TEXT_KINDS:
                style = ""
                if kind == PHONE and _E164.fullmatch(value):
                    style = f' s="{STYLE_TEXT}"'
                elif kind != LABEL and value[0] in _FORMULA_FIRST:
                    value = "'" + value
                add(f'<c r="{columns[index]}{row}"{style} t="inlineStr">{inline_string(value)}</c>')
                continue
            if kind == INSTANT:
                number = repr(self.excel(value))
            elif kind == DATE:
                number = str(date.fromisoformat(value).toordinal() - _EXCEL_DAY_ZERO)
            elif kind == CLOCK:  # 'HH:MM' as a fraction of a day
                number = repr((int(value[:2]) * 60 + int(value[3:5])) / 1440)
            else:
                number = str(value)
            add(f'<c r="{columns[index]}{row}"{styles[index]}><v>{number}</v></c>')
        parts.append("</row>")
        return "".join(parts)


class _LeadSheet:
    """One sheet of leads, its XML written to a file in ``folder`` as the rows come."""

    def __init__(self, name: str, folder: str, row_xml: RowXml, *, active: bool) -> None:
        self.name, self.leads, self.row_xml = name, 0, row_xml
        self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed by close())
            "w", encoding="utf-8", errors="replace", dir=folder, suffix=".xml", delete=False
        )
        widths = [_WIDE.get(heading, _WIDTHS[kind]) for heading, kind in SHEET_COLUMNS]
        headings = "".join(
            f'<c r="{column_letters(index)}1" s="{STYLE_BOLD}" t="inlineStr">'
            f"{inline_string(heading)}</c>"
            for index, (heading, _) in enumerate(SHEET_COLUMNS)
        )
        self.pending = [
            sheet_start(widths=widths, active=active, frozen=True),
            f'<row r="1">{headings}</row>',
        ]

    def add(self, cells: Sequence[Any]) -> None:
        self.leads += 1
        self.pending.append(self.row_xml(self.leads + 1, cells))
        if len(self.pending) >= CHUNK_ROWS:
            self.file.write("".join(self.pending))
            self.pending.clear()

    def close(self) -> None:
        if not self.file.closed:
            self.pending.append(sheet_end(self._filter_range()))
            self.file.write("".join(self.pending))
            self.pending.clear()
            self.file.close()

    def finished(self) -> Sheet:
        return Sheet(self.name, self.file.name, self._filter_range())

    def _filter_range(self) -> str:
        """The heading and the leads, which the filter buttons cover."""
        return f"A1:{column_letters(len(SHEET_COLUMNS) - 1)}{self.leads + 1}"


def _about_sheet(
    folder: str,
    notes: Sequence[tuple[str, str]],
    total: int,
    names: Sequence[str],
    times: LocalTimes,
) -> Sheet:
    """The About sheet: what the file holds, and where, in plain words."""
    lines = [
        *notes,
        ("Leads", f"{total:,}"),
        (
            "Times",
            f"Clinic local time ({times.zone.key}). Times and dates are Excel dates; "
            "the CSV export writes each time with its UTC offset.",
        ),
    ]
    if len(names) > 1:
        lines.append(
            (
                "Sheets",
                f"Excel holds {leads_per_sheet():,} rows a sheet, so these leads continue "
                f"from sheet {names[0]} on {', '.join(names[1:])}.",
            )
        )
    rows = "".join(
        f'<row r="{number}"><c r="A{number}" s="{STYLE_BOLD}" t="inlineStr">'
        f'{inline_string(label)}</c><c r="B{number}" t="inlineStr">{inline_string(value)}</c>'
        "</row>"
        for number, (label, value) in enumerate(lines, 1)
    )
    path = os.path.join(folder, "about.xml")
    with open(path, "w", encoding="utf-8") as file:
        file.write(sheet_start(widths=[14, 100]) + rows + sheet_end())
    return Sheet("About", path)
