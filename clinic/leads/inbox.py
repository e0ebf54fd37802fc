"""The inbox as a query: bookmarkable parameters in, one filtered and paged select out.

Paging is keyset ("next"/"previous" from the last row seen), never OFFSET or a COUNT(*) over
the table, so every page costs the same at a million leads and nothing is skipped or shown
twice while new leads arrive. The same filtered select feeds the CSV export. Besides the
query: the owner filter each person opens the inbox on, and the consultations a page's leads
have booked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    and_,
    func,
    or_,
    select,
    tuple_,
    update,
)

from clinic import clock
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import appointments, counts, normalise
from clinic.leads.pipeline import OPEN_STATUSES, STATUS_LABELS, STATUSES
from clinic.leads.search import QUERY_MAX, find, search
from clinic.leads.sql import broad
from clinic.models import Appointment, Lead, StaffUser
from clinic.models.base import ID_MAX
from clinic.models.counts import UNASSIGNED

PAGE_SIZE = 50
SORTS = {"newest": "Newest first", "oldest": "Oldest first", "follow_up": "Next follow-up"}
VIEWS = {
    "due": "Follow-ups due now",
    "overdue": "Overdue follow-ups",
    "unassigned": "Unassigned",
    "stale": "Gone quiet",
    "possible_duplicates": "Possible same person",
}
# Views of work waiting on open leads; the others follow the status tabs like any filter
# (a lead marked as possibly the same person as another needs a decision whatever its stage).
OPEN_VIEWS = ("due", "overdue", "unassigned", "stale")
# Status scopes besides the single statuses: every open stage, or every lead whatever its stage.
SCOPES = {"open": "All open", "all": "All leads"}
# Whose leads: the owner filter's own values (a staff id besides). "anyone" is written out so that
# choosing everyone's leads differs from opening the inbox plainly, which starts on the person's
# remembered choice (StaffUser.inbox_owner, which spells "none" as "unassigned").
OWNERS = {"me": "Mine", "none": "Unassigned", "anyone": "Everyone"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class InboxParams:
    """What the coordinator asked to see, parsed from the query string; ``errors`` says what
    could not be understood (that part is ignored, the rest still applies)."""

    q: str = ""
    status: str = ""
    condition: str = ""
    owner: str = ""
    source: str = ""
    created_from: date | None = None
    created_to: date | None = None
    view: str = ""
    sort: str = "newest"
    after: str = ""
    before: str = ""
    errors: tuple[str, ...] = field(default=(), compare=False)

    @property
    def scope(self) -> str:
        """The status shown: as asked, else every open lead, or every lead when searching."""
        return self.status or ("all" if self.q else "open")

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The non-default parameters, for links that keep the current filters."""
        params = replace(self, **changes)
        values = {
            "q": params.q,
            "status": params.status,
            "condition": params.condition,
            "owner": params.owner,
            "source": params.source,
            "created_from": params.created_from.isoformat() if params.created_from else "",
            "created_to": params.created_to.isoformat() if params.created_to else "",
            "view": params.view,
            "sort": "" if params.sort == "newest" else params.sort,
            "after": params.after,
            "before": params.before,
        }
        return {key: value for key, value in values.items() if value}

    def filters_only(self) -> InboxParams:
        """The same filters on the first page (for tabs, sorting and the export)."""
        return replace(self, after="", before="")

    @property
    def filtered(self) -> bool:
        """Whether a filter narrows the list; whose leads (the owner) is a choice of its own,
        shown and changed apart from the filters."""
        return bool(self.query_args(sort="newest", after="", before="", status="", owner=""))

    @property
    def filtered_or_sorted(self) -> bool:
        """Whether the coordinator chose anything in the filter form besides a status and whose
        leads to see."""
        return self.filtered or self.sort != "newest"


@dataclass
class InboxContext:
    """Facts about now and who is asking that the filters need."""

    user_id: int
    now: datetime
    stale_days: int
    region: str

    @property
    def today(self) -> date:
        return clock.today(self.now)


@dataclass
class Page:
    leads: list[Lead]
    next_cursor: str | None = None
    previous_cursor: str | None = None


