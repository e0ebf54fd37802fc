"""What happened to a demo lead after it wrote: assignment, calls, status changes, notes,
follow-ups and consultations, each as the coordinators' actions (:mod:`clinic.leads.actions`,
:mod:`clinic.leads.appointments`) record them.

Leads end in a status that fits their age (one from an hour ago can't have been treated):
a step that would land after "now" is dropped, and everything after it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from clinic.demo import texts
from clinic.demo.chance import Weighted, between, one_of
from clinic.demo.clock import DAY, HOUR, MINUTE, SECOND, DemoClock
from clinic.leads.pipeline import (
    CLOSED_STATUSES,
    LOST_REASONS,
    NO_CONTACT_REASONS,
    counts_as_first_contact,
)
from clinic.models.appointments import APPOINTMENT_KINDS

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
# Days between one stage and the next, by the stage being left (from consult booked: days
# until the consultation).
STAGE_GAP_DAYS = {1: (1, 14), 2: (3, 21), 3: (2, 30), 4: (7, 45)}
# Unanswered attempts before someone answers.
TRIES = Weighted(((0, 60), (1, 25), (2, 10), (3, 5)))
CONTACT_CHANNEL = Weighted((("call", 75), ("email", 15), ("sms", 10)))
# What an unanswered attempt looks like on each channel (clinic.leads.pipeline's outcomes).
UNANSWERED = {
    "call": Weighted((("voicemail", 55), ("no_answer", 42), ("wrong_number", 3))),
    "email": Weighted((("sent", 95), ("bounced", 5))),
    "sms": Weighted((("sent", 97), ("bounced", 3))),
}
ANSWERED = {"call": "reached", "email": "replied", "sms": "replied"}
NOTE_COUNTS = (0, 0, 0, 0, 1, 1, 2)
# Consultations booked for leads still at "consult booked" that have passed: most happened (the
# lead moved on), the rest were no-shows.
NO_SHOW_SHARE = 0.15


@dataclass(frozen=True)
class Coordinator:
    id: int
    name: str


@dataclass
class Consultation:
    """A consultation as an ``appointments`` row holds it; moments in demo microseconds."""

    starts: int
    minutes: int
    kind: str
    location: str | None
    host: Coordinator
    note: str | None
    booked_by: int
    booked_at: int
    status: str = "booked"
    settled_at: int | None = None
    settled_by: int | None = None

    @property
    def ends(self) -> int:
        return self.starts + self.minutes * MINUTE


@dataclass
class Timeline:
    """One lead's history while it is being invented; ``events`` hold [moment, actor, kind,
    from_status, to_status, channel, outcome, inquiry_id, body]."""

    clock: DemoClock
    events: list[list] = field(default_factory=list)
    owner: int | None = None
    status: str = "new"
    lost_reason: str | None = None
    stage: int = 0
    first_contact: int | None = None
    attempts: int = 0
    follow_up_on: date | None = None
    # Clinic wall-clock time of the follow-up ("14:30"), or None for any time that day.
    follow_up_time: str | None = None
    consultations: list[Consultation] = field(default_factory=list)
    end: int = 0
    closed_at: int | None = None
    reopened_at: int | None = None
    stopped: bool = False

    def add(self, moment: int, actor: int | None, kind: str, *, from_status: str | None = None,
            to_status: str | None = None, channel: str | None = None, outcome: str | None = None,
            body: str | None = None) -> bool:  # fmt: skip
        if self.stopped or moment >= self.clock.now:
            self.stopped = True
            return False
        self.events.append(
            [moment, actor, kind, from_status, to_status, channel, outcome, None, body]
        )
        self.end = max(self.end, moment)
        return True

    def inquiry(self, moment: int, inquiry_id: int) -> None:
        """The person wrote, whatever the coordinators did later: always on the timeline."""
        self.events.append([moment, None, "inquiry", None, None, None, None, inquiry_id, None])

    def assign(self, moment: int, actor: int, owner: Coordinator) -> None:
        body = f"Assigned to {owner.name} (was unassigned)"
        if self.add(moment, actor, "assign", body=body):
            self.owner = owner.id

    def contact(self, moment: int, actor: int, answered: bool, rng: random.Random) -> None:
        """An attempt on some channel: a call answered or not, a message replied to or not."""
        channel = CONTACT_CHANNEL.draw(rng)
        outcome = ANSWERED[channel] if answered else UNANSWERED[channel].draw(rng)
        body = one_of(rng, texts.CONTACT_NOTES[channel]) or None
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

    def follow_up(self, moment: int, actor: int | None, day: date, at: str | None = None) -> None:
        """``at``: a clinic wall-clock time ("14:30"), or None for any time that day."""
        was = self._follow_up_words(self.follow_up_on, self.follow_up_time) or "none"
        body = f"Next follow-up {self._follow_up_words(day, at)} (was {was})"
        if self.add(moment, actor, "follow_up", body=body):
            self.follow_up_on, self.follow_up_time = day, at

    def _follow_up_words(self, day: date | None, at: str | None) -> str | None:
        if day is None:
            return None
        name = self.clock.day_name(day)
        return f"{name} at {at}" if at else name

    def book(self, moment: int, actor: int, consultation: Consultation) -> bool:
        """A consultation booked as ``book_appointment`` records it: a lead that is new or
        contacted moves to consult booked, then the booking goes on the timeline."""
        if self.stopped or moment >= self.clock.now:
            self.stopped = True
            return False
        if self.status in ("new", "contacted"):
            self.change(moment, actor, "consult_booked")
        words = self._consultation_words(consultation, moment)
        if not self.add(moment, actor, "appointment", body=f"Consultation booked: {words}"):
            return False
        self.consultations.append(consultation)
        return True

    def settle(self, moment: int, actor: int, consultation: Consultation, outcome: str) -> bool:
        """How the consultation went, as ``settle_appointment`` records it: attended moves the
        lead on to consult done; a no-show sets a follow-up for the next weekday at the
        consultation's time; a no-show or a cancellation takes a lead waiting for it back to
        contacted."""
        when = self._consultation_words(consultation, moment, short=True)
        body = {
            "attended": f"Consultation attended: {when}",
            "no_show": f"No-show for the consultation of {when}",
            "cancelled": f"Consultation cancelled: {when}",
        }[outcome]
        if not self.add(moment, actor, "appointment", body=body):
            return False
        consultation.status, consultation.settled_at, consultation.settled_by = (
            outcome,
            moment,
            actor,
        )
        if outcome == "attended":
            if self.status not in LADDER[3:]:
                self.change(moment, actor, "consult_done")
            return True
        if outcome == "no_show":
            day, at = self.clock.next_weekday(moment), self.clock.wall_time(consultation.starts)
            self.follow_up(moment, actor, day, at)
        if self.status == "consult_booked":
            self.change(moment, actor, "contacted")
        return True

    def _consultation_words(
        self, consultation: Consultation, moment: int, *, short: bool = False
    ) -> str:
        """The consultation as ``clinic.leads.appointments.describe`` words it at ``moment``:
        "Tuesday 8 December, 10:00–10:30, video, with Amara Okafor"; ``short``: day and time."""
        clock = self.clock
        day = clock.local_date(consultation.starts)
        words = clock.long_day_name(day)
        if day.year != clock.local_date(moment).year:
            words += f" {day.year}"
        start = clock.wall_time(consultation.starts)
        if short:
            return f"{words}, {start}"
        end = clock.wall_time(consultation.ends)
        kind = APPOINTMENT_KINDS[consultation.kind].lower()
        return f"{words}, {start}–{end}, {kind}, with {consultation.host.name}"

    def reopen(self, moment: int) -> None:
        """A closed lead writes again: the intake moves it back to new, with no one's name on it."""
        self.stopped = False
        self.change(moment, None, "new", body="Reopened by a new inquiry")
        if self.status == "new":
            self.reopened_at = moment


