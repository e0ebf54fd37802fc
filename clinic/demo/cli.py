"""`flask demo seed`: realistic demo leads for trying the workspace and for the benchmarks;
`flask demo coordinators`: just the demo team, which new inquiries are then dealt to. Both give
the demo coordinators the known demo password, and say it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from clinic import clock
from clinic.demo.seed import SeedRefused, check_can_seed, seed_demo
from clinic.demo.team import (
    DEMO_COORDINATORS,
    DEMO_PASSWORD,
    DemoAccountsRefused,
    ensure_coordinators,
)
from clinic.models import utcnow

EMPTY_ONLY = (
    "Demo data goes into an empty database only (one without leads), so that invented people "
    "never mix with real inquiries: seed before trying the inquiry form."
)

demo_cli = AppGroup("demo", help="Demo data (never in production).")


def parse_now(text: str | None, timezone: str) -> datetime:
    """``--now``: an ISO date-time (clinic time unless it has an offset) or a date (midnight,
    clinic time); nothing means the current minute."""
    if not text:
        return utcnow().replace(second=0, microsecond=0)
    try:
        if len(text.strip()) == 10:
            moment = datetime.combine(date.fromisoformat(text.strip()), time.min)
        else:
            moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise click.BadParameter(
            "give a date such as 2026-01-15 or a date-time such as 2026-01-15T14:30",
            param_hint="--now",
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC)


@demo_cli.command("seed")
@click.option("--leads", "count", type=click.IntRange(min=1), required=True, help="How many.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same rows.")
@click.option(
    "--now",
    "now_text",
    metavar="WHEN",
    help="Where the three years of history end and follow-ups gather (default: now). Pass it "
    "to get identical rows on another day.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes generating rows while this one writes (default: one per CPU; 0: none).",
)
def seed_command(count: int, seed: int, now_text: str | None, workers: int | None) -> None:
    """Fill an empty database (one without leads: seed before trying the inquiry form) with
    COUNT demo leads, their inquiries, timelines and consultations, and the six demo
    coordinators who own them."""
    now = parse_now(now_text, clock.zone().key)
    click.echo(EMPTY_ONLY)
    try:
        check_can_seed(count)
        with click.progressbar(length=count, label="Demo leads", show_pos=True) as bar:
            report = seed_demo(count, seed=seed, now=now, workers=workers, progress=bar.update)
    except SeedRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"demo: {report.leads:,} leads, {report.inquiries:,} inquiries, "
        f"{report.events:,} timeline entries, {report.appointments:,} consultations in "
        f"{report.seconds:.1f} s (seed {seed}, up to {now.isoformat(timespec='minutes')}). "
        f"Owners: {', '.join(report.coordinators)}."
    )
    _say_how_to_sign_in()


@demo_cli.command("coordinators")
def coordinators_command() -> None:
    """Create the six demo coordinators where missing, and give each the demo password."""
    try:
        team = ensure_coordinators(reset_passwords=True)
    except DemoAccountsRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"demo coordinators: {', '.join(person.name for person in team)}")
    _say_how_to_sign_in()


def _say_how_to_sign_in() -> None:
    click.echo(
        f"To see a coordinator's Today, sign in at /staff/login as one of them (e.g. "
        f"{DEMO_COORDINATORS[0][1]}; `make run` lists them all) with the password "
        f"{DEMO_PASSWORD}"
    )
