"""The educational pages in the browser: edit with a live preview, compare and restore
revisions, and the clinician's review that publishes a change.

Every view here is open to editors: pages and their history hold no patient's details.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from clinic import profile
from clinic.content import claims, review
from clinic.content import references as refs
from clinic.content.render import render_page
from clinic.content.revisions import (
    PageError,
    PageSource,
    compare,
    latest_revision,
    restore_revision,
    revision,
    save_revision,
)
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import Article, PageRevision, StaffUser
from clinic.staff import bp
from clinic.staff.auth import open_to_editors
from clinic.staff.content_forms import PageForm, ReviewForm


def _page(article_id: int) -> Article:
    return db.get_or_404(Article, article_id)


def _people(ids) -> dict[int, StaffUser]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    query = db.select(StaffUser).where(StaffUser.id.in_(wanted))
    return {user.id: user for user in db.session.execute(query).scalars()}


@bp.get("/content")
@login_required
@open_to_editors
def content():
    pages = review.all_pages()
    states = {article.id: review.page_state(article) for article in pages}
    people = _people(state.latest.author_id for state in states.values() if state.latest)
    return render_template(
        "staff/content/index.html",
        pages=pages,
        states=states,
        people=people,
        due=[article for article in pages if states[article.id].due],
    )


def _preview(source: PageSource) -> dict:
    """The preview's parts: the page as patients would see it, with flagged sentences marked."""
    cleaned = source.cleaned()
    rendered = render_page(cleaned.body_markdown, len(cleaned.references), mark_claims=True)
    return {
        "preview_source": cleaned,
        "preview_html": rendered.body_html,
        "preview_flags": claims.flagged_sentences(
            cleaned.title, cleaned.summary, cleaned.body_markdown
        ),
        "preview_problems": refs.citation_problems(cleaned.body_markdown, len(cleaned.references)),
    }


@bp.route("/content/<id:article_id>", methods=["GET", "POST"])
@login_required
@open_to_editors
def content_edit(article_id: int):
    article = _page(article_id)
    latest = latest_revision(article)
    form = PageForm()
    status = 200
    if request.method == "GET":
        if latest is not None:
            form.fill(PageSource.of(latest))
        else:
            form.add_blank_rows()
    else:
        action = request.form.get("action", "save")
        if action == "add_reference":
            form.references.append_entry()
        elif action == "save" and form.validate():
            try:
                with write_transaction():
                    saved = save_revision(
                        db.session.merge(article),
                        form.source(),
                        current_user,
                        note=form.note.data or "",
                    )
            except PageError as error:
                _show_problems(form, error.problems)
                status = 400
            else:
                if saved is None:
                    flash("Nothing changed since the last saved revision.", "success")
                else:
                    flash(
                        f"Saved as revision {saved.number}. Patients see the published page "
                        "until a clinical reviewer approves this change.",
                        "success",
                    )
                return redirect(url_for("staff.content_edit", article_id=article_id))
        elif form.errors:
            status = 400
    state = review.page_state(article)
    return render_template(
        "staff/content/edit.html",
        article=article,
        form=form,
        state=state,
        people=_people([state.latest_review.reviewer_id if state.latest_review else None]),
        **_preview(form.source()),
    ), status


def _show_problems(form: PageForm, problems: dict[str, list[str]]) -> None:
    for name, texts in problems.items():
        field = getattr(form, name)
        field.errors = list(field.errors) + texts if isinstance(field.errors, list) else texts


@bp.post("/content/preview")
@login_required
@open_to_editors
def content_preview():
    """The live preview (content_editor.js): the same rendering as the page, as a fragment."""
    form = PageForm()
    return render_template("staff/content/_preview.html", **_preview(form.source()))