def work(
    rng: random.Random, clock: DemoClock, coordinators: tuple[Coordinator, ...], first_at: int
) -> Timeline:
    """Everything the clinic did about a lead that first wrote at ``first_at``."""
    final = FINAL_STATUSES.draw(rng)
    if clock.now - first_at < 2 * DAY and rng.random() < 0.6:
        final = "new"
    reason = LOSS_REASONS.draw(rng) if final == "lost" else None
    owner = None
    if final != "new" or rng.random() < 0.5:
        owner = one_of(rng, coordinators)
    worker = owner or one_of(rng, coordinators)
    actor = worker.id
    timeline = Timeline(clock)

    if reason in NO_CONTACT_REASONS:
        # Spam and duplicates are closed without anyone calling: no first contact.
        timeline.change(clock.working(first_at + between(rng, 5 * MINUTE, DAY), rng), actor,
                        "lost", reason)  # fmt: skip
        return timeline

    moment = clock.working(first_at + _response_delay(rng), rng)
    if owner is not None:
        by = owner if rng.random() < 0.7 else coordinators[0]
        timeline.assign(max(first_at + 30 * SECOND, moment - between(rng, MINUTE, 5 * MINUTE)),
                        by.id, owner)  # fmt: skip
    if final == "new":
        if rng.random() < 0.35:
            for _ in range(between(rng, 1, 3)):
                timeline.contact(moment, actor, False, rng)
                moment = clock.working(moment + between(rng, 3 * HOUR, 2 * DAY), rng)
            _follow_ups(rng, timeline, actor)
        return timeline

    if final == "lost":
        target = one_of(rng, LOST_AT[reason])
    elif final == "not_a_candidate":
        target = one_of(rng, (1, 3))
    else:
        target = LADDER.index(final)
    failures = between(rng, 2, 6) if reason == "unreachable" and target == 0 else TRIES.draw(rng)
    for _ in range(failures):
        timeline.contact(moment, actor, False, rng)
        moment = clock.working(moment + between(rng, 3 * HOUR, 3 * DAY), rng)
    if target > 0:
        moment = _climb(rng, timeline, worker, moment, target)
    cancelled = False
    if timeline.status == "consult_booked" and not timeline.stopped:
        moment, cancelled = _consultation_outcome(rng, timeline, actor, final, reason)
    if final in CLOSED_STATUSES:
        if cancelled:
            moment += between(rng, MINUTE, 10 * MINUTE)
        else:
            moment = clock.working(moment + between(rng, 2 * DAY, 30 * DAY), rng)
        if reason == "unreachable" and target > 0:
            for _ in range(between(rng, 1, 4)):
                timeline.contact(moment, actor, False, rng)
                moment = clock.working(moment + between(rng, DAY, 5 * DAY), rng)
        timeline.change(moment, actor, final, reason)
        if timeline.status in CLOSED_STATUSES and rng.random() < 0.03:
            timeline.reopen(timeline.end + between(rng, 7 * DAY, 200 * DAY))
    elif final != "treated":
        _follow_ups(rng, timeline, actor)
    return timeline


