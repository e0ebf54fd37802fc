"""Rate limits on the forms anyone on the internet can post: the inquiry, staff sign-in and the
forgotten-password forms.

Counted per client address (see clinic.net.client_ip: X-Forwarded-For counts only behind
TRUSTED_PROXIES). With RATELIMIT_STORAGE_URI pointing at Redis, every app server shares the
counts; the default in-memory storage counts per process.
"""

from __future__ import annotations

from flask import Flask, current_app

from clinic.extensions import limiter

INQUIRY_SCOPE = "inquiry"
SIGN_IN_SCOPE = "staff-sign-in"
RESET_LINK_SCOPE = "staff-reset-link"


def inquiry_limit() -> str:
    return current_app.config["RATELIMIT_INQUIRY"]


def sign_in_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def password_reset_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


# One-line decorators for the views: only the POST counts, so reading the form is never limited.
limit_inquiries = limiter.limit(inquiry_limit, methods=["POST"], scope=INQUIRY_SCOPE)
limit_sign_ins = limiter.limit(sign_in_limit, methods=["POST"], scope=SIGN_IN_SCOPE)
limit_password_resets = limiter.limit(
    password_reset_limit, methods=["POST"], scope=RESET_LINK_SCOPE
)


def init_app(app: Flask) -> None:
    """Bind the shared limiter to this app, with this app's RATELIMIT_KEY_PREFIX.

    Flask-Limiter keeps the first prefix it saw on its (module-level) instance; clearing it lets
    each app, and each test run sharing one Redis, count under its own prefix.
    """
    limiter._key_prefix = ""
    limiter.init_app(app)
