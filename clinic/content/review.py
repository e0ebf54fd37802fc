"""No page reaches patients without a clinician's review, and never on its own author's word.

A clinical reviewer (an admin marks them) approves a revision: the page is published from it,
and the byline — who wrote it, who approved it and when — is copied from that approval, never
typed. The reviewer may not have written any revision since the page was last approved. When
the claim checker flags sentences, the approval must say why they stand (or the reviewer
changes the text first). Shipped pages are published by `content sync` without a review and say
so; an approval older than CONTENT_REVIEW_MONTHS is due again, and the page stays public.

Every page needs a clinical reviewer's approval, the privacy notice and FAQ too: the rule is the
same everywhere, so nobody has to judge which text is "medical".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from clinic import audit, clock
from clinic.content import claims
from clinic.content import references as refs
from clinic.content.render import render_page
from clinic.content.revisions import PageSource, latest_revision, revisions
from clinic.extensions import db
from clinic.models import Article, PageReview, PageRevision, StaffUser, utcnow

COMMENT_MAX = 4000
REASON_MAX = 4000

# A page's state, as the pages list shows it.
STATES = {
    "published": "Published",
    "awaiting_review": "Draft awaiting review",
    "changes_requested": "Changes requested",
}


class ReviewError(ValueError):
    """A review can't be recorded as given; the message says why, in the reviewer's words."""


def flags_of(revision: PageRevision) -> list[claims.FlaggedSentence]:
    """The sentences of a revision's title, summary and text that the claim checker flags."""
    return claims.flagged_sentences(revision.title, revision.summary, revision.body_markdown)


def authors_to_review(article: Article, revision: PageRevision) -> set[int]:
    """Who wrote the text a review of `revision` covers: the authors of every revision since
    the last approved one before it (people, not shipped sources)."""
    approved_before = db.session.execute(
        select(PageRevision.number)
        .join(PageReview, PageReview.revision_id == PageRevision.id)
        .where(
            PageRevision.article_id == article.id,
            PageRevision.number < revision.number,
            PageReview.decision == "approved",
        )
        .order_by(PageRevision.number.desc())
        .limit(1)
    ).scalar_one_or_none()
    query = select(PageRevision.author_id).where(
        PageRevision.article_id == article.id,
        PageRevision.number > (approved_before or 0),
        PageRevision.number <= revision.number,
        PageRevision.author_id.is_not(None),
    )
    return set(db.session.execute(query).scalars())


def may_review(article: Article, revision: PageRevision, person: StaffUser) -> str | None:
    """Why `person` may not approve `revision`, or None when they may."""
    if not person.is_clinical_reviewer:
        return "Only a clinical reviewer can approve a page. An admin marks who is one."
    if person.id in authors_to_review(article, revision):
        return (
            "You wrote part of this change, so another clinical reviewer must approve it: "
            "a page is published on two people's word."
        )
    latest = latest_revision(article)
    if latest is not None and latest.number != revision.number:
        return f"Revision {latest.number} is newer: review that one instead."
    return None


def approve(
    article: Article,
    revision: PageRevision,
    reviewer: StaffUser,
    *,
    comment: str = "",
    claims_reason: str = "",
) -> PageReview:
    """Record a clinician's approval of a revision and publish the page from it.

    :raise ReviewError: the reviewer may not approve it, or flagged sentences have no reason.
    """
    refusal = may_review(article, revision, reviewer)
    if refusal:
        raise ReviewError(refusal)
    flagged = flags_of(revision)
    claims_reason = claims_reason.strip()[:REASON_MAX]
    if flagged and not claims_reason:
        raise ReviewError(
            "The claim checker flagged sentences in this revision. Change them, or say why "
            "each may stand (for example, that it says there is no cure)."
        )
    review = PageReview(
        revision_id=revision.id,
        reviewer_id=reviewer.id,
        decided_at=utcnow(),
        decision="approved",
        comment=comment.strip()[:COMMENT_MAX],
        flagged_json=json.dumps([asdict(flag) for flag in flagged], ensure_ascii=False),
        claims_reason=claims_reason if flagged else "",
    )
    db.session.add(review)
    publish(article, revision, review)
    audit.record(
        "page_approved",
        actor=reviewer,
        detail=f"{article.slug}: revision {revision.number} approved and published"
        + (f"; {len(flagged)} flagged sentences stand: {claims_reason}" if flagged else ""),
    )
    return review


def request_changes(
    article: Article, revision: PageRevision, reviewer: StaffUser, *, comment: str
) -> PageReview:
    """A clinician's request for changes: the draft stays unpublished, with the comment shown.

    :raise ReviewError: not a clinical reviewer, or no comment saying what to change.
    """
    if not reviewer.is_clinical_reviewer:
        raise ReviewError("Only a clinical reviewer can review a page.")
    comment = comment.strip()[:COMMENT_MAX]
    if not comment:
        raise ReviewError("Say what should change, so the author can fix it.")
    review = PageReview(
        revision_id=revision.id,
        reviewer_id=reviewer.id,
        decided_at=utcnow(),
        decision="changes_requested",
        comment=comment,
        flagged_json="[]",
        claims_reason="",
    )
    db.session.add(review)
    db.session.flush()
    audit.record(
        "page_changes_requested",
        actor=reviewer,
        detail=f"{article.slug}: changes requested on revision {revision.number}",
    )
    return review


