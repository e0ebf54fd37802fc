"""Who the clinic is: name, address, phone, email, hours, time zone, logo, social links.

Read by pages, emails, calendar invitations, the privacy notice and the clock (the time zone)
through `current_profile()`. Environment variables (CLINIC_NAME, CLINIC_PHONE, CLINIC_HOURS,
CLINIC_TIMEZONE) give the first start its values; once an admin saves the profile in the
browser (staff.clinic_settings) its one row in ``clinic_profile`` is used instead.

Every page and every local time reads the profile, so each process keeps it for
CLINIC_PROFILE_CACHE_SECONDS: the process that saves a change forgets its copy at once, the
others show the change within that time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.exc import SQLAlchemyError

from clinic import audit
from clinic.extensions import db
from clinic.leads.normalise import normalise_email
from clinic.models.profile import PROFILE_ID, ClinicProfile
from clinic.worker_cache import EXTENSION_KEY, cached

CACHE_NAME = "clinic.profile"
CACHE_SETTING = "CLINIC_PROFILE_CACHE_SECONDS"

# The social networks a clinic links to, in the order the footer lists them: (key, label).
SOCIAL_NETWORKS = (
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("youtube", "YouTube"),
    ("linkedin", "LinkedIn"),
    ("x", "X"),
    ("other", "Other"),
)

# A logo is shown at a small size in the header: half a megabyte is plenty for any format here.
LOGO_MAX_BYTES = 512 * 1024
# No SVG: an SVG is a document that can carry script. (content type, file extension)
LOGO_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}

# The US zones most clinics pick, first in the choice: (zone, label).
COMMON_ZONES = (
    ("America/New_York", "Eastern time (New York)"),
    ("America/Chicago", "Central time (Chicago)"),
    ("America/Denver", "Mountain time (Denver)"),
    ("America/Phoenix", "Mountain time without daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific time (Los Angeles)"),
    ("America/Anchorage", "Alaska time (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii time (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic time (Puerto Rico)"),
)
# Current zone names start with a region; the others (US/Eastern, EST5EDT …) are old aliases.
_ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

log = logging.getLogger(__name__)


class ProfileError(ValueError):
    """A value the profile can't take; the message is written for the admin who typed it."""


@dataclass(frozen=True)
class ClinicFacts:
    name: str
    phone: str
    hours: str
    email: str = ""
    street: str = ""
    locality: str = ""  # city or town
    region: str = ""  # state
    postal_code: str = ""
    country: str = "US"
    logo_url: str | None = None
    social_links: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (label, url)
    timezone: str = "America/New_York"

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c in "+0123456789")

    @property
    def address_lines(self) -> list[str]:
        """The postal address as the US writes it: street, then 'City, ST 12345'."""
        city = ", ".join(part for part in (self.locality, self.region) if part)
        city = " ".join(part for part in (city, self.postal_code) if part)
        country = self.country if self.country and self.country != "US" else ""
        return [line for line in (self.street, city, country) if line]


@dataclass(frozen=True)
class Logo:
    """An uploaded logo that passed the checks: its bytes, content type and SHA-256."""

    data: bytes
    content_type: str
    sha256: str

    @property
    def extension(self) -> str:
        return LOGO_EXTENSIONS[self.content_type]


# --- reading ------------------------------------------------------------------------------


def current_profile() -> ClinicFacts:
    """The clinic's facts as patients should see them now."""
    return cached(CACHE_NAME, _read, max_age=CACHE_SETTING)


def forget() -> None:
    """Drop this process's copy, so a change just committed shows on its next read."""
    current_app.extensions.get(EXTENSION_KEY, {}).pop(CACHE_NAME, None)


def first_start_facts() -> ClinicFacts:
    """What the clinic is called and how to reach it before an admin has saved the profile."""
    config = current_app.config
    return ClinicFacts(
        name=config["CLINIC_NAME"],
        phone=config["CLINIC_PHONE"],
        hours=config["CLINIC_HOURS"],
        timezone=config["CLINIC_TIMEZONE"],
    )


# Every column but the logo's bytes. Through the session's connection: no autoflush of what
# the caller has pending, and no second connection from the pool.
_FACTS = select(*(c for c in ClinicProfile.__table__.c if c.name != "logo_data")).where(
    ClinicProfile.__table__.c.id == PROFILE_ID
)


