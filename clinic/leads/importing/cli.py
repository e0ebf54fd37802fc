"""`flask leads import FILE` and `flask leads import-undo BATCH`: the browser's import from the
command line, with the same counts (attached to the `leads` group by clinic.cli)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads.importing import mapping as mappings
from clinic.leads.importing import run
from clinic.leads.importing.reading import ENCODINGS, ImportFileError, open_sheet
from clinic.leads.importing.undo import undo_import
from clinic.models import ImportBatch


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON as the browser saves it: {"columns": {"Header": "field"}, "date_order": "dmy"}.',
)
@click.option("--source", default=None, help="Lead source of rows giving none (default: file name)")
@click.option("--encoding", type=click.Choice(sorted(ENCODINGS)), default=None)
@click.option("--dry-run", is_flag=True, help="Count what would happen; import nothing.")
@with_appcontext
def leads_import(
    file: Path, mapping_file: Path | None, source: str | None, encoding: str | None, dry_run: bool
) -> None:
    """Import leads from a CSV or Excel file (a dry run first with --dry-run).

    The last line printed is the counts: N new, N joined, N possible duplicates, N refused.
    """
    try:
        with file.open("rb") as stream:
            sheet = open_sheet(stream, file.name, encoding=encoding)
            batch_id = run.store_upload(
                sheet,
                filename=file.name,
                source=source or file.stem,
                file_bytes=file.stat().st_size,
                actor=None,
                month_first=_month_first(),
            )
    except ImportFileError as error:
        raise click.ClickException(str(error)) from error
    batch = db.session.get_one(ImportBatch, batch_id)
    for note in sheet.notes:
        click.echo(f"note: {note}", err=True)
    if mapping_file is not None:
        with write_transaction():
            batch = db.session.get_one(ImportBatch, batch_id)
            saved = mapping_file.read_text(encoding="utf-8")
            _check_saved(saved)
            run.set_mapping(batch, mappings.from_saved(saved, run.headers_of(batch)), None)
    batch = db.session.get_one(ImportBatch, batch_id)
    chosen = run.mapping_of(batch)
    headers = run.headers_of(batch)
    click.echo(f"batch #{batch_id}: {batch.total_rows:,} rows from {file.name}")
    for header, field in zip(headers, chosen.columns, strict=True):
        label = mappings.FIELDS.get(field, "(left out)")
        click.echo(f"  {header} → {label}")
    problems = chosen.check()
    if problems:
        raise click.ClickException(" ".join(problems) + " Pass --mapping FILE.json.")
    if dry_run:
        counted = run.dry_run(batch_id)
        click.echo(
            f"dry run: nothing imported. Import it from /staff/import/{batch_id} or run again "
            "without --dry-run."
        )
        click.echo(counted.line())
        return
    try:
        run.start(batch_id, None)
    except run.ImportStateError as error:
        raise click.ClickException(str(error)) from error
    run.run_all(batch_id, progress=_progress)
    db.session.expire_all()
    batch = db.session.get_one(ImportBatch, batch_id)
    click.echo(f"batch #{batch_id}: imported (undo: flask --app wsgi leads import-undo {batch_id})")
    counted = run.Counts(batch.new_leads, batch.joined, batch.possible_duplicates, batch.refused)
    click.echo(counted.line())


def _check_saved(saved: str) -> None:
    try:
        data = json.loads(saved)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="--mapping") from error
    unknown = sorted(
        {str(f) for f in dict(data.get("columns", {})).values()} - set(mappings.FIELDS)
    )
    if unknown:
        known = ", ".join(mappings.FIELDS)
        raise click.BadParameter(
            f"unknown fields {', '.join(unknown)} (known: {known})", param_hint="--mapping"
        )


def _month_first() -> bool:
    return current_app.config["CLINIC_PHONE_REGION"] in ("US", "PH", "FM", "PW", "MH")


def _progress(batch: ImportBatch) -> None:
    click.echo(f"  {batch.rows_done:,} of {batch.total_rows:,} rows", err=True)


@click.command("import-undo")
@click.argument("batch_id", type=int)
@with_appcontext
def leads_import_undo(batch_id: int) -> None:
    """Remove the leads, inquiries and notes an import made, where nothing touched them since."""
    if db.session.get(ImportBatch, batch_id) is None:
        raise click.ClickException(f"There is no import batch #{batch_id}.")
    try:
        report = undo_import(batch_id, None)
    except run.ImportStateError as error:
        raise click.ClickException(str(error)) from error
    for lead_id, reason in sorted(report.kept.items()):
        click.echo(f"  kept lead #{lead_id}: {reason}")
    click.echo(f"batch #{batch_id}: {report.line()}")
