"""Helpers for the import tests: an upload stored from CSV text, run to the end."""

from __future__ import annotations

import io

from clinic.extensions import db
from clinic.leads.importing import run
from clinic.leads.importing.reading import open_sheet
from clinic.models import ImportBatch

HEADER = "Full name,E-mail,Mobile,Condition,Status,Created,Notes,utm_source\r\n"


def upload(
    text: str | bytes,
    *,
    filename: str = "leads.csv",
    source: str = "Old CRM",
    actor=None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> int:
    """Store a file as the browser's upload would; returns the batch id."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    sheet = open_sheet(io.BytesIO(data), filename, encoding=encoding, delimiter=delimiter)
    return run.store_upload(
        sheet,
        filename=filename,
        source=source,
        file_bytes=len(data),
        actor=actor,
        month_first=False,
    )


def import_all(batch_id: int, actor=None) -> ImportBatch:
    run.start(batch_id, actor)
    run.run_all(batch_id)
    db.session.expire_all()
    return db.session.get_one(ImportBatch, batch_id)
