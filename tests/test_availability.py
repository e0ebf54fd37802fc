"""Free consultation slots: weekly hours on a grid, time off and extra hours, booked
consultations widened by the buffer, the minimum notice counted in business hours, the booking
horizon, and clinic wall-clock hours that stay put across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.leads import availability
from clinic.leads.availability import (
    AvailabilityError,
    BookingSettings,
    HoursRange,
    Slot,
    add_exception,
    booking_settings,
    free_slots,
    parse_days,
    remove_exception,
    replace_weekly_hours,
    save_booking_settings,
    slot_is_free,
)
from clinic.models import Appointment, AvailabilityException, WeeklyHours, utcnow
from tests.conftest import CLINIC_TZ
from tests.lead_helpers import audit_rows, make_lead
from tests.staff_helpers import make_staff

# The frozen clock stands at Wednesday 9 December 2026, 10:00 at the clinic (business hours
# 09:00-17:00, Monday to Friday); the default notice is 4 business hours: Wednesday 14:00.


def local(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CLINIC_TZ)


def starts(slots: list[Slot]) -> list[str]:
    return [f"{slot.starts_at.astimezone(CLINIC_TZ):%a %d %H:%M}" for slot in slots]


@pytest.fixture
def host(ctx):
    return make_staff("amara@clinic.test", name="Amara Okafor", role="admin")


def set_hours(user, kind="phone", days=range(5), start=time(9), end=time(12), location=None):
    replace_weekly_hours(
        user,
        kind,
        [HoursRange(day, start, end, location) for day in days],
        None,
        weekdays=days,
    )
    db.session.commit()


def thursday(slots: list[Slot]) -> list[str]:
    return [each for each in starts(slots) if each.startswith("Thu 10")]


def test_weekly_hours_give_slots_on_the_grid_after_the_notice(host, frozen_clock):
    set_hours(host)
    slots = free_slots(now=utcnow(), end=local(11, 0))
    # Wednesday 09:00-12:00 is inside the 4 business hours' notice; Thursday has the grid
    # 09:00 + n × (30 + 10) minutes that fits before 12:00.
    assert starts(slots) == ["Thu 10 09:00", "Thu 10 09:40", "Thu 10 10:20", "Thu 10 11:00"]
    first = slots[0]
    assert first.starts_at == datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert first.ends_at == datetime(2026, 12, 10, 14, 30, tzinfo=UTC)
    assert (first.kind, first.host_id, first.location) == ("phone", host.id, None)


def test_kind_and_host_filters(host, frozen_clock):
    other = make_staff("casey@clinic.test", name="Casey Coordinator")
    set_hours(host, "in_person", location="Room 2, 14 Elm Street")
    set_hours(other, "video", start=time(9), end=time(10))
    day = {"start": local(10, 0), "end": local(11, 0)}
    in_person = free_slots(now=utcnow(), kind="in_person", **day)
    assert {slot.location for slot in in_person} == {"Room 2, 14 Elm Street"}
    assert {slot.host_id for slot in in_person} == {host.id}
    videos = free_slots(now=utcnow(), kind="video", **day)
    assert [(s.host_id, s.kind) for s in videos] == [(other.id, "video")]
    assert free_slots(now=utcnow(), host_id=other.id, kind="phone", **day) == []
    # Both kinds at 09:00: ordered by start, then host.
    both = free_slots(now=utcnow(), **day)
    assert [(s.host_id, s.kind) for s in both[:2]] == [(host.id, "in_person"), (other.id, "video")]


def test_booked_consultations_block_their_time_and_the_buffer(host, frozen_clock):
    set_hours(host)
    lead = make_lead()
    db.session.add(
        Appointment(
            lead_id=lead.id,
            starts_at=local(10, 9, 50),
            duration_minutes=30,
            kind="video",  # any kind keeps the host busy
            host_id=host.id,
            status="booked",
        )
    )
    # Cancelled ones free their time again.
    db.session.add(
        Appointment(
            lead_id=lead.id,
            starts_at=local(10, 11, 0),
            duration_minutes=30,
            kind="phone",
            host_id=host.id,
            status="cancelled",
        )
    )
    db.session.commit()
    # 09:50-10:20 booked, widened by 10 minutes: 09:40 and 10:20 overlap it, 09:00 ends in time.
    assert thursday(free_slots(now=utcnow(), end=local(11, 0))) == [
        "Thu 10 09:00",
        "Thu 10 11:00",
    ]


def test_time_off_removes_slots_and_extra_hours_add_them(host, frozen_clock):
    set_hours(host)
    add_exception(
        host, kind="off", starts_at=local(10, 9), ends_at=local(10, 10), actor=None, note="Dentist"
    )
    add_exception(
        host,
        kind="extra",
        starts_at=local(12, 13),
        ends_at=local(12, 14),
        kinds=["video"],
        actor=None,
    )
    db.session.commit()
    slots = free_slots(now=utcnow(), end=local(13, 0))
    assert thursday(slots) == ["Thu 10 10:20", "Thu 10 11:00"]
    saturday = [slot for slot in slots if slot.starts_at.astimezone(CLINIC_TZ).day == 12]
    assert [(s.kind, f"{s.starts_at.astimezone(CLINIC_TZ):%H:%M}") for s in saturday] == [
        ("video", "13:00")
    ]
    assert free_slots(now=utcnow(), kind="phone", start=local(12, 0), end=local(13, 0)) == []
    assert [row.action for row in audit_rows("availability exception added")] == [
        "availability exception added"
    ] * 2


def test_notice_counts_business_hours_across_a_weekend(host, frozen_clock):
    set_hours(host, days=range(7), start=time(9), end=time(17))
    # Friday 15:00: two business hours left on Friday, two more on Monday morning.
    frozen_clock.move_to(local(11, 15))
    slots = free_slots(now=utcnow(), end=local(15, 0))
    assert starts(slots)[0] == "Mon 14 11:00"
    assert availability.earliest_start(utcnow()) == local(14, 11).astimezone(UTC)


def test_horizon_ends_with_the_clinic_day_horizon_days_ahead(host, frozen_clock):
    set_hours(host, days=range(7))
    slots = free_slots(now=utcnow())
    days = sorted({slot.starts_at.astimezone(CLINIC_TZ).date() for slot in slots})
    # 21 days after Wednesday 9 December.
    assert days[-1].isoformat() == "2026-12-30"
    save_booking_settings(BookingSettings(horizon_days=7), None)
    db.session.commit()
    days = sorted(
        {slot.starts_at.astimezone(CLINIC_TZ).date() for slot in free_slots(now=utcnow())}
    )
    assert days[-1].isoformat() == "2026-12-16"


def test_daylight_saving_week_keeps_clinic_wall_clock_hours(host, frozen_clock):
    # Clocks in New York go forward on Sunday 14 March 2027.
    set_hours(host, days=range(5), start=time(9), end=time(10))
    frozen_clock.move_to(local(10, 10, month=3, year=2027))
    slots = free_slots(now=utcnow(), end=local(17, 0, month=3, year=2027))
    utc_starts = [slot.starts_at for slot in slots]
    assert utc_starts == [
        datetime(2027, 3, 11, 14, 0, tzinfo=UTC),  # Thursday, EST (UTC-5)
        datetime(2027, 3, 12, 14, 0, tzinfo=UTC),  # Friday, EST
        datetime(2027, 3, 15, 13, 0, tzinfo=UTC),  # Monday, EDT (UTC-4)
        datetime(2027, 3, 16, 13, 0, tzinfo=UTC),  # Tuesday, EDT
    ]
    assert {f"{slot.starts_at.astimezone(CLINIC_TZ):%H:%M}" for slot in slots} == {"09:00"}


def test_slot_is_free_until_booked(host, frozen_clock):
    set_hours(host)
    slot = free_slots(now=utcnow())[0]
    assert slot_is_free(slot, now=utcnow())
    moved = Slot(slot.starts_at + timedelta(minutes=5), slot.ends_at, slot.kind, host.id, None)
    assert not slot_is_free(moved, now=utcnow())
    lead = make_lead()
    db.session.add(
        Appointment(
            lead_id=lead.id,
            starts_at=slot.starts_at,
            duration_minutes=30,
            kind="phone",
            host_id=host.id,
            status="booked",
        )
    )
    db.session.commit()
    assert not slot_is_free(slot, now=utcnow())


def test_deactivated_hosts_offer_nothing(host, frozen_clock):
    set_hours(host)
    host.active = False
    db.session.commit()
    assert free_slots(now=utcnow()) == []


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([HoursRange(0, time(12), time(9))], "must be after the start"),
        ([HoursRange(0, time(9, 3), time(12))], "5-minute steps"),
        (
            [HoursRange(0, time(9), time(12)), HoursRange(0, time(11), time(13))],
            "overlap",
        ),
    ],
)
def test_weekly_hours_are_checked(host, ranges, message):
    with pytest.raises(AvailabilityError, match=message):
        replace_weekly_hours(host, "phone", ranges, None)
    assert db.session.execute(select(WeeklyHours)).first() is None


def test_in_person_hours_need_a_location(host):
    with pytest.raises(AvailabilityError, match="say where"):
        replace_weekly_hours(host, "in_person", [HoursRange(0, time(9), time(12))], None)


def test_replacing_hours_touches_only_the_days_and_kind_given(host):
    set_hours(host, days=range(5))
    set_hours(host, "video", days=[5])
    replace_weekly_hours(host, "phone", [HoursRange(2, time(13), time(15))], None, weekdays=[2])
    db.session.commit()
    stored = sorted(
        (h.kind, h.weekday, f"{h.start_time:%H:%M}-{h.end_time:%H:%M}")
        for h in availability.weekly_hours(host.id)
    )
    assert stored == [
        ("phone", 0, "09:00-12:00"),
        ("phone", 1, "09:00-12:00"),
        ("phone", 2, "13:00-15:00"),
        ("phone", 3, "09:00-12:00"),
        ("phone", 4, "09:00-12:00"),
        ("video", 5, "09:00-12:00"),
    ]
    details = [row.detail for row in audit_rows("availability changed")]
    assert details[-1] == "amara@clinic.test: phone hours Wed 09:00–12:00 → Wed 13:00–15:00"


def test_exceptions_are_checked_and_removed(host, frozen_clock):
    with pytest.raises(AvailabilityError, match="after the start"):
        add_exception(host, kind="off", starts_at=local(11, 9), ends_at=local(11, 9), actor=None)
    with pytest.raises(AvailabilityError, match="which kinds"):
        add_exception(host, kind="extra", starts_at=local(11, 9), ends_at=local(11, 10), actor=None)
    with pytest.raises(AvailabilityError, match="has passed"):
        add_exception(host, kind="off", starts_at=local(1, 9), ends_at=local(1, 10), actor=None)
    added = add_exception(
        host, kind="off", starts_at=local(11, 9), ends_at=local(11, 10), actor=None
    )
    db.session.commit()
    other = make_staff("casey@clinic.test")
    assert remove_exception(other, added.id, None) is None
    assert remove_exception(host, added.id, None) is not None
    db.session.commit()
    assert db.session.execute(select(AvailabilityException)).first() is None


def test_booking_settings_default_then_saved(host):
    assert booking_settings() == BookingSettings(30, 10, 21, 4, 14)
    save_booking_settings(BookingSettings(45, 15, 28, 8, 7), host)
    db.session.commit()
    assert booking_settings() == BookingSettings(45, 15, 28, 8, 7)
    assert "slot_minutes: 30 → 45" in audit_rows("booking settings changed")[0].detail
    with pytest.raises(AvailabilityError, match="5 minutes"):
        save_booking_settings(BookingSettings(slot_minutes=33), host)
    with pytest.raises(AvailabilityError, match="from 1 to 365"):
        save_booking_settings(BookingSettings(horizon_days=0), host)


def test_parse_days():
    assert parse_days("mon-fri") == [0, 1, 2, 3, 4]
    assert parse_days("mon,wed,fri") == [0, 2, 4]
    assert parse_days("Sat-Sun") == [5, 6]
    with pytest.raises(AvailabilityError, match="not a day"):
        parse_days("mon-fry")