def _read() -> ClinicFacts:
    try:
        row = db.session.connection().execute(_FACTS).first()
    except SQLAlchemyError as error:
        # The error pages show the clinic's phone number, also while the database is down.
        log.warning("clinic profile unreadable (%s); showing the last known", type(error).__name__)
        kept = current_app.extensions.get(EXTENSION_KEY, {}).get(CACHE_NAME)
        return kept[0] if kept else first_start_facts()
    return first_start_facts() if row is None else _facts(row)


def _facts(row: Row) -> ClinicFacts:
    links = []
    for key, label in SOCIAL_NETWORKS:
        url = getattr(row, f"{key}_url")
        if url:
            links.append(((row.other_label or label) if key == "other" else label, url))
    return ClinicFacts(
        name=row.name,
        phone=row.phone,
        hours=row.hours,
        email=row.email,
        street=row.street,
        locality=row.locality,
        region=row.region,
        postal_code=row.postal_code,
        country=row.country,
        logo_url=_logo_url(row.logo_sha256, row.logo_type),
        social_links=tuple(links),
        timezone=row.timezone,
    )


def _logo_url(sha256: str | None, content_type: str | None) -> str | None:
    """The logo's address: its hash in it, so a browser may keep it for as long as it likes."""
    if not sha256 or content_type not in LOGO_EXTENSIONS:
        return None
    return f"/clinic-logo/{sha256}.{LOGO_EXTENSIONS[content_type]}"


def editable() -> tuple[dict[str, str], str | None]:
    """The saved settings as the profile form shows them (the first-start defaults before the
    first save), and the current logo's address, read now rather than from this process's copy."""
    row = db.session.get(ClinicProfile, PROFILE_ID) or _first_row()
    return {name: getattr(row, name) for name in TEXT_FIELDS}, _logo_url(
        row.logo_sha256, row.logo_type
    )


def logo_file(sha256: str) -> tuple[bytes, str] | None:
    """The logo's bytes and content type, if ``sha256`` names the clinic's current logo."""
    row = db.session.execute(
        select(ClinicProfile.logo_data, ClinicProfile.logo_type).where(
            ClinicProfile.id == PROFILE_ID, ClinicProfile.logo_sha256 == sha256
        )
    ).first()
    if row is None or row.logo_data is None or row.logo_type is None:
        return None
    return row.logo_data, row.logo_type


