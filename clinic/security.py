"""Browser-facing protections on every response, and trusting a proxy only when told to.

The site takes health information from the public, so the headers here are strict by default:
a Content-Security-Policy that runs only our own scripts, no framing, no MIME sniffing, and
`Cache-Control: no-store` on every page that holds personal data or a form token.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

# No 'unsafe-inline' and no wildcard anywhere. JSON-LD blocks (<script type="application/ld+json">)
# are data, not scripts: browsers never execute them, so script-src need not allow them.
POLICY_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors {ancestors}",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
]
CONTENT_SECURITY_POLICY = "; ".join(POLICY_DIRECTIVES).format(ancestors="'none'")

# The inquiry form for the clinic's own site (clinic.public.embed_views) is the one page other
# sites may frame, and only those in EMBED_ALLOWED_ORIGINS; its script is the one file they load.
EMBED_PREFIX = "/embed/"
EMBED_SCRIPT = "/static/js/embed.js"
# An origin as CSP writes it (scheme, host, optional port; a leading *. for subdomains): nothing
# that could end the directive or add another.
_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def embed_origins() -> list[str]:
    """EMBED_ALLOWED_ORIGINS without trailing slashes, leaving out anything not an origin."""
    configured = current_app.config.get("EMBED_ALLOWED_ORIGINS") or []
    origins = [origin.strip().rstrip("/") for origin in configured]
    return [origin for origin in origins if _ORIGIN.fullmatch(origin)]


def embed_policy() -> str:
    """The same strict policy, framable by the allowed origins and by our own pages (the
    settings page's preview) only."""
    return "; ".join(POLICY_DIRECTIVES).format(ancestors=" ".join(["'self'", *embed_origins()]))


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Pages whose content is about one person (or is that person's form) even without a form token.
PERSONAL_ENDPOINTS = {"public.inquire", "public.thanks"}
STAFF_PREFIX = "/staff"


def holds_personal_data(response: Response) -> bool:
    """Whether a shared or browser cache must not keep this response.

    Staff pages, the inquiry form and its thanks page, any page that rendered a form token
    (its token is tied to the visitor's session) and any response that changes the session.
    """
    if request.path == STAFF_PREFIX or request.path.startswith(STAFF_PREFIX + "/"):
        return True
    if request.endpoint in PERSONAL_ENDPOINTS or request.path.startswith(EMBED_PREFIX):
        return True
    if "csrf_token" in g:
        return True
    return session.modified or bool(response.headers.getlist("Set-Cookie"))


def add_security_headers(response: Response) -> Response:
    """The headers every response carries; HSTS only where the site is served over HTTPS."""
    headers = response.headers
    embedded = request.path.startswith(EMBED_PREFIX)
    headers["Content-Security-Policy"] = embed_policy() if embedded else CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    if not embedded:  # it can't say "these origins": frame-ancestors does, for the embed
        headers["X-Frame-Options"] = "DENY"
    # strict-origin-when-cross-origin still sends the same-origin Referer that Flask-WTF checks
    # over HTTPS, while other sites see only our origin.
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    # Other sites load the embed's script; a parent page isolated with COEP needs its frame's
    # consent too.
    shared = embedded or request.path == EMBED_SCRIPT
    headers["Cross-Origin-Resource-Policy"] = "cross-origin" if shared else "same-origin"
    hsts_seconds = current_app.config.get("HSTS_SECONDS", 0)
    if hsts_seconds:
        headers["Strict-Transport-Security"] = f"max-age={int(hsts_seconds)}"
    if holds_personal_data(response):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def trust_proxies(app: Flask) -> None:
    """Honour X-Forwarded-For/-Proto only from TRUSTED_PROXIES hops, so clients can't pick an IP.

    Without it, rate limits and audit rows use the address that connected to the app server.
    """
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    trust_proxies(app)
    app.after_request(add_security_headers)
