"""Finding a lead by what a coordinator has at hand: a name, part of an email address, a phone
number typed any way, words from a message, or the reference a patient reads out.

Name, email and phone are matched on the keys the intake stores (``name_key`` folded,
``email_key`` lower-cased, ``phone_digits`` in E.164 without the plus), so 'nunez' finds
'Núñez' and '(212) 555-0142' finds '+12125550142'. At a million leads every match goes
through an index (migration 0005_performance):

- names, addresses and phone digits contain what was typed: trigram indexes (SQLite FTS5
  ``leads_fts``; PostgreSQL ``pg_trgm``). Trigrams need three characters, so a word of one or
  two characters is looked for by reading the column instead (correct, slower).
- messages hold words starting with each typed word, case and accents ignored: one full-text
  document per lead with all its messages (``search_messages``: SQLite FTS5, PostgreSQL
  ``tsvector`` with the ``clinic_search`` configuration). 'kidney' finds "kidneys", 'anos'
  finds "años"; 'idney' finds nothing.

A reference ('K7M4-QX2P', typed any way: see clinic.leads.references) is looked up first in
the unique index on ``inquiries.reference``; when no inquiry has it, the query is searched for
like any other text.

Each way of matching is a select of lead ids; a query that may mean several things (a name,
part of an address or words of a message) is their ``UNION ALL``, and a lead matches when its
id is among them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TypeVarTuple

from flask import g, has_request_context
from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import InstrumentedAttribute

from clinic.extensions import db
from clinic.leads import normalise, references
from clinic.models import Inquiry, Lead

QUERY_MAX = 200
TERMS_MAX = 8
TRIGRAM = 3
# Up to this many matches a page looks the matching leads up by id and sorts them, and the
# status tabs count them exactly. Beyond it a page walks the inbox's order (newest first) and
# keeps the leads that match — much faster for a common name, whose matches fill a page early
# — and the tabs count the first ones read, as "at least" (see clinic.leads.counts).
LOOKUP_MAX = 2000
_WORD = re.compile(r"\w+")
_BY_REFERENCE = select(Inquiry.lead_id).where(Inquiry.reference == bindparam("reference"))
_Columns = TypeVarTuple("_Columns")

# The search tables, described for queries only (the migration creates them; they are not
# models, and Alembic leaves them alone). SQLite: FTS5 tables whose rowid is the lead's id.
# PostgreSQL: every message of a lead as one stored tsvector.
leads_fts = Table("leads_fts", MetaData(), Column("rowid", Integer))
sqlite_messages = Table("search_messages", MetaData(), Column("rowid", Integer))
postgres_messages = Table(
    "search_messages", MetaData(), Column("lead_id", Integer), Column("words", TSVECTOR)
)


@dataclass
class _Way:
    """One way a lead can match: the matching ids (from the indexes), and on PostgreSQL the
    same test made on a lead's row — ``on_row`` lead by lead, for walking a page of the inbox's
    order, and ``on_rows`` (when it differs) over a set read once, for reading every lead."""

    ids: Select[int]
    on_row: ColumnElement[bool] | None = None
    on_rows: ColumnElement[bool] | None = None

    def test(self, *, paged: bool) -> ColumnElement[bool]:
        if self.on_row is None:
            return Lead.id.in_(self.ids)
        return self.on_row if paged or self.on_rows is None else self.on_rows


@dataclass
class Match:
    """How to find the leads a query means: a plain condition on a lead (a whole phone number),
    or the ways of matching with the first matching ids read from the indexes — all of them
    unless there are ``many`` (more than :data:`LOOKUP_MAX`)."""

    condition: ColumnElement[bool] | None = None
    way: _Way | None = None
    found: list[int] = field(default_factory=list)
    many: bool = False

    def where(self, *, paged: bool = False) -> ColumnElement[bool]:
        """The condition for leads in the inbox's order: a page of them (``paged``, read until
        the page is full), or all of them (an export, a count)."""
        if self.condition is not None:
            return self.condition
        if not self.many or self.way is None:
            return _among(self.found)
        if _sqlite():
            # "+ 0" keeps SQLite from fetching every match by id: it walks the listing order
            # and keeps the leads whose id is among the matches.
            return (Lead.id + 0).in_(self.way.ids)
        return self.way.test(paged=paged)

    def among(self) -> ColumnElement[bool]:
        """The matches read from the indexes (all of them unless ``many``), for counting."""
        return self.condition if self.condition is not None else _among(self.found)


def _among(ids: list[int]) -> ColumnElement[bool]:
    """``Lead.id`` is one of ``ids``, bound as a single parameter (PostgreSQL: an array;
    SQLite: a JSON array read by ``json_each``). A search reads up to LOOKUP_MAX matching ids,
    and with one parameter each, rendering, sending and parsing the statement became a large
    part of the search's time."""
    if _sqlite():
        listed = func.json_each(json.dumps(ids)).table_valued("value")
        return Lead.id.in_(select(listed.c.value))
    return Lead.id == any_(bindparam(None, ids, type_=ARRAY(Integer)))


