"""The parts of an .xlsx file around its rows: the sheets' opening and closing XML, the styles,
the workbook and its relationships, and the zip that holds them, laid out as XlsxWriter lays out
its own workbooks."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

# Cell styles, by their index in styles.xml's cellXfs.
STYLE_BOLD, STYLE_DATE_TIME, STYLE_DATE, STYLE_TIME, STYLE_TEXT = 1, 2, 3, 4, 5
# Excel's longest text in a cell.
CELL_TEXT_MAX = 32_767
# Deflate's fastest level: the sheets are repetitive XML that it still shrinks several times
# over, and compressing at the default level took a large share of an export's time.
COMPRESS_LEVEL = 1
# What a text needs changed to be XML that Excel reads back as the same text: markup, the
# control characters XML can't hold, and Excel's own '_x0041_' escapes.
_NEEDS_CARE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


@dataclass(frozen=True)
class Sheet:
    """A finished sheet: its tab name, the file holding its XML, and the cells its filter
    buttons cover ('A1:Y9'), if any."""

    name: str
    path: str
    filter_range: str | None = None


def inline_string(text: str) -> str:
    """An inline string's ``<is>`` element holding ``text`` exactly (cut at Excel's limit)."""
    if len(text) > CELL_TEXT_MAX:
        text = text[:CELL_TEXT_MAX]
    if _NEEDS_CARE.search(text):
        text = _NOT_XML.sub("", text)
        text = _EXCEL_ESCAPE.sub("_x005F_", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


def column_letters(index: int) -> str:
    """A column's letters from its 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_start(*, widths: Sequence[float], active: bool = False, frozen: bool = False) -> str:
    """A worksheet up to its first row: column widths (in characters), whether it is the tab
    shown on opening, and whether its first row stays in view while scrolling."""
    selected = ' tabSelected="1"' if active else ""
    pane = (
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/>'
    )
    view = f'<sheetView{selected} workbookViewId="0">{pane if frozen else ""}</sheetView>'
    # Excel adds a little padding to a width given in characters.
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{width + 0.7109375}" customWidth="1"/>'
        for n, width in enumerate(widths, 1)
    )
    return (
        f"{_XML_DECLARATION}<worksheet {_NAMESPACES}><sheetViews>{view}</sheetViews>"
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{columns}</cols><sheetData>'
    )


def sheet_end(filter_range: str | None = None) -> str:
    """A worksheet after its last row, with filter buttons over ``filter_range`` if given."""
    autofilter = f'<autoFilter ref="{filter_range}"/>' if filter_range else ""
    return f"</sheetData>{autofilter}{_PAGE_MARGINS}</worksheet>"


def write_package(path: str, sheets: Sequence[Sheet], *, active: int) -> None:
    """Zip the sheets, in tab order, with the parts a workbook needs; ``active`` is the index
    of the tab shown on opening."""
    count = len(sheets)
    sheet_list = "".join(
        f'<sheet name="{sheet.name}" sheetId="{n}" r:id="rId{n}"/>'
        for n, sheet in enumerate(sheets, 1)
    )
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"'{sheet.name}'!{_absolute(sheet.filter_range)}</definedName>"
        for n, sheet in enumerate(sheets)
        if sheet.filter_range
    )
    workbook = (
        f"{_XML_DECLARATION}<workbook {_NAMESPACES}>"
        f'<workbookPr/><bookViews><workbookView activeTab="{active}"/></bookViews>'
        f"<sheets>{sheet_list}</sheets><definedNames>{filters}</definedNames>"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{_RELATIONSHIP}/worksheet" '
        f'Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    workbook_rels = (
        f'{_XML_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">{sheet_rels}'
        f'<Relationship Id="rId{count + 1}" Type="{_RELATIONSHIP}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_WORKSHEET_TYPE}"/>'
        for n in range(1, count + 1)
    )
    content_types = _CONTENT_TYPES.replace("</Types>", overrides + "</Types>")
    with zipfile.ZipFile(
        path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        package.writestr("xl/styles.xml", _STYLES)
        for n, sheet in enumerate(sheets, 1):
            # From a file, so a sheet over 2 GiB gets the zip's 64-bit sizes.
            package.write(sheet.path, f"xl/worksheets/sheet{n}.xml")


def _absolute(cells: str | None) -> str:
    """'A1:Y9' as '$A$1:$Y$9'."""
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", cells or "")


_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NAMESPACES = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_PAGE_MARGINS = (
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
)
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CONTENT_TYPES = (
    f"{_XML_DECLARATION}"
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
# Fonts: regular and bold. Cell styles (cellXfs), in the order of the STYLE_ indexes:
# default, bold, date and time, date, time of day, text kept as typed (quote prefix).
_STYLES = (
    f"{_XML_DECLARATION}"
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/><numFmt numFmtId="166" formatCode="hh:mm"/>'
    "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyAlignment="1"><alignment horizontal="left"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyAlignment="1"><alignment horizontal="left"/></xf>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyAlignment="1"><alignment horizontal="left"/></xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" '
    'applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
)
