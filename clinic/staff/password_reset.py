"""Forgotten passwords: a single-use link by email, valid for 30 minutes.

Only the token's hash is stored, so a copy of the token table opens nothing. The email itself
goes through the outbox like every other message and so holds the link until it is sent; the
link dies when used, when any new password is set, and 30 minutes after it was made. The email
names no patient and carries no health detail.

Plain functions; callers wrap them in `write_transaction()`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import delete, func, select

from clinic import audit
from clinic.extensions import db
from clinic.models import OutboxMessage, PasswordResetToken, StaffUser
from clinic.notify import outbox
from clinic.profile import current_profile
from clinic.staff import accounts

LINK_LIFETIME = timedelta(minutes=30)
# Links the sign-in page's form may send one account per LINK_LIFETIME: enough for a lost
# email or two, too few to flood anyone's mailbox with it.
MAX_REQUESTED_LINKS = 3
RESET_EMAIL = "password_reset"
RESET_PATH = "/staff/reset-password"


class InvalidLink(ValueError):
    """The link is unknown, used, expired, or for an account that can no longer sign in."""


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def reset_link(token: str) -> str:
    """Always from CLINIC_PUBLIC_URL: a request's Host header must never shape an email link.
    The token goes in the query string, which the request log leaves out."""
    return f"{current_app.config['CLINIC_PUBLIC_URL']}{RESET_PATH}?token={token}"


def send_link(user: StaffUser, *, now: datetime, by: StaffUser | None = None) -> OutboxMessage:
    """Make a new link for `user` and queue the email carrying it; audited as sent.

    `by` is the admin who sent it; None when the person asked on the sign-in page. Earlier
    unused links keep working until they expire or one of them is used.

    :raise AccountError: when the account is deactivated.
    """
    if not user.active:
        raise accounts.AccountError(
            f"{user.email} is deactivated: reactivate the account before sending a reset link."
        )
    db.session.execute(
        delete(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    message = outbox.queue(
        RESET_EMAIL,
        user.email,
        subject=f"Choose a new password — {current_profile().name} staff",
        body=render_template(
            "email/password_reset.txt",
            link=reset_link(token),
            minutes=int(LINK_LIFETIME.total_seconds() // 60),
            sent_by_admin=by is not None,
        ),
        now=now,
    )
    db.session.flush()
    outbox.deliver_after_response([message])
    if by is None:
        audit.record(
            "password_reset_sent", detail="asked for on the sign-in page", actor_email=user.email
        )
    else:
        audit.record("password_reset_sent", detail=user.email, actor=by)
    return message


def _links_made_since(user: StaffUser, since: datetime) -> int:
    query = select(func.count()).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.created_at > since
    )
    return db.session.execute(query).scalar_one()


def request_link(email: str, *, now: datetime) -> None:
    """The sign-in page's "Forgot your password?": a link for an active account, nothing for
    anyone else.

    The caller answers the same whatever happened here, so the form can't be used to learn
    which emails belong to staff; the audit log says what happened.
    """
    typed_email = (email or "").strip().lower()[: accounts.EMAIL_MAX]
    user = accounts.find_by_email(typed_email)
    if user is None or not user.active:
        reason = "unknown account" if user is None else "account deactivated"
        audit.record("password_reset_refused", detail=reason, actor_email=typed_email)
        return
    if _links_made_since(user, now - LINK_LIFETIME) >= MAX_REQUESTED_LINKS:
        detail = f"{MAX_REQUESTED_LINKS} links already sent in the last 30 minutes"
        audit.record("password_reset_refused", detail=detail, actor_email=user.email)
        return
    send_link(user, now=now)


def _live_token(token: str, now: datetime, *, for_update: bool = False):
    query = (
        select(PasswordResetToken, StaffUser)
        .join(StaffUser, StaffUser.id == PasswordResetToken.user_id)
        .where(
            PasswordResetToken.token_hash == token_hash(token),
            PasswordResetToken.expires_at > now,
            StaffUser.active.is_(True),
        )
    )
    if for_update:
        query = query.with_for_update(of=PasswordResetToken)
    return db.session.execute(query).first()


def account_for(token: str, now: datetime) -> StaffUser | None:
    """The account a link would reset, while the link still works; None otherwise."""
    if not token:
        return None
    found = _live_token(token, now)
    return found[1] if found else None


def reset_password(token: str, password: str, *, now: datetime) -> StaffUser:
    """Use a link: set the new password, sign the person out everywhere, spend every link.

    :raise InvalidLink: when the link no longer works.
    :raise AccountError: when the password breaks the rule (the link stays usable).
    """
    found = _live_token(token, now, for_update=True) if token else None
    if found is None:
        raise InvalidLink("This link has expired or has already been used.")
    user = found[1]
    accounts.check_new_password(user.email, password)
    accounts.store_new_password(user, password, now)
    audit.record("password_reset", detail="with an emailed link", actor=user)
    return user
