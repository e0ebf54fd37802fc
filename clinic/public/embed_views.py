"""The inquiry form framed on the clinic's own site: /embed/inquire (and ?condition=<slug>).

A frame from another site can't count on cookies (Safari, and Chromium with third-party cookies
blocked, send it none), so nothing here touches the session. The session's CSRF token gives way
to a signed, time-limited token bound to the form's idempotency token; with that idempotency
token and the honeypot it keeps the protections of the site's form. The thanks is the answer to
the POST itself, inside the frame: a redirect would need the session to know what was sent.
Sending the same form twice stores one inquiry and thanks with the same reference.

The snippet the clinic pastes (clinic/static/js/embed.js) passes the page around the frame, its
referrer and its UTM tags in the frame's address; the inquiry records them as the embed's
attribution. Which sites may frame this page is the Content-Security-Policy's frame-ancestors
(clinic.security, EMBED_ALLOWED_ORIGINS).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from clinic import clock
from clinic.automation.intake import owner_for_new_lead
from clinic.extensions import csrf
from clinic.leads import intake
from clinic.leads.booking import booking_token
from clinic.leads.inquiry_input import web_address
from clinic.limits import limit_inquiries
from clinic.notify.booking_mail import booking_is_open
from clinic.public import bp
from clinic.public.attribution import UTM_KEYS
from clinic.public.forms import EmbedInquiryForm
from clinic.public.inquiry_page import condition_choices
from clinic.public.thanks import SentInquiry, reply_by
from clinic.security import embed_origins

FORM_TOKEN_SALT = "clinic.embed-form"  # noqa: S105 (a salt naming the token's purpose)
EMBED_SOURCE = "embed"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=FORM_TOKEN_SALT)


def sign_form_token(form_token: str) -> str:
    return _signer().dumps(form_token)


def form_token_is_ours(form_token: str | None, signed: str | None) -> bool:
    """Whether ``signed`` is our signature of this form's token, made within the form's age."""
    if not form_token or not signed:
        return False
    try:
        token = _signer().loads(signed, max_age=current_app.config["EMBED_FORM_MAX_AGE_SECONDS"])
    except BadSignature:  # SignatureExpired is one
        return False
    return secrets.compare_digest(str(token), form_token)


def parent_page(address: str | None) -> str | None:
    """The page around the frame as stored: an http(s) address without its query string and
    fragment (which may hold anything, a person's email even; the UTM tags come separately)."""
    address = (address or "").strip()
    if not address or web_address(address) is None:
        return None
    parts = urlsplit(address)
    page = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    return page if len(page) <= intake.URL_MAX else None


def parent_origin(page: str | None) -> str | None:
    """The page's origin when the frame may tell it its height: an allowed origin or ours."""
    if not page:
        return None
    parts = urlsplit(page)
    origin = f"{parts.scheme}://{parts.netloc}"
    ours = request.host_url.rstrip("/")
    allowed = embed_origins()
    wildcards = [a.split("*.", 1) for a in allowed if "*." in a]
    if origin == ours or origin in allowed:
        return origin
    for start, domain in wildcards:
        if origin.startswith(start) and parts.netloc.endswith("." + domain):
            return origin
    return None


def _new_form(**kwargs) -> EmbedInquiryForm:
    form = EmbedInquiryForm(**kwargs)
    form.condition.choices = [("", "Choose one"), *condition_choices()]
    return form


def _fresh_tokens(form: EmbedInquiryForm) -> None:
    form.form_token.data = secrets.token_hex(16)
    form.embed_token.data = sign_form_token(form.form_token.data)


def _page(form: EmbedInquiryForm, status: int = 200, **context):
    page = parent_page(form.page.data)
    return (
        render_template(
            "public/embed.html",
            form=form,
            embedded=True,
            form_action=request.path,
            parent_origin=parent_origin(page),
            **context,
        ),
        status,
    )


@bp.get("/embed/inquire")
def embed_inquire():
    form = _new_form(formdata=None)
    _fresh_tokens(form)
    condition = request.args.get("condition")
    if condition in {slug for slug, _ in condition_choices()}:
        form.condition.data = condition
    form.page.data = parent_page(request.args.get("page")) or ""
    form.ref.data = web_address(request.args.get("ref", "")[: intake.URL_MAX]) or ""
    for key in UTM_KEYS:
        getattr(form, key).data = request.args.get(key, "")[: intake.ATTRIBUTION_MAX]
    return _page(form)


@bp.post("/embed/inquire")
@csrf.exempt
@limit_inquiries
def embed_send():
    form = _new_form()
    now = clock.now()
    if form.website.data:
        current_app.logger.info("embedded inquiry honeypot filled; nothing stored")
        return _thanks(form, None, now)
    if not form_token_is_ours(form.form_token.data, form.embed_token.data):
        # Open too long, or not made by us: everything typed is shown again with new tokens.
        _fresh_tokens(form)
        return _page(form, 400, resend_notice=True)
    if not form.validate():
        return _page(form, 422)
    stored = intake.record_inquiry(_inquiry_data(form), pick_owner=owner_for_new_lead, now=now)
    book_url = None
    if booking_is_open():
        token = booking_token(stored.lead_id, stored.inquiry_id)
        book_url = url_for("public.book", token=token, _external=True)
    return _thanks(form, stored.reference, now, book_url)


def _inquiry_data(form: EmbedInquiryForm) -> intake.InquiryData:
    page = parent_page(form.page.data)
    utm = {key: getattr(form, key).data or None for key in UTM_KEYS}
    return intake.InquiryData(
        name=form.name.data,
        email=form.email.data or None,
        phone=form.phone.data or None,
        condition_slug=form.condition.data,
        message=form.message.data or "",
        preferred_contact=form.preferred_contact.data,
        best_time=form.best_time.data,
        payment=form.payment.data,
        sms_consent=bool(form.sms_consent.data),
        consent_page=request.path,
        submitted_from=page or request.path,
        idempotency_key=intake.idempotency_key_for(form.form_token.data),
        attribution=intake.Attribution(
            **utm, referrer=web_address(form.ref.data or ""), landing_page=page
        ),
        channel="embed",
        source=EMBED_SOURCE,
    )


def _thanks(form: EmbedInquiryForm, reference: str | None, now, book_url: str | None = None):
    sent = SentInquiry(reference, form.preferred_contact.data, now)
    page = parent_page(form.page.data)
    return render_template(
        "public/embed_thanks.html",
        sent=sent,
        when=reply_by(now, clock.business_calendar()),
        embedded=True,
        parent_origin=parent_origin(page),
        book_url=book_url,
    )
