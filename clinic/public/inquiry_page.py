"""The inquiry form and its page, built once per worker instead of once per visit.

Rendering the form's fields through WTForms and the shared field macro was most of what a GET
of /inquire cost, yet the page differs between visitors only in its two tokens (CSRF and form
token). So each worker renders the page once per condition list and preselected condition with
placeholders in the token fields, and fills each visitor's tokens in.

The condition list is read from the database at most every CLINIC_CONTENT_CACHE_SECONDS (0: on
every request), so a `flask content sync` reaches the form within that time. A new list drops the
pages rendered from the old one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import current_app, render_template, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from clinic.leads import conditions
from clinic.public.catalogue_views import consultation_offer
from clinic.public.forms import InquiryForm

EXTENSION_KEY = "clinic.inquiry_page"
# Markers put in the token fields of the rendered page: plain ASCII that HTML escaping leaves
# alone and that no other part of the page contains.
CSRF_PLACEHOLDER = "clinic-csrf-token-placeholder"
IDEMPOTENCY_PLACEHOLDER = "clinic-idempotency-placeholder"


@dataclass
class _WorkerCache:
    choices: tuple[tuple[str, str], ...] | None = None
    pages: dict[str | None, str] = field(default_factory=dict)
    offer: object = None  # the consultation price the pages show (catalogue_views)


def _worker_cache() -> _WorkerCache:
    return current_app.extensions.setdefault(EXTENSION_KEY, _WorkerCache())


def condition_choices() -> tuple[tuple[str, str], ...]:
    """The published conditions a patient can pick; a new list drops the pages built from the
    old one."""
    cache = _worker_cache()
    choices = conditions.choices(published_only=True)
    if choices != cache.choices:
        cache.pages.clear()
        cache.choices = choices
    return choices


def new_inquiry_form(condition: str | None = None, submitted_from: str | None = None, **kwargs):
    """A form ready to render: condition choices, preselection and a fresh idempotency token."""
    form = InquiryForm(**kwargs)
    form.condition.choices = [("", "Choose one"), *condition_choices()]
    if request.method == "GET":
        form.form_token.data = secrets.token_hex(16)
        if condition:
            form.condition.data = condition
        form.submitted_from.data = submitted_from or request.path
    return form


def inquiry_page(condition: str | None = None) -> str:
    """The blank /inquire page for this visitor: the worker's rendering with fresh tokens.

    A visitor with flashed messages waiting gets a page rendered just for them, since the
    layout shows (and consumes) those messages.
    """
    if session.get("_flashes"):
        return render_template("public/inquire.html", form=new_inquiry_form(condition))
    choices = condition_choices()
    if condition not in {slug for slug, _ in choices}:
        condition = None  # the form would preselect nothing anyway; keeps one page per condition
    cache = _worker_cache()
    offer = consultation_offer()  # the consultation's price is on the page too
    if offer != cache.offer:
        cache.pages.clear()
        cache.offer = offer
    page = cache.pages.get(condition)
    if page is None:
        page = cache.pages[condition] = _render_with_placeholders(condition)
    return page.replace(CSRF_PLACEHOLDER, escape(generate_csrf())).replace(
        IDEMPOTENCY_PLACEHOLDER, secrets.token_hex(16)
    )


def _render_with_placeholders(condition: str | None) -> str:
    form = new_inquiry_form(condition)
    form.csrf_token.current_token = CSRF_PLACEHOLDER
    form.form_token.data = IDEMPOTENCY_PLACEHOLDER
    page = render_template("public/inquire.html", form=form)
    if page.count(CSRF_PLACEHOLDER) != 1 or page.count(IDEMPOTENCY_PLACEHOLDER) != 1:
        raise RuntimeError("the inquiry page must hold each token placeholder exactly once")
    return page
