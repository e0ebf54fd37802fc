"""Rows for demo leads, their inquiries and timelines, as plain tuples ready for a bulk insert.

Every value is what the intake and the coordinators' actions would have stored: the folded
``name_key``, ``email_key`` and ``phone_digits`` come from :mod:`clinic.leads.normalise`, status
changes follow the pipeline one stage at a time, ``first_contacted_at`` is the first call or
the first status change that counts as contact, ``attempts`` counts the logged contacts.

Times are whole microseconds since the Unix epoch (UTC) while generating and become text in
the database's own format when a row is built, so one generator serves SQLite and PostgreSQL.
Each batch draws from its own ``random.Random`` seeded with (seed, batch number), so a batch's
rows depend only on the seed, the batch and the moment the data ends ("now").
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from clinic.demo import texts
from clinic.demo.chance import Weighted, between, one_of
from clinic.demo.names import invent_person
from clinic.leads import normalise
from clinic.leads.consent import CONSENT_VERSION
from clinic.leads.intake import Attribution
from clinic.leads.pipeline import (
    CLOSED_STATUSES,
    LOST_REASONS,
    NO_CONTACT_REASONS,
    counts_as_first_contact,
)
from clinic.reports.business_hours import BusinessCalendar
from clinic.reports.facts import PATH_MAX, business_seconds_to_contact, page_path

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
YEARS = 3
SPAN = (365 * YEARS + 1) * DAY
BATCH_SIZE = 5_000
_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

LEAD_COLUMNS = (
    "id", "created_at", "updated_at", "name", "email", "phone", "email_key", "phone_digits",
    "name_key", "status", "lost_reason", "owner_id", "condition_slug", "source",
    "preferred_contact", "best_time", "payment", "first_inquiry_at", "last_inquiry_at",
    "first_contacted_at", "last_activity_at", "follow_up_on", "attempts", "inquiry_count",
    "furthest_stage", "business_seconds_to_contact", "first_campaign", "first_article",
    "first_landing_page",
)  # fmt: skip
INQUIRY_COLUMNS = (
    "id", "lead_id", "created_at", "idempotency_key", "name", "email", "phone",
    "condition_slug", "message", "preferred_contact", "best_time", "payment",
    "consent_version", "consent_at", "consent_page", "sms_consent", "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "referrer", "landing_page", "submitted_from",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "lead_id", "created_at", "actor_id", "kind", "from_status", "to_status", "channel",
    "outcome", "inquiry_id", "body",
)  # fmt: skip

# The stages a lead climbs, in order; furthest_stage is the index of the highest reached.
LADDER = ("new", "contacted", "consult_booked", "consult_done", "treatment_booked", "treated")
# Where leads end up once the clinic has had time to work them.
FINAL_STATUSES = Weighted((
    ("new", 14), ("contacted", 24), ("consult_booked", 6), ("consult_done", 4.5),
    ("treatment_booked", 2), ("treated", 3.5), ("not_a_candidate", 6), ("lost", 40),
))  # fmt: skip
LOSS_REASONS = Weighted((
    ("unreachable", 35), ("cost", 22), ("chose_another_provider", 10), ("not_interested", 15),
    ("no_show", 6), ("duplicate", 4), ("spam", 3), ("other", 5),
))  # fmt: skip
# The stage a lead had reached when it was lost for each reason (index into LADDER).
LOST_AT = {
    "unreachable": (0, 0, 0, 1),
    "cost": (1, 1, 3),
    "chose_another_provider": (1, 3),
    "not_interested": (1, 1, 2),
    "no_show": (2,),
    "duplicate": (0,),
    "spam": (0,),
    "other": (0, 1, 2, 3),
}
# Days between one stage and the next, by the stage being left.
STAGE_GAP_DAYS = {1: (1, 14), 2: (3, 21), 3: (2, 30), 4: (7, 45)}
# Share of people arriving each hour of the day, clinic time (evenings are busy: people write
# after work).
HOURLY = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5, 5.5, 5, 5, 4.8, 4.8, 5, 5.5,
          6, 6.5, 6, 4, 2)  # fmt: skip
HOURLY_CDF = tuple(value / sum(HOURLY) for value in accumulate(HOURLY, initial=0))
# Coordinators work weekdays from 08:30 to 18:00 clinic time.
WORK_START = 8 * HOUR + 30 * MINUTE
WORK_END = 18 * HOUR
INQUIRY_COUNTS = Weighted(((1, 72), (2, 20), (3, 8)))
TRIES = Weighted(((0, 60), (1, 25), (2, 10), (3, 5)))
CONTACT_CHANNEL = Weighted((("call", 75), ("email", 15), ("sms", 10)))


@dataclass(frozen=True)
class Coordinator:
    id: int
    name: str


@dataclass(frozen=True)
class DemoPlan:
    """Everything the rows depend on: seed, size, the moment the data ends, who works it."""

    seed: int
    total: int
    now: datetime
    coordinators: tuple[Coordinator, ...]
    timezone: str = "America/New_York"
    region: str = "US"
    # Opening hours for speed to lead in business time (None leaves it for the reports backfill).
    calendar: BusinessCalendar | None = None
    # Text appended to every timestamp: "" for SQLite (naive UTC), "+00" for PostgreSQL.
    stamp_suffix: str = ""
    first_lead_id: int = 1

    @property
    def now_us(self) -> int:
        return (self.now.astimezone(UTC).replace(tzinfo=None) - _EPOCH) // timedelta(microseconds=1)


@dataclass
class Batch:
    """Rows of one batch. Inquiries are numbered from 1 and events not at all: only the writer
    knows how many rows earlier batches wrote, and :meth:`renumbered` gives the final ids."""

    leads: list[tuple] = field(default_factory=list)
    inquiries: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)

    def renumbered(self, inquiry_base: int, event_base: int) -> tuple[list[tuple], list[tuple]]:
        shift = inquiry_base - 1
        inquiries = [(row[0] + shift, *row[1:]) for row in self.inquiries]
        events = [
            (event_base + number, *row[:8], row[8] and row[8] + shift, row[9])
            for number, row in enumerate(self.events)
        ]
        return inquiries, events


@dataclass
class _Timeline:
    """One lead's history while it is being invented. Nothing is recorded at or after ``now``:
    a step that would land in the future is dropped, and so is everything after it."""

    now: int
    events: list[list] = field(default_factory=list)
    owner: int | None = None
    status: str = "new"
    lost_reason: str | None = None
    stage: int = 0
    first_contact: int | None = None
    attempts: int = 0
    follow_up_on: date | None = None
    end: int = 0
    closed_at: int | None = None
    reopened_at: int | None = None
    stopped: bool = False

    def add(self, moment: int, actor: int | None, kind: str, *, from_status: str | None = None,
            to_status: str | None = None, channel: str | None = None, outcome: str | None = None,
            inquiry_id: int | None = None, body: str | None = None) -> bool:  # fmt: skip
        if self.stopped or moment >= self.now:
            self.stopped = True
            return False
        self.events.append(
            [moment, actor, kind, from_status, to_status, channel, outcome, inquiry_id, body]
        )
        self.end = max(self.end, moment)
        return True

    def assign(self, moment: int, actor: int, owner: Coordinator) -> None:
        body = f"Assigned to {owner.name} (was unassigned)"
        if self.add(moment, actor, "assign", body=body):
            self.owner = owner.id

    def contact(self, moment: int, actor: int, outcome: str, rng: random.Random) -> None:
        channel = CONTACT_CHANNEL.draw(rng)
        body = one_of(rng, texts.CONTACT_NOTES) or None
        if self.add(moment, actor, "contact", channel=channel, outcome=outcome, body=body):
            self.attempts += 1
            if self.first_contact is None:
                self.first_contact = moment

    def change(self, moment: int, actor: int | None, to_status: str, reason: str | None = None,
               body: str | None = None) -> None:  # fmt: skip
        """A status change as ``clinic.leads.actions.change_status`` records it."""
        from_status = self.status
        if reason:
            body = f"Reason: {LOST_REASONS[reason]}"
        if not self.add(moment, actor, "status", from_status=from_status, to_status=to_status,
                        body=body):  # fmt: skip
            return
        if self.first_contact is None and counts_as_first_contact(from_status, to_status, reason):
            self.first_contact = moment
        self.status, self.lost_reason = to_status, reason
        if to_status in LADDER:
            self.stage = max(self.stage, LADDER.index(to_status))
        if to_status in CLOSED_STATUSES:
            self.closed_at = moment

    def follow_up(self, moment: int, actor: int, day: date) -> None:
        was = _day(self.follow_up_on) if self.follow_up_on else "none"
        if self.add(moment, actor, "follow_up", body=f"Next follow-up {_day(day)} (was {was})"):
            self.follow_up_on = day

    def reopen(self, moment: int) -> None:
        """A closed lead writes again: the intake moves it back to new, with no one's name on it."""
        self.stopped = False
        self.change(moment, None, "new", body="Reopened by a new inquiry")
        if self.status == "new":
            self.reopened_at = moment


