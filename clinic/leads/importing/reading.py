"""Reading an uploaded spreadsheet: a CSV in whichever encoding and separator it came in, or an
Excel workbook, as a header and rows of text cells, one row at a time (memory stays flat).

An encoding is never guessed silently: a byte-order mark or valid UTF-8 settles it; otherwise
the file is read as Windows-1252 only when that reads as plausible text (charset-normalizer
judges), and the admin is told so and sees the names in the preview; anything else is refused
with the encoding it looks like, and what to do about it. A cell is text as written: one
starting with "=", "+", "-" or "@" is data (a phone number, a name), never a formula, and an
Excel formula is read as its text, never worked out.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO

import charset_normalizer

# What the import reads, by Python codec name, with the name an admin knows it by.
ENCODINGS = {"utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
COLUMNS_MAX = 200
# Bytes read at a time when checking an encoding, and read to pick a separator.
BLOCK = 1 << 20
SAMPLE_ROWS = 20
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class ImportFileError(ValueError):
    """The file can't be read as it is; the message says why and what to do, for the admin."""


@dataclass
class SheetFile:
    """A readable upload: how it was read, its header, and its rows from the second on."""

    kind: str
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def encoding_label(self) -> str:
        return ENCODINGS.get((self.encoding or "").removesuffix("-sig"), self.encoding or "")


def open_sheet(
    stream: IO[bytes], filename: str, *, encoding: str | None = None, delimiter: str | None = None
) -> SheetFile:
    """The upload as a header and rows, read as it says (``encoding``/``delimiter`` None:
    found out here; the admin may name them when the finding was wrong).

    :raise ImportFileError: an empty file, an unreadable encoding, not a spreadsheet.
    """
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        return _open_workbook(stream)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "This is an older Excel file (.xls), which the import doesn't read. In Excel, "
            "choose File → Save As → Excel Workbook (.xlsx) or CSV UTF-8, then upload that."
        )
    return _open_csv(stream, encoding, delimiter)


# --- CSV -----------------------------------------------------------------------------------


def detect_encoding(stream: IO[bytes]) -> tuple[str, list[str]]:
    """The codec to read a CSV with, and what the admin should know about the choice.

    :raise ImportFileError: when it is none of the encodings the import reads.
    """
    head = stream.read(BLOCK)
    stream.seek(0)
    if not head.strip():
        raise ImportFileError("The file is empty.")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if head.startswith(_UTF16_BOMS):
        return "utf-16", []
    utf16 = _utf16_without_mark(head)
    if utf16:
        return utf16, ["The file is UTF-16 without a byte-order mark; it was read as " + utf16]
    if _decodes_whole(stream, "utf-8"):
        return "utf-8", []
    plausible = charset_normalizer.from_bytes(head, cp_isolation=["cp1252"]).best()
    if plausible is not None and _decodes_whole(stream, "cp1252"):
        return "cp1252", [
            "This file is not UTF-8: it was read as Windows-1252 (Western European). Check "
            "that names with accents look right in the preview; if not, save the file as "
            "“CSV UTF-8” and upload it again."
        ]
    guess = charset_normalizer.from_bytes(head).best()
    looks = f" (it looks like {guess.encoding})" if guess is not None else ""
    raise ImportFileError(
        f"The file's text isn't in UTF-8, UTF-16 or Windows-1252{looks}, so its letters would "
        "come out wrong. Save it as “CSV UTF-8” in your spreadsheet program and upload it again."
    )