def _parse_date(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not EARLIEST_DAY <= day <= LATEST_DAY:
        errors.append(f"The “{label}” date must be a date such as 2026-01-31; it was ignored.")
        return None
    return day


def parse_params(args: Mapping[str, str]) -> InboxParams:
    """Read the query string; unknown values are dropped with a message, never an error page."""
    errors: list[str] = []

    def choice(name: str, allowed: Collection[str], label: str) -> str:
        value = args.get(name, "").strip()
        if value and value not in allowed:
            errors.append(f"“{value[:40]}” is not a {label} the inbox knows; it was ignored.")
            return ""
        return value

    owner = args.get("owner", "").strip()
    if owner and not _known_owner(owner):
        errors.append("The owner must be “me”, “none”, “anyone” or a staff member; it was ignored.")
        owner = ""
    created_from = _parse_date(args.get("created_from", "").strip(), "received from", errors)
    created_to = _parse_date(args.get("created_to", "").strip(), "received to", errors)
    if created_from and created_to and created_to < created_from:
        errors.append("The “received to” date is before the “received from” date; both ignored.")
        created_from = created_to = None
    after, before = args.get("after", "").strip(), args.get("before", "").strip()
    return InboxParams(
        q=normalise.clean_line(args.get("q"))[:QUERY_MAX],
        status=choice("status", (*STATUSES, *SCOPES), "status"),
        condition=normalise.clean_line(args.get("condition"))[:80],
        owner=owner,
        source=normalise.clean_line(args.get("source"))[:120],
        created_from=created_from,
        created_to=created_to,
        view=choice("view", VIEWS, "view"),
        sort=choice("sort", SORTS, "sort order") or "newest",
        after=after[:80] if not before else "",
        before=before[:80],
        errors=tuple(errors),
    )


def _known_owner(owner: str) -> bool:
    return owner in OWNERS or (owner.isdigit() and int(owner) <= ID_MAX)


def starting_owner(stored: str | None, *, is_admin: bool) -> str:
    """The owner filter a plain inbox opens on: the one the person last chose, else their
    role's: a coordinator starts on their own leads, an admin on everyone's."""
    owner = "none" if stored == "unassigned" else stored or ""
    if _known_owner(owner):
        return owner
    return "anyone" if is_admin else "me"


def remember_owner(user: StaffUser, owner: str) -> bool:
    """Keep the owner filter ``user`` chose, for the next time they open the inbox plainly.

    Written only when it differs from the one kept, in a short transaction of its own, so the
    page that follows reads as usual. Returns whether anything was written."""
    if not _known_owner(owner):
        return False
    stored = "unassigned" if owner == "none" else owner
    if user.inbox_owner == stored:
        return False
    with write_transaction():
        db.session.execute(
            update(StaffUser).where(StaffUser.id == user.id).values(inbox_owner=stored)
        )
    user.inbox_owner = stored
    return True


def listed() -> list[ColumnElement[bool]]:
    """Leads the inbox lists at all: not merged into another and not erased."""
    return [Lead.merged_into_id.is_(None), Lead.erased_at.is_(None)]


def _conditions(
    params: InboxParams, ctx: InboxContext, *, for_paging: bool = True
) -> list[ColumnElement[bool]]:
    """Every filter except the status scope (the tabs count across statuses).

    ``for_paging`` marks the views broad for a page's query (below). Counting the tabs reads
    up to a thousand matching leads in any order, which SQLite does fastest through the index
    on the view's own column: without the marks, the overdue counts seek each coordinator's
    past follow-ups in ix_leads_open_follow_up instead of scanning the whole index.
    """
    mark = broad if for_paging else (lambda condition: condition)
    where = listed()
    if params.condition:
        where.append(Lead.condition_slug == params.condition)
    if params.owner == "me":
        where.append(Lead.owner_id == ctx.user_id)
    elif params.owner == "none":
        where.append(Lead.owner_id.is_(None))
    elif params.owner.isdigit():
        where.append(Lead.owner_id == int(params.owner))
    if params.source:
        where.append(Lead.source == params.source)
    if params.created_from:
        where.append(Lead.created_at >= clock.local_midnight(params.created_from))
    if params.created_to:
        end = clock.local_midnight(params.created_to + timedelta(days=1))
        where.append(Lead.created_at < end)
    # The views keep a large share of the open leads: marked broad, so SQLite walks the inbox's
    # order instead of reading every matching lead to sort them (see clinic.leads.sql).
    if params.view in OPEN_VIEWS:
        where.append(mark(Lead.status.in_(OPEN_STATUSES)))
    if params.view == "due":
        where.append(mark(Lead.follow_up_on <= ctx.today))
    elif params.view == "overdue":
        where.append(mark(Lead.follow_up_on < ctx.today))
    elif params.view == "unassigned":
        where.append(Lead.owner_id.is_(None))
    elif params.view == "stale":
        where.append(mark(Lead.last_activity_at < ctx.now - timedelta(days=ctx.stale_days)))
    elif params.view == "possible_duplicates":
        # Few leads, all in the partial index ix_leads_possible_duplicate_of_id.
        where.append(Lead.possible_duplicate_of_id.is_not(None))
    return where


def _status_condition(scope: str) -> ColumnElement[bool] | None:
    if scope == "all":
        return None
    if scope == "open":
        return Lead.status.in_(OPEN_STATUSES)
    return Lead.status == scope


def filtered_leads(params: InboxParams, ctx: InboxContext, *, paged: bool = False) -> Select[Lead]:
    """Every lead the parameters select, unordered; ``paged``: only a page of them will be read
    (in the inbox's order), which on PostgreSQL changes how a common search word is tested."""
    statement = select(Lead).where(*_conditions(params, ctx))
    status = _status_condition(params.scope)
    if status is not None and not (params.view in OPEN_VIEWS and params.scope == "open"):
        statement = statement.where(status)  # such a view already keeps open leads only
    return search(statement, params.q, region=ctx.region, paged=paged)


def export_statement(params: InboxParams, ctx: InboxContext) -> Select[Lead]:
    """The rows the export writes: the inbox's filters in the inbox's order, without paging."""
    return filtered_leads(params, ctx).order_by(*_order(params.sort, backwards=False))


def status_counts(params: InboxParams, ctx: InboxContext) -> dict[str, counts.TabCount]:
    """How many open leads each open stage holds under the current filters (one query).

    Status, condition, owner and "unassigned" are counted exactly from the ``lead_counts``
    table; other filters by reading the matching leads (see :mod:`clinic.leads.counts`).
    """
    if _table_countable(params):
        return counts.from_table(
            OPEN_STATUSES, condition=params.condition or None, owner_key=_owner_key(params, ctx)
        )
    where = _conditions(params, ctx, for_paging=False)
    limit = counts.READ_LIMIT
    partial = False
    if params.q:
        match = find(params.q, region=ctx.region)
        # Counted from the matching ids the search read: all of them unless there are many.
        where.append(match.among())
        limit, partial = max(limit, len(match.found) + 1), match.many
    return counts.by_reading(OPEN_STATUSES, where, limit=limit, partial=partial)


def export_size(params: InboxParams, ctx: InboxContext) -> tuple[int, int]:
    """How many leads the export of these filters writes, and the highest lead id now: the
    export stops at that id, so the count stays true while new leads arrive (one statement,
    so both come from the same moment)."""
    last_id = select(func.coalesce(func.max(Lead.id), 0)).scalar_subquery()
    if _table_countable(params):
        statuses: Sequence[str] = {"all": STATUSES, "open": OPEN_STATUSES}.get(
            params.scope, (params.scope,)
        )
        if params.view:
            statuses = [status for status in statuses if status in OPEN_STATUSES]
        rows = counts.table_total(
            statuses, condition=params.condition or None, owner_key=_owner_key(params, ctx)
        )
        return tuple(db.session.execute(select(rows, last_id)).one())
    selected = filtered_leads(params, ctx)
    rows = selected.with_only_columns(func.count(Lead.id)).scalar_subquery()
    return tuple(db.session.execute(select(rows, last_id)).one())


def _table_countable(params: InboxParams) -> bool:
    """Whether ``lead_counts`` can answer for these filters (status, condition, owner and the
    unassigned view are its dimensions)."""
    dated = params.created_from or params.created_to
    return not (params.q or params.source or dated) and params.view in ("", "unassigned")


def _owner_key(params: InboxParams, ctx: InboxContext) -> int | None:
    """The ``lead_counts.owner_key`` the owner filter and the unassigned view select; -1 (no
    one) when they contradict each other."""
    owner = {"": None, "anyone": None, "me": ctx.user_id, "none": UNASSIGNED}.get(params.owner)
    if owner is None and params.owner.isdigit():
        owner = int(params.owner)
    if params.view == "unassigned":
        return UNASSIGNED if owner in (None, UNASSIGNED) else -1
    return owner


# --- keyset paging -------------------------------------------------------------------------


def _order(sort: str, *, backwards: bool) -> list[UnaryExpression[Any]]:
    if sort == "follow_up":
        if backwards:
            return [Lead.follow_up_on.desc().nulls_first(), Lead.id.desc()]
        return [Lead.follow_up_on.asc().nulls_last(), Lead.id.asc()]
    descending = (sort == "newest") != backwards
    if descending:
        return [Lead.created_at.desc(), Lead.id.desc()]
    return [Lead.created_at.asc(), Lead.id.asc()]


def cursor_for(lead: Lead, sort: str) -> str:
    """The position of a row in the given order, as a short URL-safe string."""
    if sort == "follow_up":
        day = lead.follow_up_on.isoformat() if lead.follow_up_on else "none"
        return f"{day}_{lead.id}"
    micros = (lead.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{lead.id}"


def _decode(cursor: str, sort: str) -> tuple[object, int]:
    """:raise ValueError: for a cursor that was not made by :func:`cursor_for`."""
    head, _, tail = cursor.partition("_")
    lead_id = int(tail)
    if not 0 < lead_id <= ID_MAX:
        raise ValueError("lead id out of range")
    if sort == "follow_up":
        return (None if head == "none" else date.fromisoformat(head)), lead_id
    try:
        return _EPOCH + timedelta(microseconds=int(head)), lead_id
    except OverflowError as error:
        raise ValueError("time out of range") from error


def _beyond(sort: str, key: object, lead_id: int, *, backwards: bool) -> ColumnElement[bool]:
    """Rows after the cursor in the listing order (or before it, ``backwards``)."""
    if sort == "follow_up":
        day = Lead.follow_up_on
        if not backwards:
            if key is None:
                return and_(day.is_(None), Lead.id > lead_id)
            return or_(day > key, and_(day == key, Lead.id > lead_id), day.is_(None))
        if key is None:
            return or_(day.is_not(None), Lead.id < lead_id)
        return or_(day < key, and_(day == key, Lead.id < lead_id))
    position = tuple_(Lead.created_at, Lead.id)
    later = (sort == "newest") == backwards
    return position > (key, lead_id) if later else position < (key, lead_id)


def fetch_page(params: InboxParams, ctx: InboxContext, size: int = PAGE_SIZE) -> Page:
    """One page of the inbox (one query), with cursors for the pages on either side."""
    base = filtered_leads(params, ctx, paged=True)
    cursor = params.before or params.after
    backwards = bool(params.before)
    if cursor:
        try:
            key, lead_id = _decode(cursor, params.sort)
        except ValueError:
            cursor = ""
        else:
            base = base.where(_beyond(params.sort, key, lead_id, backwards=backwards))
    if not cursor:
        backwards = False
    query = base.order_by(*_order(params.sort, backwards=backwards)).limit(size + 1)
    rows = list(db.session.execute(query).scalars())
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        if not more:
            # Paging back reached the top: show the first page as it is now, full.
            return fetch_page(params.filters_only(), ctx, size)
        rows.reverse()
        return Page(
            rows,
            next_cursor=cursor_for(rows[-1], params.sort),
            previous_cursor=cursor_for(rows[0], params.sort),
        )
    return Page(
        rows,
        next_cursor=cursor_for(rows[-1], params.sort) if more else None,
        previous_cursor=cursor_for(rows[0], params.sort) if cursor and rows else None,
    )


# --- choices for the filter row ------------------------------------------------------------


def status_options() -> list[tuple[str, str]]:
    return [("", "All open (default)"), ("all", SCOPES["all"])] + list(STATUS_LABELS.items())


# --- what the rows show besides the lead ---------------------------------------------------


def booked_appointments(lead_ids: Collection[int], now: datetime) -> dict[int, Appointment]:
    """Each listed lead's next booked consultation that is not over yet, in one query."""
    return {
        lead_id: booked[0]
        for lead_id, booked in appointments.booked_not_over(lead_ids, now).items()
    }
