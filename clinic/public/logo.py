"""The clinic's logo, at an address that holds its hash: /clinic-logo/<sha256>.<ext>.

A new logo gets a new address, so browsers and proxies may keep each one for a year. Served
with the content type its bytes were checked to have (clinic.profile.read_logo), never one
guessed from the upload's name.
"""

from __future__ import annotations

from flask import Response, abort, request

from clinic import profile
from clinic.public import bp

YEAR_SECONDS = 365 * 24 * 3600


@bp.get("/clinic-logo/<string:sha256>.<string:extension>")
def clinic_logo(sha256: str, extension: str) -> Response:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        abort(404)
    found = profile.logo_file(sha256)
    if found is None or profile.LOGO_EXTENSIONS[found[1]] != extension:
        abort(404)
    data, content_type = found
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(sha256)
    return response.make_conditional(request)