@bp.get("/content/<id:article_id>/history")
@login_required
@open_to_editors
def content_history(article_id: int):
    article = _page(article_id)
    entries = review.history(article)
    ids = [r.author_id for r, _ in entries] + [x.reviewer_id for _, rs in entries for x in rs]
    return render_template(
        "staff/content/history.html",
        article=article,
        entries=entries,
        people=_people(ids),
        state=review.page_state(article),
    )


@bp.get("/content/<id:article_id>/compare")
@login_required
@open_to_editors
def content_compare(article_id: int):
    article = _page(article_id)
    old = revision(article, request.args.get("old", 0, type=int))
    new = revision(article, request.args.get("new", 0, type=int))
    if old is None or new is None:
        abort(404)
    if old.number > new.number:
        old, new = new, old
    return render_template(
        "staff/content/compare.html",
        article=article,
        old=old,
        new=new,
        lines=compare(old, new),
        people=_people([old.author_id, new.author_id]),
    )


@bp.post("/content/<id:article_id>/restore")
@login_required
@open_to_editors
def content_restore(article_id: int):
    """Save a copy of an old revision (its number in the form) as the newest draft."""
    article = _page(article_id)
    number = request.form.get("number", type=int)
    if number is None:
        abort(400)
    try:
        with write_transaction():
            restored = restore_revision(db.session.merge(article), number, current_user)
    except LookupError:
        abort(404)
    flash(
        f"Revision {number} restored as revision {restored.number}, a draft: a clinical "
        "reviewer must approve it before patients see it.",
        "success",
    )
    return redirect(url_for("staff.content_edit", article_id=article_id))


@bp.route("/content/<id:article_id>/review", methods=["GET", "POST"])
@login_required
@open_to_editors
def content_review(article_id: int):
    article = _page(article_id)
    latest = latest_revision(article)
    if latest is None:
        abort(404)
    form = ReviewForm()
    refusal = review.may_review(article, latest, current_user)
    status = 200
    if request.method == "POST":
        if not current_user.is_clinical_reviewer:
            abort(403)
        if form.validate():
            try:
                with write_transaction():
                    page, draft = db.session.merge(article), db.session.merge(latest)
                    if form.decision.data == "approved":
                        review.approve(
                            page,
                            draft,
                            current_user,
                            comment=form.comment.data or "",
                            claims_reason=form.claims_reason.data or "",
                        )
                    else:
                        review.request_changes(
                            page, draft, current_user, comment=form.comment.data or ""
                        )
            except review.ReviewError as error:
                target = form.claims_reason if "flagged" in str(error) else form.comment
                target.errors = [str(error)]
                status = 400
            else:
                if form.decision.data == "approved":
                    flash(f"Approved: patients now see revision {latest.number}.", "success")
                else:
                    flash("Changes requested: the author sees your comment.", "success")
                return redirect(url_for("staff.content_history", article_id=article_id))
        else:
            status = 400
    published = (
        revision(article, article.published_revision) if article.published_revision else None
    )
    changes = compare(published, latest) if published and published.number != latest.number else []
    state = review.page_state(article)
    return render_template(
        "staff/content/review.html",
        article=article,
        latest=latest,
        published=published,
        changes=changes,
        form=form,
        refusal=refusal,
        state=state,
        authors=_people(review.authors_to_review(article, latest)),
        **_preview(PageSource.of(latest)),
    ), status


@bp.app_template_global()
def page_byline(article: Article) -> review.Byline:
    """The public page's "Written by … · Medically reviewed by …" line (public templates)."""
    return review.byline(article)


@bp.app_template_global()
def page_references(article: Article) -> list[refs.Reference]:
    return refs.from_json(article.references_json)


@bp.app_template_global()
def clinic_profile_name() -> str:
    return profile.current_profile().name


@bp.app_template_global()
def revision_author(page_revision: PageRevision, people: dict[int, StaffUser]) -> str:
    if page_revision.author_id is None:
        return "Shipped with the site"
    author = people.get(page_revision.author_id)
    return author.name if author else "A former colleague"
