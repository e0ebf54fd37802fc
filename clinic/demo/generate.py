"""Rows for demo leads, their inquiries, timelines and consultations, as plain tuples ready for
a bulk insert.

Every value is what the intake and the coordinators' actions would have stored: ``name_key``,
``email_key`` and ``phone_digits`` come from :mod:`clinic.leads.normalise`, the report facts
from :mod:`clinic.leads.facts`, the timeline from :mod:`clinic.demo.timeline`.

Each batch draws from its own ``random.Random`` seeded with (seed, batch number), so its rows
depend only on the seed, the batch and "now" — not on which process made it, or when.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime

from clinic.clock import BusinessCalendar
from clinic.demo import texts
from clinic.demo.chance import Weighted, between, one_of
from clinic.demo.clock import DAY, MINUTE, SECOND, DemoClock
from clinic.demo.names import invent_person
from clinic.demo.timeline import Coordinator, Timeline, work
from clinic.leads import normalise
from clinic.leads.consent import CONSENT_VERSION
from clinic.leads.facts import business_seconds_to_contact, first_touch
from clinic.leads.intake import Attribution
from clinic.leads.pipeline import REACHED_OUTCOMES

BATCH_SIZE = 5_000
INQUIRY_COUNTS = Weighted(((1, 72), (2, 20), (3, 8)))
# An affine map over the phone numbers gives every lead id its own; the step is coprime with
# the number of slots, so no two ids share one.
PHONE_STEP = 2_218_763

LEAD_COLUMNS = (
    "id", "created_at", "updated_at", "name", "email", "phone", "email_key", "phone_digits",
    "name_key", "status", "lost_reason", "owner_id", "condition_slug", "source",
    "preferred_contact", "best_time", "payment", "first_inquiry_at", "last_inquiry_at",
    "first_contacted_at", "last_activity_at", "follow_up_on", "attempts", "inquiry_count",
    "furthest_stage", "business_seconds_to_contact", "first_campaign", "first_article",
    "first_landing_page", "attempts_before_reach", "follow_up_time",
)  # fmt: skip
INQUIRY_COLUMNS = (
    "id", "lead_id", "created_at", "idempotency_key", "name", "email", "phone",
    "condition_slug", "message", "preferred_contact", "best_time", "payment",
    "consent_version", "consent_at", "consent_page", "sms_consent", "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "referrer", "landing_page", "submitted_from",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "lead_id", "created_at", "actor_id", "kind", "from_status", "to_status", "channel",
    "outcome", "inquiry_id", "body", "stage_seconds", "lead_created_at",
)  # fmt: skip
APPOINTMENT_COLUMNS = (
    "id", "lead_id", "starts_at", "duration_minutes", "kind", "location", "host_id", "status",
    "note", "booked_via", "booked_by_id", "created_at", "updated_at", "settled_at",
    "settled_by_id",
)  # fmt: skip


@dataclass(frozen=True)
class DemoPlan:
    """Everything the rows depend on: seed, size, the moment the data ends, who works it."""

    seed: int
    total: int
    now: datetime
    coordinators: tuple[Coordinator, ...]
    timezone: str = "America/New_York"
    # Opening hours for speed to lead in business time (None leaves it for the reports backfill).
    calendar: BusinessCalendar | None = None
    # Text appended to every timestamp: "" for SQLite (naive UTC), "+00" for PostgreSQL.
    stamp_suffix: str = ""
    first_lead_id: int = 1


@dataclass
class Batch:
    """Rows of one batch. Inquiries are numbered from 1, events and appointments not at all:
    only the writer knows how many rows earlier batches wrote, and :meth:`renumbered` gives the
    final ids."""

    leads: list[tuple] = field(default_factory=list)
    inquiries: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    appointments: list[tuple] = field(default_factory=list)

    def renumbered(
        self, inquiry_base: int, event_base: int, appointment_base: int
    ) -> tuple[list[tuple], list[tuple], list[tuple]]:
        shift = inquiry_base - 1
        inquiries = [(row[0] + shift, *row[1:]) for row in self.inquiries]
        events = [
            (event_base + number, *row[:8], row[8] and row[8] + shift, *row[9:])
            for number, row in enumerate(self.events)
        ]
        appointments = [
            (appointment_base + number, *row) for number, row in enumerate(self.appointments)
        ]
        return inquiries, events, appointments


class DemoGenerator:
    """Invents the rows batch by batch; ids continue from the ones given."""

    def __init__(self, plan: DemoPlan):
        self.plan = plan
        self.clock = DemoClock(plan.now, plan.timezone, plan.total, plan.stamp_suffix)
        rng = random.Random(f"clinic-demo:{plan.seed}:phones")  # noqa: S311 (demo data)
        self.phone_shift = between(rng, 0, texts.PHONE_CAPACITY)
        # The inbox's "source" for each channel, worked out the way the intake does.
        self.sources = [
            Attribution(utm_source=channel[1], referrer=channel[4]).source()
            for channel in texts.CHANNELS
        ]
        self.direct_channel = self.sources.index("direct")
        self._folded: dict[str, str] = {}

    # --- people -------------------------------------------------------------------------

    def fold(self, name: str) -> str:
        folded = self._folded.get(name)
        if folded is None:
            folded = self._folded[name] = normalise.fold(name)
        return folded

    def phone_for(self, lead_id: int) -> str:
        slot = (lead_id * PHONE_STEP + self.phone_shift) % texts.PHONE_CAPACITY
        area, line = divmod(slot, 10_000)
        return f"+1{texts.AREA_CODES[area]}555{line:04d}"

    @staticmethod
    def email_for(rng: random.Random, given: str, family: str, lead_id: int) -> str:
        """A unique address at a reserved example domain: the lead id ends the local part."""
        pattern = rng.random()
        if pattern < 0.35:
            local = f"{given}.{family}{lead_id}"
        elif pattern < 0.5:
            local = f"{given}{family}{lead_id}"
        elif pattern < 0.7:
            local = f"{given[0]}{family}{lead_id}"
        elif pattern < 0.8:
            local = f"{family}.{given}{lead_id}"
        elif pattern < 0.9:
            local = f"{given}_{family}{lead_id}"
        else:
            local = f"{given}.{family}.{lead_id}"
        if rng.random() < 0.04:
            local = local[0].upper() + local[1:]
        return f"{local}@{one_of(rng, texts.EMAIL_DOMAINS)}"

    # --- leads --------------------------------------------------------------------------

    def batch(self, number: int, first_index: int, count: int) -> Batch:
        """Rows for leads ``first_index`` … ``first_index + count - 1`` of the run."""
        rng = random.Random(f"clinic-demo:{self.plan.seed}:{number}")  # noqa: S311
        out = Batch()
        for index in range(first_index, first_index + count):
            self._lead(rng, index, out)
        return out

    def _lead(self, rng: random.Random, index: int, out: Batch) -> None:
        lead_id = self.plan.first_lead_id + index
        clock = self.clock
        first_at = clock.arrival(index, rng)
        slug, female_share = texts.CONDITIONS.draw(rng)
        person = invent_person(rng, rng.random() < female_share)
        email = self.email_for(rng, person.given_ascii, person.family_ascii, lead_id)
        phone = self.phone_for(lead_id) if rng.random() < 0.92 else None
        preferred = texts.PREFERRED_CONTACT.draw(rng) if phone else "email"
        contact = _Contact(
            name=person.name,
            email=email,
            phone=phone,
            preferred=preferred,
            best_time=texts.BEST_TIME.draw(rng),
            payment=texts.PAYMENT.draw(rng),
            sms_consent=preferred == "sms" or (phone is not None and rng.random() < 0.3),
            spanish=person.culture == "hispanic" and rng.random() < 0.3,
        )

        timeline = work(rng, clock, self.plan.coordinators, first_at)
        inquiry_times = self._inquiry_times(rng, first_at, timeline)
        condition = slug
        for number, moment in enumerate(inquiry_times):
            if number and rng.random() < 0.1:
                condition = texts.CONDITIONS.draw(rng)[0]
            inquiry_id = len(out.inquiries) + 1
            row, channel = self._inquiry(rng, (inquiry_id, lead_id, number), moment, contact,
                                         condition)  # fmt: skip
            out.inquiries.append(row)
            if not number:
                first, source = row, self.sources[channel]
            timeline.inquiry(moment, inquiry_id)
        timeline.events.sort(key=_event_time)
        stamp = clock.stamp
        # The report facts read from the timeline (clinic.leads.facts): each status change's
        # stay in the stage it left, and the attempts before the first that reached the person.
        entered, tries, reached_after = first_at, 0, None
        created = stamp(first_at)
        for moment, *rest in timeline.events:
            stay = cohort = None
            if rest[1] == "status":
                stay, entered, cohort = (moment - entered) / SECOND, moment, created
            elif rest[1] == "contact" and reached_after is None:
                if rest[5] in REACHED_OUTCOMES:
                    reached_after = tries
                tries += 1
            out.events.append((lead_id, stamp(moment), *rest, stay, cohort))

        last_activity = stamp(timeline.events[-1][0])
        out.leads.append(
            (
                lead_id, stamp(first_at), last_activity, person.name, email, phone,
                normalise.email_key(email), normalise.phone_digits(phone), self.fold(person.name),
                timeline.status, timeline.lost_reason, timeline.owner, condition, source,
                contact.preferred, contact.best_time, contact.payment, stamp(first_at),
                stamp(inquiry_times[-1]), stamp(timeline.first_contact), last_activity,
                timeline.follow_up_on.isoformat() if timeline.follow_up_on else None,
                timeline.attempts, len(inquiry_times), timeline.stage,
                self._business_seconds(first_at, timeline.first_contact),
                *first_touch(first[18], first[23], first[22]).values(), reached_after,
                f"{timeline.follow_up_time}:00.000000" if timeline.follow_up_time else None,
            )
        )  # fmt: skip
        for consultation in timeline.consultations:
            settled = consultation.settled_at
            out.appointments.append(
                (
                    lead_id, stamp(consultation.starts), consultation.minutes, consultation.kind,
                    consultation.location, consultation.host.id, consultation.status,
                    consultation.note, "staff", consultation.booked_by,
                    stamp(consultation.booked_at), stamp(settled or consultation.booked_at),
                    stamp(settled), consultation.settled_by,
                )
            )  # fmt: skip

    def _business_seconds(self, first_at: int, first_contact: int | None) -> int | None:
        if first_contact is None or self.plan.calendar is None:
            return None
        return business_seconds_to_contact(
            self.clock.aware(first_at), self.clock.aware(first_contact), self.plan.calendar
        )

    def _inquiry(
        self,
        rng: random.Random,
        ids: tuple[int, int, int],
        moment: int,
        contact: _Contact,
        condition: str,
    ) -> tuple[tuple, int]:
        """One form as sent, with how the person got to it; returns the row and the channel.

        ``ids`` are the inquiry's id, its lead's id and how many inquiries the lead sent before.
        """
        inquiry_id, lead_id, number = ids
        # People who write again often come straight back (a bookmark, the clinic's email).
        returning = number > 0 and rng.random() < 0.5
        channel = self.direct_channel if returning else texts.CHANNEL.draw(rng)
        _, source, medium, stem, referrer, content = texts.CHANNELS[channel]
        year = self.clock.local_date(moment).year
        page = texts.FORM_PAGES.draw(rng)
        if condition == "other" and "{slug}" in page:
            page = "/about/stem-cell-therapy"
        page = page.format(slug=condition)
        landing = page if rng.random() < 0.75 else "/"
        campaign = term = None
        if source:
            campaign = f"{condition}-{stem}-{year}"
            term = f"stem cell therapy {condition.replace('-', ' ')}" if medium == "cpc" else None
            tags = f"utm_source={source}&utm_medium={medium}&utm_campaign={campaign}"
            landing = f"{landing}?{tags}" + (f"&utm_content={content}" if content else "")
        message = texts.write_message(rng, condition, year, contact.spanish)
        # The form token's hash, as the intake stores it: unique per lead and inquiry number.
        token = f"clinic-demo:{self.plan.seed}:{lead_id}:{number}"
        key = hashlib.sha256(token.encode()).hexdigest()
        at = self.clock.stamp(moment)
        row = (
            inquiry_id, lead_id, at, key, contact.name, contact.email, contact.phone, condition,
            message, contact.preferred, contact.best_time, contact.payment, CONSENT_VERSION, at,
            "/inquire", contact.sms_consent, source, medium, campaign, term,
            content if source else None, referrer, landing, page,
        )  # fmt: skip
        return row, channel

    def _inquiry_times(self, rng: random.Random, first_at: int, timeline: Timeline) -> list[int]:
        """The first inquiry, then any return visits before the lead was closed (a later one
        reopens it, as the intake does)."""
        times = [first_at]
        extra = INQUIRY_COUNTS.draw(rng) - 1
        until = min(timeline.closed_at or self.clock.now, first_at + 120 * DAY)
        if until - first_at > 2 * MINUTE:
            times += sorted(between(rng, first_at + MINUTE, until) for _ in range(extra))
        if timeline.reopened_at is not None:
            times.append(timeline.reopened_at)
        return times


@dataclass
class _Contact:
    name: str
    email: str
    phone: str | None
    preferred: str
    best_time: str
    payment: str
    sms_consent: bool
    spanish: bool


def _event_time(event: list) -> int:
    return event[0]
