"""Consent wording on the form, and the record of exactly what each inquiry agreed to.

New text, new version. Each inquiry keeps the version label it saw and points at the stored
wording itself (a ``ConsentText`` row, one per distinct text, found by its SHA-256), so the
record can show the words a patient ticked even after the form says something else.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import ConsentText, utcnow

CONSENT_VERSION = "2026-11-28"

CONSENT_TEXT = (
    "I agree that the clinic may store the information in this form and use it to contact me "
    "about my inquiry. I understand this is not a request for emergency care and that sending "
    "it does not start any treatment or create any obligation."
)

SMS_CONSENT_TEXT = (
    "You may also send me text messages about my inquiry (optional; message and data rates may "
    "apply; reply STOP to opt out)."
)

# Ids of wordings known to be stored, per worker.
EXTENSION_KEY = "clinic.consent_text_ids"

_BY_HASH = select(ConsentText.id).where(ConsentText.sha256 == bindparam("sha256"))
_INSERT = {
    "postgresql": postgresql.insert(ConsentText).on_conflict_do_nothing(
        index_elements=[ConsentText.sha256]
    ),
    "sqlite": sqlite.insert(ConsentText).on_conflict_do_nothing(
        index_elements=[ConsentText.sha256]
    ),
}


def shown_wording() -> str:
    """Everything the form says about consent, as shown: the consent box's label, then the
    optional text-message box's (whether that one was ticked is ``Inquiry.sms_consent``)."""
    return f"{CONSENT_TEXT}\n\n{SMS_CONSENT_TEXT}"


def fingerprint(wording: str) -> str:
    return hashlib.sha256(wording.encode()).hexdigest()


def text_id(version: str, wording: str) -> int:
    """The id of the stored row for this wording, storing it first if it is new.

    A new wording is stored in a write transaction of its own, committed at once, so call this
    before opening the write transaction that records the consent (write_transaction would
    commit a caller's open one). Each worker remembers the ids it has seen: a stored wording is
    never changed or deleted, so after its first inquiry intake asks nothing here.
    """
    sha256 = fingerprint(wording)
    known: dict[str, int] = current_app.extensions.setdefault(EXTENSION_KEY, {})
    if sha256 in known:
        return known[sha256]
    with write_transaction():
        connection = db.session.connection()
        found = connection.execute(_BY_HASH, {"sha256": sha256}).scalar_one_or_none()
        if found is None:
            row = {
                "version": version,
                "text": wording,
                "sha256": sha256,
                "first_shown_at": utcnow(),
            }
            connection.execute(_INSERT[connection.dialect.name], row)
            found = connection.execute(_BY_HASH, {"sha256": sha256}).scalar_one()
    known[sha256] = found
    return found


def current_text_id() -> int:
    """The stored row of what the form shows now (see :func:`text_id` for when to call it)."""
    return text_id(CONSENT_VERSION, shown_wording())


def current_text() -> ConsentText:
    """The wording the form shows now, as stored (call it outside a write transaction, like
    :func:`text_id`)."""
    return db.session.get_one(ConsentText, current_text_id())


def text_for_version(version: str) -> ConsentText | None:
    """The wording stored under a version label (the latest, should one label have been given
    to two wordings); how the record finds the words of inquiries stored before each kept its
    own."""
    return db.session.execute(
        select(ConsentText)
        .where(ConsentText.version == version)
        .order_by(ConsentText.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def text_of(consent_text_id: int | None, version: str) -> tuple[ConsentText | None, bool]:
    """The wording an inquiry agreed to, and whether it is the inquiry's own record (True) or
    only the text stored for its version label (False: an inquiry older than that record)."""
    if consent_text_id is not None:
        return db.session.get(ConsentText, consent_text_id), True
    return text_for_version(version), False