class DemoGenerator:
    """Invents the rows batch by batch; ids continue from the ones given."""

    def __init__(self, plan: DemoPlan):
        self.plan = plan
        self.now = plan.now_us
        self.start = self.now - SPAN
        self.tz = ZoneInfo(plan.timezone)
        self.offsets = self._utc_offsets()
        rng = random.Random(f"clinic-demo:{plan.seed}:phones")  # noqa: S311 (demo data)
        # An affine map over the phone space gives every lead id its own number.
        self.phone_step = 2_218_763
        self.phone_shift = between(rng, 0, texts.PHONE_CAPACITY)
        # The inbox's "source" for each channel, worked out the way the intake does.
        self.sources = [
            Attribution(utm_source=channel[1], referrer=channel[4]).source()
            for channel in texts.CHANNELS
        ]
        self.direct_channel = self.sources.index("direct")
        self._folded: dict[str, str] = {}
        self._days: dict[int, str] = {}
        self.suffix = plan.stamp_suffix

    # --- time --------------------------------------------------------------------------

    def _utc_offsets(self) -> list[int]:
        """The clinic's UTC offset (microseconds) for each day of the span, daylight saving
        included, so clinic hours stay right without a time zone lookup per event."""
        first = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=self.start)
        days = SPAN // DAY + 60
        micro = timedelta(microseconds=1)
        return [
            (first + timedelta(days=day)).astimezone(self.tz).utcoffset() // micro
            for day in range(days)
        ]

    def _offset(self, moment: int) -> int:
        index = (moment - self.start) // DAY
        return self.offsets[min(max(index, 0), len(self.offsets) - 1)]

    def arrival(self, index: int, rng: random.Random) -> int:
        """When the ``index``-th lead of the run first wrote: growing over three years, busiest in
        the evening, and in id order."""
        growth = 1.0
        u = (index + rng.random()) / self.plan.total
        x = (-1 + (1 + 2 * growth * u * (1 + growth / 2)) ** 0.5) / growth
        moment = self.start + int(x * (SPAN - DAY))
        local = moment + self._offset(moment)
        day_start = local - local % DAY
        fraction = (local % DAY) / DAY
        hour = bisect_right(HOURLY_CDF, fraction) - 1
        low, high = HOURLY_CDF[hour], HOURLY_CDF[hour + 1]
        in_hour = int((hour + (fraction - low) / (high - low)) * HOUR)
        return min(day_start + in_hour - self._offset(moment), self.now - SECOND)

    def working(self, moment: int, rng: random.Random) -> int:
        """The first moment at or after ``moment`` a coordinator is at work."""
        local = moment + self._offset(moment)
        day_start = local - local % DAY
        weekday = (day_start // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        in_day = local - day_start
        if weekday < 5 and WORK_START <= in_day < WORK_END:
            return moment
        if weekday < 5 and in_day < WORK_START:
            target = day_start
        else:
            target = day_start + DAY
            while (target // DAY + 3) % 7 >= 5:
                target += DAY
        local_next = target + WORK_START + between(rng, 0, 90 * MINUTE)
        return local_next - self._offset(moment)

    def local_date(self, moment: int) -> date:
        local = moment + self._offset(moment)
        return date(1970, 1, 1) + timedelta(days=local // DAY)

    def stamp(self, moment: int | None) -> str | None:
        """The timestamp as the database stores it (SQLAlchemy's SQLite format, 'YYYY-MM-DD
        HH:MM:SS.ffffff'; PostgreSQL reads the same text with '+00'). The date part is cached:
        a million leads have only about a thousand days between them."""
        if moment is None:
            return None
        day, rest = divmod(moment, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
        seconds, micros = divmod(rest, SECOND)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{micros:06d}{self.suffix}"

    # --- people -------------------------------------------------------------------------

    def fold(self, name: str) -> str:
        folded = self._folded.get(name)
        if folded is None:
            folded = self._folded[name] = normalise.fold(name)
        return folded

    def phone_for(self, lead_id: int) -> str:
        slot = (lead_id * self.phone_step + self.phone_shift) % texts.PHONE_CAPACITY
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
        first_at = self.arrival(index, rng)
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

        timeline = self._work(rng, first_at)
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
            # The person wrote whatever the coordinators did later: always on the timeline.
            timeline.events.append([moment, None, "inquiry", None, None, None, None, inquiry_id,
                                    None])  # fmt: skip
        timeline.events.sort(key=_event_time)
        stamp = self.stamp
        for moment, *rest in timeline.events:
            out.events.append((lead_id, stamp(moment), *rest))

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
                (first[18] or "")[:PATH_MAX] or None, page_path(first[23]), page_path(first[22]),
            )
        )  # fmt: skip

    def _business_seconds(self, first_at: int, first_contact: int | None) -> int | None:
        if first_contact is None or self.plan.calendar is None:
            return None
        return business_seconds_to_contact(
            _UTC_EPOCH + timedelta(microseconds=first_at),
            _UTC_EPOCH + timedelta(microseconds=first_contact),
            self.plan.calendar,
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
        year = self.local_date(moment).year
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
        at = self.stamp(moment)
        row = (
            inquiry_id, lead_id, at, key, contact.name, contact.email, contact.phone, condition,
            message, contact.preferred, contact.best_time, contact.payment, CONSENT_VERSION, at,
            "/inquire", contact.sms_consent, source, medium, campaign, term,
            content if source else None, referrer, landing, page,
        )  # fmt: skip
        return row, channel

    def _inquiry_times(self, rng: random.Random, first_at: int, timeline: _Timeline) -> list[int]:
        """The first inquiry, then any return visits before the lead was closed (a later one
        reopens it, as the intake does)."""
        times = [first_at]
        extra = INQUIRY_COUNTS.draw(rng) - 1
        until = min(timeline.closed_at or self.now, first_at + 120 * DAY)
        if until - first_at > 2 * MINUTE:
            times += sorted(between(rng, first_at + MINUTE, until) for _ in range(extra))
        if timeline.reopened_at is not None:
            times.append(timeline.reopened_at)
        return times

    # --- what the coordinators did --------------------------------------------------------

    def _work(self, rng: random.Random, first_at: int) -> _Timeline:
        """Assignment, calls, status changes, notes and follow-ups, ending with a status that
        fits the lead's age (a lead from an hour ago can't have been treated)."""
        final = FINAL_STATUSES.draw(rng)
        if self.now - first_at < 2 * DAY and rng.random() < 0.6:
            final = "new"
        reason = LOSS_REASONS.draw(rng) if final == "lost" else None
        owner = None
        if final != "new" or rng.random() < 0.5:
            owner = one_of(rng, self.plan.coordinators)
        actor = owner or one_of(rng, self.plan.coordinators)
        timeline = _Timeline(now=self.now)

        if reason in NO_CONTACT_REASONS:
            # Spam and duplicates are closed without anyone calling: no first contact.
            moment = self.working(first_at + between(rng, 5 * MINUTE, DAY), rng)
            timeline.change(moment, actor.id, "lost", reason)
            return timeline

        moment = self.working(first_at + _response_delay(rng), rng)
        if owner is not None:
            by = owner if rng.random() < 0.7 else self.plan.coordinators[0]
            at = max(first_at + 30 * SECOND, moment - between(rng, MINUTE, 5 * MINUTE))
            timeline.assign(at, by.id, owner)
        if final == "new":
            if rng.random() < 0.35:
                for _ in range(between(rng, 1, 2 + 1)):
                    timeline.contact(moment, actor.id, _failed(rng), rng)
                    moment = self.working(moment + between(rng, 3 * HOUR, 2 * DAY), rng)
                self._follow_ups(rng, timeline, actor.id)
            return timeline

        if final == "lost":
            target = one_of(rng, LOST_AT[reason])
        elif final == "not_a_candidate":
            target = one_of(rng, (1, 3))
        else:
            target = LADDER.index(final)
        failures = between(rng, 2, 6) if reason == "unreachable" and target == 0 else _tries(rng)
        for _ in range(failures):
            timeline.contact(moment, actor.id, _failed(rng), rng)
            moment = self.working(moment + between(rng, 3 * HOUR, 3 * DAY), rng)
        if target > 0:
            timeline.contact(moment, actor.id, "reached", rng)
            moment += between(rng, 2 * MINUTE, 15 * MINUTE)
            step = 2 if target >= 2 and rng.random() < 0.1 else 1
            timeline.change(moment, actor.id, LADDER[step])
            self._notes(rng, timeline, actor.id, moment)
            while timeline.stage < target and not timeline.stopped:
                low, high = STAGE_GAP_DAYS[timeline.stage]
                moment = self.working(moment + between(rng, low * DAY, high * DAY), rng)
                if timeline.stage == 1:
                    timeline.contact(moment, actor.id, "reached", rng)
                    moment += between(rng, MINUTE, 10 * MINUTE)
                timeline.change(moment, actor.id, LADDER[timeline.stage + 1])
        if final in CLOSED_STATUSES:
            moment = self.working(moment + between(rng, 2 * DAY, 30 * DAY), rng)
            if reason == "unreachable" and target > 0:
                for _ in range(between(rng, 1, 4)):
                    timeline.contact(moment, actor.id, _failed(rng), rng)
                    moment = self.working(moment + between(rng, DAY, 5 * DAY), rng)
            timeline.change(moment, actor.id, final, reason)
            if timeline.status in CLOSED_STATUSES and rng.random() < 0.03:
                timeline.reopen(timeline.end + between(rng, 7 * DAY, 200 * DAY))
        elif final != "treated":
            self._follow_ups(rng, timeline, actor.id)
        return timeline

    def _notes(self, rng: random.Random, timeline: _Timeline, actor: int, moment: int) -> None:
        for _ in range(one_of(rng, (0, 0, 0, 0, 1, 1, 2))):
            timeline.add(moment + between(rng, MINUTE, 20 * MINUTE), actor, "note",
                         body=one_of(rng, texts.NOTES))  # fmt: skip

    def _follow_ups(self, rng: random.Random, timeline: _Timeline, actor: int) -> None:
        """Most open leads have a next follow-up: set after the last call, and for half of the
        older ones set again in the last ten days, so the dates gather around today."""
        if timeline.stopped or rng.random() < 0.15:
            return
        moment = timeline.end + between(rng, MINUTE, 20 * MINUTE)
        timeline.follow_up(
            moment, actor, self.local_date(moment) + timedelta(between(rng, 1, 14 + 1))
        )
        recent = self.now - between(rng, 0, 10 * DAY)
        if recent > timeline.end + 3 * DAY and rng.random() < 0.5:
            moment = self.working(recent, rng)
            day = self.local_date(moment) + timedelta(between(rng, 1, 21 + 1))
            timeline.follow_up(moment, actor, day)


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


def _response_delay(rng: random.Random) -> int:
    """How long until the first call: minutes for a third of leads, days for a few."""
    roll = rng.random()
    if roll < 0.3:
        return between(rng, 2 * MINUTE, 15 * MINUTE)
    if roll < 0.55:
        return between(rng, 15 * MINUTE, 2 * HOUR)
    if roll < 0.8:
        return between(rng, 2 * HOUR, DAY)
    return between(rng, DAY, 4 * DAY)


def _tries(rng: random.Random) -> int:
    """Unanswered calls before someone picks up."""
    return TRIES.draw(rng)


def _failed(rng: random.Random) -> str:
    return "voicemail" if rng.random() < 0.55 else "no_answer"


def _day(value: date) -> str:
    return value.strftime("%a %-d %b %Y")
