"""`flask reports …`: keep the per-lead report facts right after bulk loads or new hours."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from clinic import clock
from clinic.clock import BusinessHoursError
from clinic.reports.facts import backfill

reports_cli = AppGroup("reports", help="Reports: per-lead facts behind the numbers.")


@reports_cli.command("backfill")
@click.option(
    "--recompute",
    is_flag=True,
    help="Recompute every lead's speed to lead (after changing business hours or time zone) "
    "and timeline facts.",
)
def reports_backfill(recompute: bool) -> None:
    """Fill furthest stage, speed to lead, first-touch attribution, attempts before reach and
    stays in stage where they are missing; rebuild the message search and the status counts.

    Needed after loading leads around the app (bulk imports, demo data) and after upgrading a
    database that already held leads; safe to run again.
    """
    try:
        calendar = clock.business_calendar()
    except BusinessHoursError as error:
        raise click.ClickException(str(error)) from error
    report = backfill(calendar, recompute=recompute)
    click.echo(
        f"reports: {report.stages} stages raised, {report.speeds} speeds computed, "
        f"{report.attributions} first-touch attributions filled, "
        f"{report.stays} stays in stage and {report.reaches} attempts before reach computed, "
        f"message search rewritten for {report.searchable} leads, "
        f"{report.counted} leads counted in the status tabs"
    )