def _climb(
    rng: random.Random, timeline: Timeline, worker: Coordinator, moment: int, target: int
) -> int:
    """Reach the person, then move up the pipeline stage by stage to ``target``: a
    consultation is booked on the way to consult booked and attended on the way to consult
    done."""
    clock = timeline.clock
    actor = worker.id
    timeline.contact(moment, actor, True, rng)
    moment += between(rng, 2 * MINUTE, 15 * MINUTE)
    # Some people book a consultation on the first call.
    if target >= 2 and rng.random() < 0.1:
        _book(rng, timeline, worker, moment)
    else:
        timeline.change(moment, actor, "contacted")
    for _ in range(one_of(rng, NOTE_COUNTS)):
        timeline.add(moment + between(rng, MINUTE, 20 * MINUTE), actor, "note",
                     body=one_of(rng, texts.NOTES))  # fmt: skip
    while timeline.stage < target and not timeline.stopped:
        stage = timeline.stage
        if stage == 2:
            consultation = timeline.consultations[-1]
            moment = consultation.ends + between(rng, 5 * MINUTE, 3 * HOUR)
            timeline.settle(moment, actor, consultation, "attended")
            continue
        low, high = STAGE_GAP_DAYS[stage]
        moment = clock.working(moment + between(rng, low * DAY, high * DAY), rng)
        if stage == 1:
            timeline.contact(moment, actor, True, rng)
            moment += between(rng, MINUTE, 10 * MINUTE)
            _book(rng, timeline, worker, moment)
        else:
            timeline.change(moment, actor, LADDER[stage + 1])
    return moment


def _book(rng: random.Random, timeline: Timeline, host: Coordinator, moment: int) -> None:
    """A consultation a few days to three weeks ahead, held by the coordinator who books it."""
    low, high = STAGE_GAP_DAYS[2]
    starts = timeline.clock.consultation_slot(moment + between(rng, low * DAY, high * DAY), rng)
    kind = texts.CONSULTATION_KINDS.draw(rng)
    consultation = Consultation(
        starts=starts,
        minutes=texts.CONSULTATION_MINUTES.draw(rng),
        kind=kind,
        location=one_of(rng, texts.CONSULTATION_LOCATIONS[kind]),
        host=host,
        note=one_of(rng, texts.CONSULTATION_NOTES),
        booked_by=host.id,
        booked_at=moment,
    )
    timeline.book(moment, host.id, consultation)


def _consultation_outcome(
    rng: random.Random, timeline: Timeline, actor: int, final: str, reason: str | None
) -> tuple[int, bool]:
    """A lead that stopped at consult booked: a loss other than a no-show cancels the
    consultation before its day; otherwise it is recorded after it ends (a no-show for those
    lost that way and a few others, else attended) unless that is still ahead. Returns the
    moment and whether it was cancelled."""
    consultation = timeline.consultations[-1]
    if final == "lost" and reason != "no_show":
        notice = consultation.starts - consultation.booked_at
        moment = consultation.booked_at + between(rng, HOUR, max(2 * HOUR, notice - HOUR))
        return moment, timeline.settle(moment, actor, consultation, "cancelled")
    no_show = final == "lost" or rng.random() < NO_SHOW_SHARE
    moment = consultation.ends + between(rng, 5 * MINUTE, 3 * HOUR)
    timeline.settle(moment, actor, consultation, "no_show" if no_show else "attended")
    return moment, False


def _follow_ups(rng: random.Random, timeline: Timeline, actor: int) -> None:
    """Most open leads have a next follow-up: set after the last call, and for half of the older
    ones set again in the last ten days, so the dates gather around today."""
    if timeline.stopped or rng.random() < 0.15:
        return
    clock = timeline.clock
    moment = timeline.end + between(rng, MINUTE, 20 * MINUTE)
    timeline.follow_up(moment, actor, clock.local_date(moment) + timedelta(between(rng, 1, 15)))
    recent = clock.now - between(rng, 0, 10 * DAY)
    if recent > timeline.end + 3 * DAY and rng.random() < 0.5:
        moment = clock.working(recent, rng)
        timeline.follow_up(moment, actor, clock.local_date(moment) + timedelta(between(rng, 1, 22)))


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