def _utf16_without_mark(head: bytes) -> str | None:
    """UTF-16 text of mostly Latin letters has a zero in every other byte."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _decodes_whole(stream: IO[bytes], codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        while block := stream.read(BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(0)
    return True


def detect_delimiter(sample: str) -> str:
    """The separator that splits the first rows into the same, largest number of columns
    (comma when none splits them)."""
    best, best_score = ",", (False, 0)
    for candidate in DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=candidate) if row]
        except csv.Error:
            continue
        rows = rows[:-1] if len(rows) > 1 else rows  # the sample may end mid-row
        widths = {len(row) for row in rows[:SAMPLE_ROWS]}
        width = max(widths, default=0)
        score = (len(widths) == 1 and width > 1, width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _open_csv(stream: IO[bytes], encoding: str | None, delimiter: str | None) -> SheetFile:
    notes: list[str] = []
    if encoding is None:
        encoding, notes = detect_encoding(stream)
    elif encoding == "utf-8" and stream.read(3) == codecs.BOM_UTF8:
        encoding = "utf-8-sig"
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        sample = text.read(BLOCK // 4)
    except UnicodeDecodeError as error:
        raise _not_in(encoding, _bad_line(stream, encoding)) from error
    if delimiter is None:
        delimiter = detect_delimiter(sample)
    text.seek(0)
    rows = _csv_rows(text, delimiter, encoding, stream)
    headers = _header(rows)
    return SheetFile("csv", headers, rows, encoding=encoding, delimiter=delimiter, notes=notes)


def _bad_line(stream: IO[bytes], encoding: str) -> int | None:
    """The first line that isn't text in the encoding (None for UTF-16, whose line ends are
    two bytes: its lines can't be split before decoding)."""
    if encoding.startswith("utf-16"):
        return None
    stream.seek(0)
    for number, line in enumerate(stream, 1):
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            return number
    return None


def _not_in(encoding: str, line: int | None = None) -> ImportFileError:
    label = ENCODINGS.get(encoding.removesuffix("-sig"), encoding)
    where = f" (line {line})" if line else ""
    return ImportFileError(
        f"The file can't be read as {label}{where}: some of its bytes are not text in that "
        "encoding. Choose another encoding, or let the import find it, and upload it again."
    )


def _csv_rows(
    text: io.TextIOWrapper, delimiter: str, encoding: str, stream: IO[bytes]
) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    number = 0
    try:
        for cells in reader:
            number += 1
            yield number, cells
    except UnicodeDecodeError as error:
        raise _not_in(encoding, _bad_line(stream, encoding)) from error
    except csv.Error as error:
        raise ImportFileError(f"Row {number + 1} can't be read as CSV: {error}.") from error


def _header(rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    for _, cells in rows:
        headers = [cell.strip().lstrip("\ufeff") for cell in cells]
        while headers and not headers[-1]:
            headers.pop()
        if not any(headers):
            continue
        if len(headers) > COLUMNS_MAX:
            raise ImportFileError(f"The file has more than {COLUMNS_MAX} columns.")
        return [name or f"Column {index}" for index, name in enumerate(headers, 1)]
    raise ImportFileError("The file has no rows: the first row should name the columns.")


# --- Excel ---------------------------------------------------------------------------------


def _open_workbook(stream: IO[bytes]) -> SheetFile:
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    try:
        # read_only streams the sheet's XML; formulas come back as their text (data_only off).
        workbook = load_workbook(stream, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ImportFileError(
            "This file can't be opened as an Excel workbook (.xlsx). Save it again as .xlsx "
            "or as “CSV UTF-8”, and upload that."
        ) from error
    sheet = workbook.worksheets[0]
    rows = _sheet_rows(sheet.iter_rows(values_only=True))
    headers = _header(rows)
    notes = []
    if len(workbook.worksheets) > 1:
        notes.append(
            f"The workbook has {len(workbook.worksheets)} sheets: only the first, "
            f"“{sheet.title}”, is read."
        )
    return SheetFile("xlsx", headers, rows, notes=notes)


def _sheet_rows(values: Iterator[tuple[object, ...]]) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(values, 1):
        yield number, [cell_text(value) for value in row]


def cell_text(value: object) -> str:
    """A workbook cell as the text a person reads in it: whole numbers without ".0" (a phone
    typed as a number), dates and times in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
