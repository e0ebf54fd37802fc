"""First-touch attribution: how a visitor first arrived, remembered until they send an inquiry."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, session

from clinic.leads.intake import URL_MAX, Attribution

SESSION_KEY = "first_touch"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def remember_first_touch() -> None:
    """On a visitor's first page view, keep the UTM tags, referring site and landing page."""
    if SESSION_KEY in session or request.method != "GET":
        return
    touch = {key: request.args.get(key, "")[:200] for key in UTM_KEYS if request.args.get(key)}
    referrer = request.referrer or ""
    if referrer and urlsplit(referrer).netloc != request.host:
        touch["referrer"] = referrer[:URL_MAX]
    touch["landing_page"] = request.full_path.rstrip("?")[:URL_MAX]
    session[SESSION_KEY] = touch


def current_attribution() -> Attribution:
    return Attribution.from_dict(session.get(SESSION_KEY))
