"""Who the clinic is: name, address, phone, email, hours, logo, social links.

Read by pages, emails, calendar invitations and the privacy notice through `current_profile()`.
Environment variables give the first start its values; after that admins edit the profile in the
browser (staff.clinic_settings).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app


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

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c in "+0123456789")

    @property
    def address_lines(self) -> list[str]:
        city = " ".join(p for p in (self.locality, self.region, self.postal_code) if p)
        return [line for line in (self.street, city) if line]


def current_profile() -> ClinicFacts:
    """The clinic's facts as patients should see them now."""
    config = current_app.config
    return ClinicFacts(
        name=config["CLINIC_NAME"],
        phone=config["CLINIC_PHONE"],
        hours=config["CLINIC_HOURS"],
    )
