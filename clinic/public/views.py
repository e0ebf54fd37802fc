"""Routes for patients: thin wrappers around the content and intake rules."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from clinic import clock
from clinic.automation.intake import owner_for_new_lead
from clinic.extensions import db
from clinic.leads import intake
from clinic.leads.booking import booking_token
from clinic.limits import limit_inquiries
from clinic.models import Article
from clinic.notify.booking_mail import booking_is_open
from clinic.public import bp
from clinic.public.attribution import current_attribution, remember_first_touch
from clinic.public.forms import InquiryForm
from clinic.public.inquiry_page import inquiry_page, new_inquiry_form
from clinic.public.thanks import remember_sent, reply_by, take_sent


@bp.before_app_request
def _first_touch():
    # A framed form (/embed/…) keeps out of the session: its attribution comes from the page
    # around it, and its cookie would be a third-party one.
    if request.blueprint == "public" and not request.path.startswith("/embed/"):
        remember_first_touch()


def published(kind: str | None = None):
    query = select(Article).where(Article.published.is_(True))
    if kind:
        query = query.where(Article.kind == kind)
    return db.session.execute(query.order_by(Article.position, Article.title)).scalars().all()


@bp.get("/")
def home():
    return render_template("public/home.html", conditions=published("condition"))


@bp.get("/conditions/")
def conditions():
    return render_template("public/conditions.html", conditions=published("condition"))


@bp.get("/conditions/<slug>")
def condition(slug: str):
    article = db.session.execute(
        select(Article).where(
            Article.slug == slug, Article.kind == "condition", Article.published.is_(True)
        )
    ).scalar_one_or_none()
    if article is None:
        abort(404)
    form = new_inquiry_form(condition=slug, submitted_from=request.path)
    return render_template(
        "public/article.html", article=article, toc=json.loads(article.toc_json), form=form
    )


@bp.route("/inquire", methods=["GET", "POST"])
@limit_inquiries
def inquire():
    if request.method == "GET":
        return inquiry_page(request.args.get("condition"))
    form = new_inquiry_form()
    now = clock.now()
    if form.website.data:
        current_app.logger.info("inquiry honeypot filled; nothing stored")
        remember_sent(None, form.preferred_contact.data, now)
        return redirect(url_for("public.thanks"), code=303)
    if form.validate():
        stored = intake.record_inquiry(
            inquiry_data_from(form), pick_owner=owner_for_new_lead, now=now
        )
        remember_sent(
            stored.reference,
            form.preferred_contact.data,
            now,
            booking_token(stored.lead_id, stored.inquiry_id),
        )
        return redirect(url_for("public.thanks"), code=303)
    return render_template("public/inquire.html", form=form), 422


def inquiry_data_from(form: InquiryForm) -> intake.InquiryData:
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
        submitted_from=form.submitted_from.data or request.path,
        idempotency_key=intake.idempotency_key_for(form.form_token.data),
        attribution=current_attribution(),
    )


@bp.get("/inquire/thanks")
def thanks():
    sent = take_sent()
    if sent is None:
        return redirect(url_for("public.inquire"), code=303)
    when = reply_by(sent.sent_at, clock.business_calendar())
    book_url = None
    if sent.booking_token and booking_is_open():
        book_url = url_for("public.book", token=sent.booking_token)
    return render_template("public/thanks.html", sent=sent, when=when, book_url=book_url)


@bp.get("/sitemap.xml")
def sitemap():
    base = current_app.config["CLINIC_PUBLIC_URL"]
    pages = [("/", None), ("/conditions/", None), ("/inquire", None)]
    pages += [(article.path, article.updated_at) for article in published()]
    body = render_template("public/sitemap.xml", base=base, pages=pages)
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    base = current_app.config["CLINIC_PUBLIC_URL"]
    lines = [
        "User-agent: *",
        "Disallow: /staff/",
        "Disallow: /inquire/thanks",
        "Disallow: /book/",
        "Disallow: /booking/",
        f"Sitemap: {base}/sitemap.xml",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/<path:slug>")
def page(slug: str):
    article = db.session.execute(
        select(Article).where(
            Article.slug == slug.strip("/"), Article.kind == "page", Article.published.is_(True)
        )
    ).scalar_one_or_none()
    if article is None:
        abort(404)
    return render_template("public/page.html", article=article, toc=json.loads(article.toc_json))
