"""Which lead field each column of an upload fills: guessed from the header names the usual
spreadsheets and CRMs use, changed by the admin, and saved under a name for the next file.

A mapping is one field per column ("" leaves the column out) and how the file writes dates.
Several columns may fill one field (Phone and Mobile): the first with a value in a row is
used, except notes, which are all kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from clinic.leads import normalise

IGNORE = ""
# The fields a column can fill, in the order the mapping page lists them.
FIELDS: dict[str, str] = {
    "name": "Name (full)",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "condition": "Condition",
    "status": "Status",
    "lost_reason": "Lost reason",
    "owner": "Owner",
    "created": "Created (date and time)",
    "message": "Message",
    "notes": "Notes",
    "source": "Source",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
    "utm_term": "UTM term",
    "utm_content": "UTM content",
}
# Header names (folded, letters and digits only) each field is guessed from.
_GUESSES: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "contactname", "patientname", "leadname", "clientname", "contact"),
    "first_name": ("firstname", "givenname", "forename", "first"),
    "last_name": ("lastname", "surname", "familyname", "last"),
    "email": ("email", "emailaddress", "mail", "emailid", "primaryemail"),
    "phone": (
        "phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "mobilenumber",
        "cell", "cellphone", "primaryphone", "homephone", "workphone",
    ),
    "condition": ("condition", "diagnosis", "conditionofinterest", "interest"),
    "status": ("status", "stage", "leadstatus", "pipelinestage", "dealstage", "lifecyclestage"),
    "lost_reason": ("lostreason", "reasonlost", "closedreason"),
    "owner": ("owner", "leadowner", "assignedto", "assignee", "coordinator", "contactowner"),
    "created": (
        "created", "createdat", "createddate", "datecreated", "createdon", "createdtime",
        "date", "submitted", "submittedat", "received", "receivedat", "createdate",
    ),
    "message": ("message", "inquiry", "enquiry", "question", "description", "comments"),
    "notes": ("notes", "note", "comment", "internalnotes"),
    "source": ("source", "leadsource", "channel", "origin"),
    "utm_source": ("utmsource",),
    "utm_medium": ("utmmedium",),
    "utm_campaign": ("utmcampaign", "campaign"),
    "utm_term": ("utmterm",),
    "utm_content": ("utmcontent",),
}  # fmt: skip
_BY_HEADER = {header: name for name, headers in _GUESSES.items() for header in headers}
# Fields filled by the first column with a value; the others take every column's value.
JOINED_FIELDS = ("notes", "message")

DATE_ORDERS = {
    "dmy": "Day first (31/12/2025)",
    "mdy": "Month first (12/31/2025)",
    "ymd": "Year first (2025-12-31)",
}
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})")


def header_key(header: str) -> str:
    return re.sub(r"[\W_]+", "", normalise.fold(header))


def guess_field(header: str) -> str:
    """The field a column named ``header`` most likely holds ("" when none)."""
    return _BY_HEADER.get(header_key(header), IGNORE)


@dataclass
class Mapping:
    """The field of each column, by position, and how dates are written."""

    columns: list[str]
    date_order: str = "ymd"
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "date_order": self.date_order})

    @classmethod
    def from_json(cls, text: str | None, width: int) -> Mapping:
        data = json.loads(text) if text else {}
        columns = [str(c) if c in FIELDS else IGNORE for c in data.get("columns", [])][:width]
        columns += [IGNORE] * (width - len(columns))
        order = data.get("date_order")
        return cls(columns, order if order in DATE_ORDERS else "ymd")

    def by_header(self, headers: list[str]) -> dict[str, str]:
        """The mapping as saved for reuse: field by header name."""
        return {h: f for h, f in zip(headers, self.columns, strict=True) if f != IGNORE}

    def columns_of(self, name: str) -> list[int]:
        return [index for index, mapped in enumerate(self.columns) if mapped == name]

    def check(self) -> list[str]:
        """What stops this mapping from importing anything, in the admin's words."""
        mapped = set(self.columns)
        problems = []
        if not mapped & {"name", "first_name", "last_name"}:
            problems.append(
                "Choose the column holding each person's name (or first and last name)."
            )
        if not mapped & {"email", "phone"}:
            problems.append("Choose the column holding an email address or a phone number.")
        return problems


def guess_mapping(headers: list[str], sample: list[list[str]], *, month_first: bool) -> Mapping:
    """Fields guessed from the header names (each field from its first likely column, except
    phones and notes, which may come from several) and the date order from the values
    (``month_first``: the clinic's country writes dates so, for values either way fits)."""
    columns: list[str] = []
    taken: set[str] = set()
    for header in headers:
        guess = guess_field(header)
        if guess in taken and guess not in ("phone", *JOINED_FIELDS):
            guess = IGNORE
        columns.append(guess)
        taken.add(guess)
    mapping = Mapping(columns)
    created = mapping.columns_of("created")
    values = [row[i] for row in sample for i in created if i < len(row)]
    mapping.date_order = guess_date_order(values, month_first=month_first)
    return mapping


def from_saved(saved_fields: str, headers: list[str]) -> Mapping:
    """A saved mapping applied to this file's headers (matched by name, folded); columns it
    doesn't name are guessed."""
    data = json.loads(saved_fields)
    by_key = {header_key(h): f for h, f in data.get("columns", {}).items() if f in FIELDS}
    columns = [by_key.get(header_key(h), guess_field(h)) for h in headers]
    order = data.get("date_order")
    return Mapping(columns, order if order in DATE_ORDERS else "ymd")


def saved_json(mapping: Mapping, headers: list[str]) -> str:
    return json.dumps(
        {"columns": mapping.by_header(headers), "date_order": mapping.date_order},
        ensure_ascii=False,
    )


def guess_date_order(values: list[str], *, month_first: bool = False) -> str:
    """Year first unless the values are numeric dates with the year last: then day or month
    first as a number over 12 shows, else as the clinic's country writes them."""
    year_last = False
    for value in values:
        match = _NUMERIC_DATE.match(value or "")
        if not match:
            continue
        first, middle, last = (int(part) for part in match.groups())
        if len(match.group(1)) == 4:
            return "ymd"
        year_last = True
        if middle > 12:
            return "mdy"
        if first > 12:
            return "dmy"
    if not year_last:
        return "ymd"
    return "mdy" if month_first else "dmy"
