"""One row of an upload turned into what a lead and its inquiry would hold, with every problem
found in it, per field, in words the admin can act on.

A row is refused when it can't make a lead a coordinator could work (no name, no way to reach
the person, a detail that is not what its column says, a stage the pipeline doesn't have). A
value that can be kept only in part is kept with a warning (a condition the clinic doesn't
list is filed under "another condition", its words kept in the message). Whether a row is
refused depends on the row alone, never on what is stored, so the refused rows can be listed
again at any time from the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from flask import current_app
from sqlalchemy import select

from clinic import clock
from clinic.extensions import db
from clinic.leads import conditions, normalise
from clinic.leads.export import FORMULA_PREFIXES
from clinic.leads.importing.mapping import FIELDS, JOINED_FIELDS, Mapping, header_key
from clinic.leads.intake import ATTRIBUTION_MAX, EMAIL_MAX, MESSAGE_MAX, NAME_MAX
from clinic.leads.pipeline import LOST_REASONS, STATUS_LABELS
from clinic.models import StaffUser

SOURCE_MAX = 120
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# A created time this far ahead of the import is a typo, not a clock difference.
FUTURE_SLACK = timedelta(minutes=5)
EARLIEST_YEAR = 1990
_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*$"
_NUMERIC = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})" + _TIME)
FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
# A plain address: dot-separated runs of ASCII letters, digits and _%+- (at most 64), then
# letters-and-digits domain labels (hyphens inside) ending in a top-level domain of letters.
_PLAIN_EMAIL = re.compile(
    r"((?=[^@]{1,64}@)[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
EMAIL_PLAIN_MAX = 254
_WORDY_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y")


@dataclass(frozen=True)
class Problem:
    """Something wrong with a field of a row; ``refuses``: the row can't be imported."""

    field: str
    message: str
    refuses: bool = True

    def __str__(self) -> str:
        return f"{FIELDS.get(self.field, self.field)}: {self.message}"


@dataclass
class CheckedRow:
    """What a row would store, or why it can't be stored."""

    number: int
    cells: list[str]
    problems: list[Problem] = field(default_factory=list)
    name: str = ""
    email: str | None = None
    email_key: str | None = None
    phone: str | None = None
    digits: str | None = None
    condition_slug: str = conditions.OTHER
    status: str = "new"
    lost_reason: str | None = None
    owner_id: int | None = None
    created_at: datetime | None = None
    message: str = ""
    notes: str = ""
    source: str = ""
    utm: dict[str, str | None] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return any(problem.refuses for problem in self.problems)

    def reasons(self) -> str:
        """The refusing problems in one line, for the refused-rows file."""
        return "; ".join(str(problem) for problem in self.problems if problem.refuses)

    def problems_of(self, name: str) -> list[Problem]:
        return [problem for problem in self.problems if problem.field == name]


def _key(text: str) -> str:
    return header_key(text)


