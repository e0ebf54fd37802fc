"""Operator commands, registered on `flask --app wsgi`."""

from __future__ import annotations

import shutil
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from clinic.content.loader import ContentError, sync_content
from clinic.leads.export import csv_lines, export_records, jsonl_lines, sheet_rows
from clinic.leads.export_xlsx import workbook_file, write_workbook

content_cli = AppGroup("content", help="Educational pages.")
leads_cli = AppGroup("leads", help="Leads: export, import and retention.")
database_cli = AppGroup("database", help="Database upkeep (schema changes: `flask db`).")


@content_cli.command("sync")
def content_sync() -> None:
    """Load the Markdown sources into the database (safe to run again)."""
    try:
        report = sync_content()
    except ContentError as error:
        raise click.ClickException(str(error)) from error
    for slug in report.skipped:
        click.echo(f"skipped {slug}: edited in the browser")
    click.echo(
        f"content: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unpublished)} unpublished, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped (edited in the browser)"
    )


@leads_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "jsonl"]), default="csv")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    help="File to write (default: standard output).",
)
def leads_export(fmt: str, output: str) -> None:
    """Write every lead: for people as CSV or an Excel workbook (names, labels, clinic local
    times, ids in their own columns), or for scripts as JSON lines (codes, UTC times)."""
    if fmt == "xlsx":
        _export_workbook(output)
        return
    lines = csv_lines(sheet_rows()) if fmt == "csv" else jsonl_lines(export_records())
    # On a POSIX system text files keep the CSV's CRLF row ends as they are.
    with click.open_file(output, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(line)
        out.flush()


def _export_workbook(output: str) -> None:
    about = {"exported_by": "flask leads export", "selection": "Every lead"}
    if output != "-":
        summary = write_workbook(sheet_rows(), output, **about)
    else:
        file, summary = workbook_file(sheet_rows(), **about)
        with file:
            shutil.copyfileobj(file, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    if len(summary.sheets) > 1:
        click.echo(
            f"{summary.rows:,} leads: more than an Excel sheet holds, so they continue on "
            f"{', '.join(summary.sheets[1:])}.",
            err=True,
        )


@leads_cli.command("purge")
@click.option(
    "--closed-older-than",
    "age",
    default=None,
    help="Policy age: 18m (months), 2y or 90d. Default: CLINIC_RETENTION_MONTHS.",
)
@click.option("--yes", is_flag=True, help="Erase them. Without it, only list what would go.")
def leads_purge(age: str | None, yes: bool) -> None:
    """Erase closed leads quiet for longer than the retention policy (a dry run by default)."""
    from clinic.leads.retention import PolicyAgeError, purge_closed_leads

    age = age or f"{current_app.config['CLINIC_RETENTION_MONTHS']}m"
    try:
        report = purge_closed_leads(age, act=yes)
    except PolicyAgeError as error:
        raise click.BadParameter(str(error), param_hint="--closed-older-than") from error
    ids = ", ".join(f"#{lead_id}" for lead_id in report.due) or "none"
    since = f"inactive since before {report.cutoff:%Y-%m-%d}"
    if not yes:
        click.echo(f"leads purge (dry run): {len(report.due)} closed lead(s) {since}: {ids}")
        if report.due:
            click.echo("Nothing was changed. Run again with --yes to erase them.")
        return
    click.echo(f"leads purge: erased {len(report.erased)} closed lead(s) {since}.")


@database_cli.command("analyze")
def database_analyze() -> None:
    """Refresh the query planner's statistics (nightly: SQLite gathers none by itself)."""
    from clinic.database import refresh_statistics

    started = time.monotonic()
    refresh_statistics()
    click.echo(f"database analyze: statistics refreshed in {time.monotonic() - started:.1f} s")


def init_app(app: Flask) -> None:
    from clinic.api.cli import api_keys_cli
    from clinic.demo.cli import demo_cli
    from clinic.deploy_checks import check_deploy
    from clinic.leads.importing.cli import leads_import, leads_import_undo
    from clinic.notify.cli import outbox_cli
    from clinic.reports.cli import reports_cli
    from clinic.staff.calendar_cli import appointments_cli, availability_cli
    from clinic.staff.cli import users_cli

    app.cli.add_command(content_cli)
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(outbox_cli)
    leads_cli.add_command(leads_import)
    leads_cli.add_command(leads_import_undo)
    app.cli.add_command(leads_cli)
    app.cli.add_command(database_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(availability_cli)
    app.cli.add_command(appointments_cli)
    app.cli.add_command(check_deploy)
    app.cli.add_command(demo_cli)
    app.cli.add_command(reports_cli)