# --- checking what an admin typed -----------------------------------------------------------


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # 'localtime' would be whatever zone the server happens to be set to.
    return frozenset(available_timezones() - {"localtime", "Factory"})


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every current zone name the server knows, alphabetically, UTC first."""
    names = sorted(n for n in _known_zones() if n.split("/")[0] in _ZONE_REGIONS)
    return ("UTC", *names)


def check_timezone(name: str) -> str:
    """:raise ProfileError: when ``name`` is not a time zone this server knows."""
    name = name.strip()
    refusal = "Choose the clinic's time zone from the list, such as Eastern time (New York)."
    if name not in _known_zones():
        raise ProfileError(refusal)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ProfileError(refusal) from error
    return name


def check_link(url: str) -> str:
    """An http(s) address of a page elsewhere; empty stays empty.

    :raise ProfileError: for anything else (javascript:, data:, no host, spaces).
    """
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 for c in url)
    ):
        raise ProfileError("Enter the full address of the page, starting with https://.")
    return url


def check_phone(phone: str, region: str) -> str:
    """The number as typed (patients read it so), once it is one a phone can dial.

    :raise ProfileError: when it can't be a phone number.
    """
    phone = phone.strip()
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException as error:
        raise ProfileError("Enter the clinic's phone number, like +1 555 010 0199.") from error
    if not phonenumbers.is_possible_number(number):
        raise ProfileError("That phone number is too short or too long: check the digits.")
    return phone


def check_email(email: str) -> str:
    """:raise ProfileError: when the address is not one mail can be sent to."""
    email = email.strip()
    if not email:
        return ""
    try:
        return normalise_email(email)
    except ValueError as error:
        raise ProfileError(
            "Enter the clinic's email address, like reception@example.com."
        ) from error


def read_logo(data: bytes) -> Logo:
    """Accept a PNG, JPEG or WebP image by its bytes (never by its name or declared type).

    :raise ProfileError: when it is too large or not one of those formats.
    """
    if len(data) > LOGO_MAX_BYTES:
        raise ProfileError(
            f"The logo is too large: choose an image of at most {LOGO_MAX_BYTES // 1024} KB."
        )
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        content_type = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        content_type = "image/jpeg"
    elif len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        content_type = "image/webp"
    else:
        raise ProfileError("The logo must be a PNG, JPEG or WebP image (SVG is not accepted).")
    return Logo(data=data, content_type=content_type, sha256=hashlib.sha256(data).hexdigest())


# --- saving ---------------------------------------------------------------------------------

# The text settings an admin edits, as named in ClinicProfile and in the audit log.
TEXT_FIELDS = (
    "name",
    "phone",
    "email",
    "hours",
    "timezone",
    "street",
    "locality",
    "region",
    "postal_code",
    "country",
    *(f"{key}_url" for key, _ in SOCIAL_NETWORKS),
    "other_label",
)


def _first_row() -> ClinicProfile:
    facts = first_start_facts()
    return ClinicProfile(
        id=PROFILE_ID,
        name=facts.name,
        phone=facts.phone,
        hours=facts.hours,
        timezone=facts.timezone,
        email="",
        street="",
        locality="",
        region="",
        postal_code="",
        country="US",
        **{f"{key}_url": "" for key, _ in SOCIAL_NETWORKS},
        other_label="",
    )


def save_profile(
    values: Mapping[str, str], *, logo: Logo | None = None, remove_logo: bool = False
) -> list[str]:
    """Store the profile's new values (checked by the caller) in the caller's transaction and
    audit what changed; a new ``logo`` replaces the old, ``remove_logo`` removes it.

    Returns the names of the settings that changed (none: nothing is written). Call
    :func:`forget` once the transaction has committed.
    """
    row = db.session.get(ClinicProfile, PROFILE_ID, with_for_update=True)
    first_save = row is None
    if row is None:
        # From now on the saved values are used, even those left as the environment gave them.
        row = _first_row()
        db.session.add(row)
    before = {name: getattr(row, name) for name in TEXT_FIELDS}
    after = {name: values[name] for name in TEXT_FIELDS if name in values}
    changed = {name: value for name, value in after.items() if before[name] != value}
    for name, value in changed.items():
        setattr(row, name, value)
    details = [audit.changes({n: before[n] for n in changed}, changed)] if changed else []
    names = list(changed)
    if logo is not None and logo.sha256 != row.logo_sha256:
        row.logo_data, row.logo_type, row.logo_sha256 = logo.data, logo.content_type, logo.sha256
        names.append("logo")
        details.append(f"logo: new {logo.content_type}, {len(logo.data) // 1024 or 1} KB")
    elif remove_logo and logo is None and row.logo_sha256 is not None:
        row.logo_data = row.logo_type = row.logo_sha256 = None
        names.append("logo")
        details.append("logo: removed")
    if names or first_save:
        detail = "; ".join(details) or "first saved, with the first-start values"
        audit.record("clinic_profile_changed", detail=detail)
    return names


# --- for search engines ---------------------------------------------------------------------

_DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def opening_hours(days: frozenset[int], opens: time, closes: time | None) -> str:
    """schema.org's openingHours for one window on some weekdays: 'Mo-Fr 09:00-17:00'."""
    numbers = sorted(days)
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        day_text = f"{_DAY_CODES[numbers[0]]}-{_DAY_CODES[numbers[-1]]}"
    else:
        day_text = ",".join(_DAY_CODES[n] for n in numbers)
    closes_text = closes.strftime("%H:%M") if closes else "24:00"
    return f"{day_text} {opens:%H:%M}-{closes_text}"


def structured_data(
    facts: ClinicFacts, public_url: str, hours: str | None = None
) -> dict[str, object]:
    """The clinic as a schema.org MedicalClinic, for a page's JSON-LD block.

    Addresses are absolute, from CLINIC_PUBLIC_URL (never from the request's Host header).
    """
    clinic: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": facts.name,
        "url": public_url + "/",
        "telephone": facts.phone,
    }
    if facts.email:
        clinic["email"] = facts.email
    address = {
        "streetAddress": facts.street,
        "addressLocality": facts.locality,
        "addressRegion": facts.region,
        "postalCode": facts.postal_code,
    }
    if any(address.values()):
        clinic["address"] = {
            "@type": "PostalAddress",
            **{key: value for key, value in address.items() if value},
            "addressCountry": facts.country,
        }
    if hours:
        clinic["openingHours"] = hours
    if facts.logo_url:
        clinic["logo"] = public_url + facts.logo_url
    if facts.social_links:
        clinic["sameAs"] = [url for _, url in facts.social_links]
    return clinic
