"""Operator commands, registered on `flask --app wsgi`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from clinic.content.loader import ContentError, sync_content
from clinic.leads.export import csv_lines, export_records, jsonl_lines

content_cli = AppGroup("content", help="Educational pages.")
leads_cli = AppGroup("leads", help="Leads: export and retention.")


@content_cli.command("sync")
def content_sync() -> None:
    """Load the Markdown sources into the database (safe to run again)."""
    try:
        report = sync_content()
    except ContentError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"content: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unpublished)} unpublished, {len(report.unchanged)} unchanged"
    )


@leads_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv")
def leads_export(fmt: str) -> None:
    """Write every lead to standard output, one row (csv) or object (jsonl) per lead."""
    lines = csv_lines(export_records()) if fmt == "csv" else jsonl_lines(export_records())
    out = sys.stdout
    for line in lines:
        out.write(line)
    out.flush()


def init_app(app: Flask) -> None:
    from clinic.staff.cli import users_cli

    app.cli.add_command(content_cli)
    app.cli.add_command(leads_cli)
    app.cli.add_command(users_cli)
