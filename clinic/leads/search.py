"""Finding a lead by what a coordinator has at hand: a name, part of an email address, a phone
number typed any way, or words from a message.

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

Each way of matching is a select of lead ids; a query that may mean several things (a name,
part of an address or words of a message) is their ``UNION ALL``, and a lead matches when its
id is among them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

from clinic.extensions import db
from clinic.leads import normalise
from clinic.models import Lead

QUERY_MAX = 200
TERMS_MAX = 8
TRIGRAM = 3
# Up to this many matches SQLite looks the matching leads up by id and sorts them; beyond it,
# it walks the inbox's order (newest first) and keeps the leads that match, which finds a page
# of a common name ('maria': 15,000 leads) ten times faster.
LOOKUP_MAX = 1500
# Matches are counted up to this many: enough for exact status tabs of all but the commonest
# words, cheap enough to do on every search.
COUNT_MAX = 25_000
_WORD = re.compile(r"\w+")

# The search tables, described for queries only (the migration creates them; they are not
# models, and Alembic leaves them alone). SQLite: FTS5 tables whose rowid is the lead's id.
# PostgreSQL: every message of a lead as one stored tsvector.
leads_fts = Table("leads_fts", MetaData(), Column("rowid", Integer))
sqlite_messages = Table("search_messages", MetaData(), Column("rowid", Integer))
postgres_messages = Table(
    "search_messages", MetaData(), Column("lead_id", Integer), Column("words", TSVECTOR)
)


@dataclass
class Match:
    """How to find the leads a query means: a plain condition on a lead (a whole phone number),
    or a select of matching lead ids and how many there are, counted up to
    :data:`COUNT_MAX` (``count`` is then ``COUNT_MAX + 1``)."""

    condition: ColumnElement[bool] | None = None
    ids: Select | None = None
    count: int = 0

    @property
    def many(self) -> bool:
        return self.count > LOOKUP_MAX

    @property
    def counted(self) -> bool:
        """Whether ``count`` is the exact number of matches."""
        return self.condition is None and self.count <= COUNT_MAX

    def where(self) -> ColumnElement[bool]:
        if self.condition is not None:
            return self.condition
        if not self.many:
            return Lead.id.in_(self.ids)
        if db.engine.dialect.name == "sqlite":
            # "+ 0" keeps SQLite from fetching every match by id: it walks the listing order
            # and keeps the leads whose id is among the matches.
            return (Lead.id + 0).in_(self.ids)
        # PostgreSQL turns a plain "id IN (…)" into a join that fetches every match; inside
        # an OR it becomes a hashed lookup made while walking the listing order instead.
        return or_(Lead.id.in_(self.ids), Lead.id.is_(None))


def search(statement: Select, q: str | None, *, region: str) -> Select:
    """``statement`` (a select over Lead) narrowed to the leads matching ``q``; blank ``q`` keeps
    it as it is."""
    query = normalise.clean_line(q)[:QUERY_MAX]
    if not query:
        return statement
    return statement.where(lead_matches(query, region=region))


def lead_matches(query: str, *, region: str) -> ColumnElement[bool]:
    """The condition a lead meets when it matches the typed query."""
    return find(query, region=region).where()


def find(query: str, *, region: str) -> Match:
    """What ``query`` means and how to find it (worked out once per request and query).

    An '@' means an email address (or part of one); digits with no letters mean a phone
    number, whole or partial; anything else is looked for in names, addresses and messages.
    """
    key = (query, region)
    cache = g.setdefault("lead_searches", {}) if has_app_context() else {}
    if key not in cache:
        cache[key] = _find(query, region)
    return cache[key]


def _find(query: str, region: str) -> Match:
    if "@" in query:
        return _counted(email_ids(query))
    if normalise.phone_search_digits(query, region) is not None:
        try:
            whole = normalise.phone_digits(normalise.normalise_phone(query, region))
        except ValueError:
            return _counted(phone_ids(re.sub(r"\D", "", query)))
        return Match(condition=Lead.phone_digits == whole)
    words = query.split()[:TERMS_MAX]
    return _counted(union_all(name_ids(words), email_ids(query), message_ids(words)).subquery())


def _counted(ids) -> Match:
    """The match with a count of its ids that stops just past :data:`COUNT_MAX`."""
    ids = select(ids.c[0]) if not isinstance(ids, Select) else ids
    bounded = select(func.count()).select_from(ids.limit(COUNT_MAX + 1).subquery())
    return Match(ids=ids, count=db.session.execute(bounded).scalar_one())


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _quoted(phrase: str) -> str:
    """A phrase for an FTS5 query: the text as it is, between double quotes."""
    return '"' + phrase.replace('"', '""') + '"'


def _leads_fts(match: str) -> Select:
    return select(leads_fts.c.rowid).where(literal_column("leads_fts").match(match))


def _containing(column, fragments: list[str]) -> Select:
    """Ids of leads whose ``column`` holds every fragment (already lower-cased or folded)."""
    long = [fragment for fragment in fragments if len(fragment) >= TRIGRAM]
    short = [column.contains(f, autoescape=True) for f in fragments if len(f) < TRIGRAM]
    if not _sqlite():
        return select(Lead.id).where(*short, *(column.contains(f, autoescape=True) for f in long))
    if not long:
        return select(Lead.id).where(*short)
    indexed = _leads_fts(" AND ".join(f"{column.key} : {_quoted(f)}" for f in long))
    return select(Lead.id).where(Lead.id.in_(indexed), *short) if short else indexed


def email_ids(fragment: str) -> Select:
    return _containing(Lead.email_key, [fragment.strip().lower()])


def phone_ids(digits: str) -> Select:
    return _containing(Lead.phone_digits, [digits])


def name_ids(words: list[str]) -> Select:
    """Every word appears in the folded name, in any order: 'nunez zoe' finds 'Zoë Núñez'."""
    return _containing(Lead.name_key, [normalise.fold(word) for word in words])


def message_ids(words: list[str]) -> Select:
    """Leads with an inquiry holding words that start with every typed word."""
    terms = [term for word in words for term in _WORD.findall(word)][:TERMS_MAX]
    if not terms:
        return select(Lead.id).where(false())
    if _sqlite():
        match = " AND ".join(f"{_quoted(term)}*" for term in terms)
        return select(sqlite_messages.c.rowid).where(literal_column("search_messages").match(match))
    query = " & ".join(f"{term}:*" for term in terms)
    words = postgres_messages.c.words
    return select(postgres_messages.c.lead_id).where(
        words.op("@@")(func.to_tsquery("clinic_search", query))
    )