@dataclass
class RowChecker:
    """Checks rows against one mapping, the clinic's conditions, stages and staff, its phone
    region and time zone; built once per piece of an import (a few queries)."""

    mapping: Mapping
    default_source: str
    now: datetime
    region: str
    zone: ZoneInfo
    conditions: dict[str, str]
    condition_labels: dict[str, str]
    staff: dict[str, int | None]

    @classmethod
    def for_import(cls, mapping: Mapping, default_source: str, now: datetime) -> RowChecker:
        labels = conditions.names()
        known = {_key(slug): slug for slug in labels}
        known.update({_key(label): slug for slug, label in labels.items()})
        return cls(
            mapping=mapping,
            default_source=default_source,
            now=now,
            region=current_app.config["CLINIC_PHONE_REGION"],
            zone=clock.zone(),
            conditions=known,
            condition_labels=labels,
            staff=_staff_keys(),
        )

    def check(self, number: int, cells: list[str]) -> CheckedRow:
        row = CheckedRow(number, cells)
        values = self._values(cells)
        self._person(row, values)
        self._lead(row, values)
        self._inquiry(row, values)
        return row

    def _values(self, cells: list[str]) -> dict[str, str]:
        """Each mapped field's text in the row (several columns: see the mapping module)."""
        values: dict[str, str] = {}
        for index, name in enumerate(self.mapping.columns):
            if not name or index >= len(cells):
                continue
            text = cells[index].strip()
            if not text:
                continue
            if text[0] == "'" and text[1:2] in FORMULA_FIRST:
                text = text[1:]  # as the refused-rows file (or another export) wrote it
            if name in JOINED_FIELDS and name in values:
                values[name] += "\n" + text
            else:
                values.setdefault(name, text)
        return values

    def _person(self, row: CheckedRow, values: dict[str, str]) -> None:
        name = values.get("name") or " ".join(
            part for part in (values.get("first_name"), values.get("last_name")) if part
        )
        row.name = normalise.clean_line(name)
        if not row.name:
            row.problems.append(Problem("name", "no name given."))
        elif len(row.name) > NAME_MAX:
            row.problems.append(Problem("name", f"longer than {NAME_MAX} characters."))
        elif not normalise.has_letter(row.name):
            row.problems.append(
                Problem("name", f"“{row.name}” has no letters, so it isn't a name.")
            )
        email = normalise.clean_line(values.get("email"))
        if email:
            self._email(row, email)
        phone = normalise.clean_line(values.get("phone"))
        if phone:
            self._phone(row, phone)
        if not email and not phone:
            row.problems.append(
                Problem("email", "no email address or phone number to reach the person.")
            )

    def _email(self, row: CheckedRow, email: str) -> None:
        if len(email) > EMAIL_MAX:
            row.problems.append(Problem("email", f"longer than {EMAIL_MAX} characters."))
            return
        try:
            row.email = plain_email(email) or normalise.normalise_email(email)
        except ValueError as error:
            reason = str(error).removeprefix("Please check the email address: ")
            row.problems.append(Problem("email", f"“{email}” is not an email address ({reason})"))
            return
        row.email_key = normalise.email_key(row.email)

    def _phone(self, row: CheckedRow, phone: str) -> None:
        tries = [phone]
        digits = re.sub(r"\D", "", phone)
        if not phone.startswith("+") and len(digits) >= 11:
            tries.append("+" + digits)  # a number with its country code, stored as a number
        for attempt in tries:
            try:
                row.phone = normalise.normalise_phone(attempt, self.region)
            except ValueError:
                continue
            row.digits = normalise.phone_digits(row.phone)
            return
        row.problems.append(
            Problem(
                "phone",
                f"“{phone}” is not a complete phone number: give the area code, and the "
                f"country code (such as +44) for a number outside {self.region}.",
            )
        )

    def _lead(self, row: CheckedRow, values: dict[str, str]) -> None:
        condition = values.get("condition")
        if condition:
            slug = self.conditions.get(_key(condition))
            if slug is None:
                row.problems.append(
                    Problem(
                        "condition",
                        f"“{condition}” is not one of the clinic's conditions: filed under "
                        f"“{conditions.OTHER_LABEL}”, with the words kept in the message.",
                        refuses=False,
                    )
                )
                values["message"] = f"Condition given: {condition}\n" + values.get("message", "")
            row.condition_slug = slug or conditions.OTHER
        status = values.get("status")
        if status:
            row.status = _STATUSES.get(_key(status), "")
            if not row.status:
                stages = ", ".join(STATUS_LABELS.values())
                row.problems.append(
                    Problem("status", f"“{status}” is not a stage here (use one of: {stages}).")
                )
        if row.status == "lost":
            reason = values.get("lost_reason")
            row.lost_reason = _LOST_REASONS.get(_key(reason or ""), "other")
            if reason and _key(reason) not in _LOST_REASONS:
                row.problems.append(
                    Problem(
                        "lost_reason", f"“{reason}” is not a reason here: stored as “Other”.", False
                    )
                )
        owner = values.get("owner")
        if owner:
            key = owner.strip().lower() if "@" in owner else normalise.fold(owner.strip())
            row.owner_id = self.staff.get(key)
            if row.owner_id is None:
                why = (
                    "two staff members have that name" if key in self.staff else "not on the staff"
                )
                row.problems.append(
                    Problem(
                        "owner",
                        f"“{owner}”: {why}, so the lead is left unassigned (use the staff "
                        "member's email address).",
                        refuses=False,
                    )
                )
        row.created_at = self._created(row, values.get("created"))
        source = normalise.clean_line(values.get("source")) or self.default_source
        row.source = source[:SOURCE_MAX]

    def _created(self, row: CheckedRow, text: str | None) -> datetime:
        if not text:
            return self.now
        found = parse_time(text, self.mapping.date_order, self.zone)
        if found is None:
            order = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year-month-day"}
            row.problems.append(
                Problem(
                    "created",
                    f"“{text}” is not a date the import reads (dates in this file are set to "
                    f"be {order[self.mapping.date_order]}).",
                )
            )
            return self.now
        if found > self.now + FUTURE_SLACK:
            row.problems.append(Problem("created", f"“{text}” is in the future."))
        elif found.year < EARLIEST_YEAR:
            row.problems.append(Problem("created", f"“{text}” is before {EARLIEST_YEAR}."))
        return found

    def _inquiry(self, row: CheckedRow, values: dict[str, str]) -> None:
        message = normalise.clean_text(values.get("message"))
        if len(message) > MESSAGE_MAX:
            row.problems.append(
                Problem("message", f"cut to its first {MESSAGE_MAX:,} characters.", False)
            )
        row.message = message[:MESSAGE_MAX]
        notes = normalise.clean_text(values.get("notes"))
        if len(notes) > MESSAGE_MAX:
            row.problems.append(
                Problem("notes", f"cut to their first {MESSAGE_MAX:,} characters.", False)
            )
        row.notes = notes[:MESSAGE_MAX]
        for name in UTM_FIELDS:
            value = normalise.clean_line(values.get(name))
            if len(value) > ATTRIBUTION_MAX:
                row.problems.append(
                    Problem(name, f"cut to its first {ATTRIBUTION_MAX} characters.", False)
                )
            row.utm[name] = value[:ATTRIBUTION_MAX] or None


