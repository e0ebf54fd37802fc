"""`flask demo seed`: realistic demo leads for trying the workspace and for the benchmarks;
`flask demo coordinators`: just the demo team, which new inquiries are then dealt to."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

from clinic.demo.seed import SeedRefused, ensure_coordinators, seed_demo
from clinic.models import utcnow

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
    """Fill an empty database with COUNT demo leads, their inquiries and timelines."""
    now = parse_now(now_text, current_app.config["CLINIC_TIMEZONE"])
    try:
        with click.progressbar(length=count, label="Demo leads", show_pos=True) as bar:
            report = seed_demo(count, seed=seed, now=now, workers=workers, progress=bar.update)
    except SeedRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"demo: {report.leads:,} leads, {report.inquiries:,} inquiries, "
        f"{report.events:,} timeline entries in {report.seconds:.1f} s "
        f"(seed {seed}, up to {now.isoformat(timespec='minutes')}). "
        f"Owners: {', '.join(report.coordinators)}."
    )


@demo_cli.command("coordinators")
def coordinators_command() -> None:
    """Create the six demo coordinators (unusable random passwords) where missing."""
    if current_app.config.get("CLINIC_ENV") == "production":
        raise click.ClickException("Demo accounts are never created in production.")
    team = ensure_coordinators()
    click.echo(f"demo coordinators: {', '.join(person.name for person in team)}")