def search(
    statement: Select[*_Columns], q: str | None, *, region: str, paged: bool = False
) -> Select[*_Columns]:
    """``statement`` (a select over Lead) narrowed to the leads matching ``q``; blank ``q`` keeps
    it as it is. ``paged``: only a page of it will be read, in the inbox's order."""
    query = normalise.clean_line(q)[:QUERY_MAX]
    if not query:
        return statement
    return statement.where(lead_matches(query, region=region, paged=paged))


def lead_matches(query: str, *, region: str, paged: bool = False) -> ColumnElement[bool]:
    """The condition a lead meets when it matches the typed query (see :meth:`Match.where`)."""
    return find(query, region=region).where(paged=paged)


def find(query: str, *, region: str) -> Match:
    """What ``query`` means and how to find it (worked out once per request and query).

    An '@' means an email address (or part of one); digits with no letters mean a phone
    number, whole or partial; an inquiry's reference means its lead; anything else is looked
    for in names, addresses and messages.
    """
    if not has_request_context():
        return _find(query, region)
    cache: dict[tuple[str, str], Match] = g.setdefault("lead_searches", {})
    if (query, region) not in cache:
        cache[query, region] = _find(query, region)
    return cache[query, region]


def _find(query: str, region: str) -> Match:
    if "@" in query:
        return _counted(_email(query))
    if normalise.phone_search_digits(query, region) is not None:
        try:
            whole = normalise.phone_digits(normalise.normalise_phone(query, region))
        except ValueError:
            return _counted(_containing(Lead.phone_digits, [re.sub(r"\D", "", query)]))
        return Match(condition=Lead.phone_digits == whole)
    reference = references.parse_reference(query)
    if reference is not None:
        lead_id = db.session.execute(_BY_REFERENCE, {"reference": reference}).scalar()
        if lead_id is not None:
            return Match(condition=Lead.id == lead_id)
    words = query.split()[:TERMS_MAX]
    ways = [_name(words), _email(query), _message(words)]
    union = union_all(*(way.ids for way in ways)).subquery()
    if _sqlite():
        return _counted(_Way(select(union.c[0])))
    on_row = or_(*(way.test(paged=True) for way in ways))
    on_rows = or_(*(way.test(paged=False) for way in ways))
    return _counted(_Way(select(union.c[0]), on_row, on_rows))


def _counted(way: _Way) -> Match:
    """The match with the matching ids, read up to just past :data:`LOOKUP_MAX`."""
    rows = db.session.execute(way.ids.limit(LOOKUP_MAX + 1)).scalars().all()
    return Match(way=way, found=sorted(set(rows)), many=len(rows) > LOOKUP_MAX)


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _quoted(phrase: str) -> str:
    """A phrase for an FTS5 query: the text as it is, between double quotes."""
    return '"' + phrase.replace('"', '""') + '"'


def _containing(column: InstrumentedAttribute[str | None], fragments: list[str]) -> _Way:
    """Leads whose ``column`` holds every fragment (already lower-cased or folded)."""
    long = [fragment for fragment in fragments if len(fragment) >= TRIGRAM]
    short = [column.contains(f, autoescape=True) for f in fragments if len(f) < TRIGRAM]
    if not _sqlite():
        every = [*short, *(column.contains(f, autoescape=True) for f in long)]
        return _Way(select(Lead.id).where(*every), and_(*every))
    if not long:
        return _Way(select(Lead.id).where(*short))
    match = " AND ".join(f"{column.key} : {_quoted(f)}" for f in long)
    indexed = select(leads_fts.c.rowid).where(literal_column("leads_fts").match(match))
    return _Way(select(Lead.id).where(Lead.id.in_(indexed), *short) if short else indexed)


def _email(fragment: str) -> _Way:
    return _containing(Lead.email_key, [fragment.strip().lower()])


def _name(words: list[str]) -> _Way:
    """Every word appears in the folded name, in any order: 'nunez zoe' finds 'Zoë Núñez'."""
    return _containing(Lead.name_key, [normalise.fold(word) for word in words])


def _message(words: list[str]) -> _Way:
    """Leads with an inquiry holding words that start with every typed word."""
    terms = [term for word in words for term in _WORD.findall(word)][:TERMS_MAX]
    if not terms:
        return _Way(select(Lead.id).where(false()), false())
    if _sqlite():
        match = " AND ".join(f"{_quoted(term)}*" for term in terms)
        return _Way(
            select(sqlite_messages.c.rowid).where(literal_column("search_messages").match(match))
        )
    query = func.to_tsquery("clinic_search", " & ".join(f"{term}:*" for term in terms))
    messages = postgres_messages.c
    matching = messages.words.bool_op("@@")(query)
    # Walking a page: each lead's own document, read by its key, is tested until the page is
    # full; as EXISTS, PostgreSQL would hash every matching document first, slow for a common
    # word. Reading every lead (an export, a count) is the other way round, so it uses the
    # hashed set (on_rows).
    own = select(messages.words).where(messages.lead_id == Lead.id).scalar_subquery()
    on_row = own.bool_op("@@")(query)
    on_rows = exists().where(messages.lead_id == Lead.id, matching)
    return _Way(select(messages.lead_id).where(matching), on_row, on_rows)