_STATUSES = {_key(code): code for code in STATUS_LABELS} | {
    _key(label): code for code, label in STATUS_LABELS.items()
}
_LOST_REASONS = {_key(code): code for code in LOST_REASONS} | {
    _key(label): code for code, label in LOST_REASONS.items()
}


def plain_email(email: str) -> str | None:
    """The address as email-validator would normalise it, worked out directly when it is a
    plain ASCII one (most are); None for any other, which email-validator then reads. Checking
    a few hundred thousand rows through email-validator alone would take most of an import."""
    match = _PLAIN_EMAIL.fullmatch(email)
    if match is None or len(email) > EMAIL_PLAIN_MAX or "--" in match.group(2):
        return None
    domain = match.group(2).lower()
    if any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES):
        return None
    return f"{match.group(1)}@{domain}"


def _staff_keys() -> dict[str, int | None]:
    """Who a lead may be given to, by lower-cased email and by folded name (None: a name two
    people share)."""
    keys: dict[str, int | None] = {}
    people = db.session.execute(select(StaffUser).where(StaffUser.active.is_(True))).scalars()
    for person in people:
        if not person.sees_patient_data:
            continue
        keys[person.email.lower()] = person.id
        name = normalise.fold(person.name.strip())
        keys[name] = None if name in keys else person.id
    return keys


def parse_time(text: str, date_order: str, zone: ZoneInfo) -> datetime | None:
    """A date, or date and time, as spreadsheets and CRMs write them; a time without a zone is
    the clinic's. None when the text is no date."""
    text = text.strip()
    found = _iso(text) or _numeric(text, date_order) or _wordy(text)
    if found is None:
        return None
    if found.tzinfo is None:
        found = found.replace(tzinfo=zone)
    return found


def _iso(text: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return datetime.fromisoformat(text.replace(" UTC", "Z"))
    except ValueError:
        return None


def _numeric(text: str, date_order: str) -> datetime | None:
    match = _NUMERIC.match(text)
    if not match:
        return None
    a, b, c, hour, minute, second, half = match.groups()
    if len(a) == 4:
        year, month, day = a, b, c
    elif date_order == "mdy":
        month, day, year = a, b, c
    else:
        day, month, year = a, b, c
    if len(year) == 2:
        year = "20" + year
    hours = int(hour or 0)
    if half:
        if hours > 12:
            return None
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    try:
        return datetime(int(year), int(month), int(day), hours, int(minute or 0), int(second or 0))
    except ValueError:
        return None


def _wordy(text: str) -> datetime | None:
    date_part, _, time_part = text.partition(" at ")
    for pattern in _WORDY_FORMATS:
        try:
            day = datetime.strptime(date_part.strip(), pattern)  # noqa: DTZ007 (the clinic's zone is added by the caller)
        except ValueError:
            continue
        if not time_part:
            return day
        clock_match = re.match(r"^(\d{1,2}):(\d{2})\s*([AaPp][Mm])?$", time_part.strip())
        if not clock_match:
            return None
        hours = int(clock_match.group(1))
        if clock_match.group(3):
            hours = hours % 12 + (12 if clock_match.group(3).lower() == "pm" else 0)
        return day.replace(hour=hours, minute=int(clock_match.group(2)))
    return None
