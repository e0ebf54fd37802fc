"""Commands for set-up scripts: a person's weekly hours (`flask availability set`) and every
consultation (`flask appointments list`, as text or JSON lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import availability
from clinic.leads.appointments import ends_at
from clinic.leads.availability import WEEKDAY_NAMES, AvailabilityError, HoursRange
from clinic.models import Appointment, StaffUser
from clinic.models.appointments import APPOINTMENT_KINDS
from clinic.staff import accounts
from clinic.staff.cli import _operator

availability_cli = AppGroup("availability", help="When staff hold consultations.")
appointments_cli = AppGroup("appointments", help="Consultations booked for leads.")


@availability_cli.command("set")
@click.argument("email")
@click.option("--days", required=True, help="mon-fri, mon,wed,fri or sat.")
@click.option("--from", "start", required=True, help="Start, clinic time: 09:00.")
@click.option("--to", "end", required=True, help="End, clinic time: 17:00.")
@click.option(
    "--kind",
    type=click.Choice(list(APPOINTMENT_KINDS)),
    default="phone",
    show_default=True,
    help="The kind of consultation.",
)
@click.option("--location", default=None, help="Where, for in_person (an address or room).")
def availability_set(
    email: str, days: str, start: str, end: str, kind: str, location: str | None
) -> None:
    """Replace a person's hours of one kind on the days given (other days and kinds stay)."""
    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no staff account for {email.strip()}.")
    if not user.active:
        raise click.ClickException(f"{user.email}'s account is deactivated.")
    try:
        weekdays = availability.parse_days(days)
        ranges = [
            HoursRange(day, availability.parse_time(start), availability.parse_time(end), location)
            for day in weekdays
        ]
        with write_transaction():
            availability.replace_weekly_hours(
                user, kind, ranges, None, weekdays=weekdays, actor_email=_operator()
            )
    except AvailabilityError as error:
        raise click.ClickException(str(error)) from error
    names = ", ".join(WEEKDAY_NAMES[day][:3] for day in weekdays)
    where = f" at {ranges[0].location}" if kind == "in_person" and ranges[0].location else ""
    click.echo(
        f"{user.email}: {APPOINTMENT_KINDS[kind].lower()} {start.strip()}–{end.strip()} "
        f"on {names}{where} ({clock.zone().key})."
    )


@appointments_cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text")
@click.option(
    "--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First clinic day, 2027-01-31."
)
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last clinic day.")
def appointments_list(fmt: str, first: datetime | None, last: datetime | None) -> None:
    """Every consultation by start time: id, lead, start and end in clinic time with its UTC
    offset, kind, host's email, status."""
    if first and last and last < first:
        raise click.ClickException("--to is before --from.")
    for line in _lines(fmt, first.date() if first else None, last.date() if last else None):
        click.echo(line)


def _lines(fmt: str, first: date | None, last: date | None) -> Iterator[str]:
    query = (
        select(Appointment, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == Appointment.host_id)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if first is not None:
        query = query.where(Appointment.starts_at >= clock.local_midnight(first))
    if last is not None:
        query = query.where(Appointment.starts_at < clock.local_midnight(last + timedelta(days=1)))
    zone = clock.zone()
    for appointment, email in db.session.execute(query.execution_options(yield_per=500)):
        starts = appointment.starts_at.astimezone(zone)
        ends = ends_at(appointment).astimezone(zone)
        if fmt == "jsonl":
            yield json.dumps(
                {
                    "id": appointment.id,
                    "lead_id": appointment.lead_id,
                    "starts_at": starts.isoformat(),
                    "ends_at": ends.isoformat(),
                    "kind": appointment.kind,
                    "staff_email": email,
                    "status": appointment.status,
                },
                ensure_ascii=False,
            )
        else:
            yield (
                f"{appointment.id}\tlead {appointment.lead_id}\t"
                f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M} {starts:%Z}\t{appointment.kind}\t"
                f"{email or '-'}\t{appointment.status}"
            )