def publish(article: Article, revision: PageRevision, approval: PageReview | None) -> None:
    """Show patients `revision`: rendered once here, with the byline from `approval` (None: a
    shipped page nobody at the clinic has reviewed)."""
    source = PageSource.of(revision)
    rendered = render_page(source.body_markdown, len(source.references))
    article.title = source.title
    article.summary = source.summary
    article.condition_name = source.condition_name
    article.body_html = rendered.body_html
    article.toc_json = json.dumps(rendered.toc, ensure_ascii=False)
    article.references_json = refs.to_json(source.references)
    article.published_revision = revision.number
    article.written_by_id = revision.author_id
    article.reviewed_by_id = approval.reviewer_id if approval else None
    article.reviewed_at = approval.decided_at if approval else None
    article.updated_at = utcnow()
    db.session.flush()


# --- what is due, and what each page is waiting for --------------------------------------


def review_months() -> int:
    return int(current_app.config["CONTENT_REVIEW_MONTHS"])


def review_expires_on(reviewed_at: datetime) -> date:
    """The day a review made at `reviewed_at` (clinic time) is due again."""
    day = clock.today(reviewed_at)
    year, month = divmod(day.month - 1 + review_months(), 12)
    year, month = day.year + year, month + 1
    for last_day in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def review_due(article: Article, today: date | None = None) -> bool:
    """A published page nobody at the clinic has reviewed, or whose review has expired."""
    if not article.published:
        return False
    if article.reviewed_at is None:
        return True
    return review_expires_on(article.reviewed_at) <= (today or clock.today())


def pages_due(today: date | None = None) -> list[Article]:
    """Published pages a clinical reviewer should look at, the longest unreviewed first."""
    query = select(Article).where(Article.published.is_(True))
    due = [a for a in db.session.execute(query).scalars() if review_due(a, today)]
    return sorted(
        due, key=lambda a: (a.reviewed_at is not None, a.reviewed_at or utcnow(), a.position)
    )


def unreviewed_condition_pages() -> list[str]:
    """Slugs of published condition pages no clinician has approved (production refuses them)."""
    query = (
        select(Article.slug)
        .where(
            Article.published.is_(True),
            Article.kind == "condition",
            Article.reviewed_by_id.is_(None),
        )
        .order_by(Article.position, Article.slug)
    )
    return list(db.session.execute(query).scalars())


@dataclass(frozen=True)
class PageState:
    state: str  # a key of STATES
    latest: PageRevision | None
    latest_review: PageReview | None  # the newest decision on the latest revision
    due: bool

    @property
    def label(self) -> str:
        return STATES[self.state]


def reviews_of(revision_ids: list[int]) -> dict[int, list[PageReview]]:
    """Reviews by revision id, newest first."""
    found: dict[int, list[PageReview]] = {}
    if not revision_ids:
        return found
    query = (
        select(PageReview)
        .where(PageReview.revision_id.in_(revision_ids))
        .order_by(PageReview.decided_at.desc(), PageReview.id.desc())
    )
    for review in db.session.execute(query).scalars():
        found.setdefault(review.revision_id, []).append(review)
    return found


def page_state(article: Article, today: date | None = None) -> PageState:
    latest = latest_revision(article)
    decisions = reviews_of([latest.id]).get(latest.id, []) if latest else []
    newest = decisions[0] if decisions else None
    if latest is None or latest.number == article.published_revision:
        state = "published"
    elif newest is not None and newest.decision == "changes_requested":
        state = "changes_requested"
    else:
        state = "awaiting_review"
    return PageState(state, latest, newest, review_due(article, today))


def all_pages() -> list[Article]:
    query = select(Article).order_by(Article.kind, Article.position, Article.title)
    return list(db.session.execute(query).scalars())


def history(article: Article) -> list[tuple[PageRevision, list[PageReview]]]:
    """Every revision, newest first, with the reviews of each."""
    found = revisions(article)
    by_revision = reviews_of([r.id for r in found])
    return [(r, by_revision.get(r.id, [])) for r in found]


# --- the public byline --------------------------------------------------------------------


@dataclass(frozen=True)
class Byline:
    written_by: str | None  # None: shipped with the site, written by nobody at the clinic
    reviewed_by: str | None  # the reviewer's name with degree and specialty
    reviewed_on: date | None
    due: bool


def byline(article: Article) -> Byline:
    """What the public page says about who wrote and who reviewed it, from the approval."""
    ids = [i for i in (article.written_by_id, article.reviewed_by_id) if i]
    people: dict[int, StaffUser] = {}
    if ids:
        found = db.session.execute(select(StaffUser).where(StaffUser.id.in_(ids))).scalars()
        people = {user.id: user for user in found}
    writer = people.get(article.written_by_id) if article.written_by_id else None
    reviewer = people.get(article.reviewed_by_id) if article.reviewed_by_id else None
    return Byline(
        written_by=writer.name if writer else None,
        reviewed_by=reviewer.credentials if reviewer else None,
        reviewed_on=clock.today(article.reviewed_at) if article.reviewed_at else None,
        due=review_due(article),
    )
