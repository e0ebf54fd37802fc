"""Saved replies for coordinators' emails and texts, written and kept by admins.

A template that promises treatment outcomes gets a visible reminder: the FTC has acted against
stem-cell clinics for claims such as "cures" or "guaranteed results", and every coordinator who
copies the text repeats the claim to a patient.
"""

from __future__ import annotations

from sqlalchemy import select

from clinic.content.claims import claim_phrases
from clinic.extensions import db
from clinic.leads import normalise
from clinic.models import ReplyTemplate, StaffUser

CHANNELS = {"email": "Email", "sms": "Text message"}
TITLE_MAX = 120
SUBJECT_MAX = 200
BODY_MAX = 5000
SMS_MAX = 640  # four text-message segments


class ReplyTemplateError(ValueError):
    """A template can't be saved as written; the message says what to fix."""


def outcome_claims(*texts: str) -> list[str]:
    """The outcome-claim words used, lower-cased, in order of first use, without repeats (the
    same checker as the educational pages')."""
    return claim_phrases(*texts)


def template_claims(template: ReplyTemplate) -> list[str]:
    return outcome_claims(template.subject, template.body)


def save_template(
    template: ReplyTemplate | None,
    *,
    title: str,
    channel: str,
    subject: str,
    body: str,
    active: bool,
    author: StaffUser,
) -> ReplyTemplate:
    """Create (template None) or update a saved reply. Claims are allowed but flagged.

    :raise ReplyTemplateError: a missing title or text, an unknown channel, or text too long.
    """
    title = normalise.clean_line(title)
    subject = normalise.clean_line(subject)
    body = normalise.clean_text(body)
    if not title:
        raise ReplyTemplateError("Give the template a title coordinators will recognise.")
    if len(title) > TITLE_MAX:
        raise ReplyTemplateError(f"The title can be at most {TITLE_MAX} characters long.")
    if channel not in CHANNELS:
        raise ReplyTemplateError("Choose whether the template is for email or text messages.")
    if not body:
        raise ReplyTemplateError("Write the text of the reply.")
    limit = SMS_MAX if channel == "sms" else BODY_MAX
    if len(body) > limit:
        raise ReplyTemplateError(
            f"A {CHANNELS[channel].lower()} template can be at most {limit} characters long "
            f"(this one has {len(body)})."
        )
    if channel == "sms":
        subject = ""
    elif len(subject) > SUBJECT_MAX:
        raise ReplyTemplateError(f"The subject can be at most {SUBJECT_MAX} characters long.")
    if template is None:
        template = ReplyTemplate()
        db.session.add(template)
    template.title = title
    template.channel = channel
    template.subject = subject
    template.body = body
    template.active = active
    template.updated_by_id = author.id
    db.session.flush()
    return template


def all_templates() -> list[ReplyTemplate]:
    query = select(ReplyTemplate).order_by(ReplyTemplate.channel, ReplyTemplate.title)
    return list(db.session.execute(query).scalars())


def active_templates() -> list[ReplyTemplate]:
    """What coordinators can copy on a lead record."""
    query = (
        select(ReplyTemplate)
        .where(ReplyTemplate.active.is_(True))
        .order_by(ReplyTemplate.channel, ReplyTemplate.title)
    )
    return list(db.session.execute(query).scalars())
