"""What the clinic offers and who gives it, for patients: /services and /clinicians, and the
consultation's price beside the inquiry form."""

from __future__ import annotations

from flask import render_template

from clinic.content import catalogue
from clinic.content.render import render_markdown
from clinic.public import bp
from clinic.worker_cache import cached


@bp.get("/services")
def services():
    offered = catalogue.published_services()
    clinicians = {person.id: person for person in catalogue.published_clinicians()}
    return render_template(
        "public/services.html",
        services=offered,
        clinicians=clinicians,
        price=catalogue.format_price,
        shows_fda_warning=catalogue.shows_fda_warning,
        fda=catalogue.FDA_WARNING_SOURCE,
    )


@bp.get("/clinicians")
def clinicians():
    people = catalogue.published_clinicians()
    # Sanitised HTML (render_markdown allows a few tags only), shown like an article's body.
    bios = {person.id: render_markdown(person.bio)[0] for person in people}
    return render_template("public/clinicians.html", clinicians=people, bios=bios)


@bp.app_template_global()
def consultation_offer() -> catalogue.Offer | None:
    """The published consultation's name and price for the inquiry form, or None (the form then
    names no price). Each worker reads it at most every CLINIC_CONTENT_CACHE_SECONDS."""
    return cached("consultation_offer", catalogue.consultation_offer)
