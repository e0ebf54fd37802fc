"""Report percentiles (clinic/reports/stats.py: PostgreSQL's percentile_cont, or Python on
SQLite) equal those of the sorted values: ties, zeros, negative values, NULLs, a group keyed
by NULL, the overall spread beside the groups', and the rows and flagged rows counted; and
the same when SQLite reads the values in an index's order (each group's as one string, or one
group's walked to its ranks), which reads those indexes without sorting."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select, update

from clinic.extensions import db
from clinic.models import Lead
from clinic.reports.stats import OVERALL, Spread, spreads
from tests.lead_helpers import make_lead
from tests.staff_helpers import make_staff


def percentile(values: list[float], percent: int) -> float:
    """PostgreSQL's percentile_cont, by hand."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * percent / 100
    low = int(position)
    if low + 1 == len(ordered):
        return ordered[low]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def test_percentiles_equal_those_of_the_sorted_values(ctx):
    rng = random.Random(7)
    owners = [make_staff(f"c{n}@clinic.test", name=f"C{n}").id for n in range(3)] + [None]
    expected: dict[object, list[int]] = {}
    rows: dict[object, int] = {}
    for n in range(120):
        lead = make_lead()
        owner = owners[n % 4]
        wait = None if n % 11 == 0 else rng.choice([0, 0, 5, -3, rng.randint(0, 5000)])
        db.session.execute(
            update(Lead)
            .where(Lead.id == lead.id)
            .values(owner_id=owner, business_seconds_to_contact=wait, furthest_stage=n % 3)
        )
        rows[owner] = rows.get(owner, 0) + 1
        if wait is not None:
            expected.setdefault(owner, []).append(wait)
    db.session.commit()
    wait = Lead.business_seconds_to_contact
    values = select(
        Lead.owner_id.label("grp"), wait.label("v"), (Lead.furthest_stage == 2).label("flag")
    ).where(Lead.merged_into_id.is_(None))
    found = spreads(values, overall=True)
    assert found == spreads(values, overall=True, index="ix_leads_owner_wait_order")
    assert set(found) == {*expected, OVERALL}
    for owner, waits in expected.items():
        assert found[owner].count == len(waits)
        assert found[owner].rows == rows[owner]
        assert found[owner].flagged == sum(
            1 for n in range(120) if owners[n % 4] == owner and n % 3 == 2
        )
        assert found[owner].median == pytest.approx(percentile(waits, 50))
        assert found[owner].p90 == pytest.approx(percentile(waits, 90))
    every = [value for waits in expected.values() for value in waits]
    every_wait = select(wait.label("v")).where(Lead.merged_into_id.is_(None))
    limits = (0, 100)
    for overall in (
        spreads(values, overall=True, limits=limits)[OVERALL],
        spreads(values, overall=True, limits=limits, index="ix_leads_owner_wait_order")[OVERALL],
        spreads(every_wait, grouped=False, limits=limits)[OVERALL],
        spreads(every_wait, grouped=False, limits=limits, index="ix_leads_owner_wait_order")[
            OVERALL
        ],
    ):
        assert (overall.count, overall.rows) == (len(every), 120)
        assert overall.median == pytest.approx(percentile(every, 50))
        assert overall.p90 == pytest.approx(percentile(every, 90))
        assert overall.at_most == tuple(sum(1 for v in every if v <= limit) for limit in limits)
    assert found[OVERALL].flagged == 40


def test_a_group_without_values_has_its_rows_and_no_percentiles(ctx):
    lead = make_lead()
    db.session.execute(
        update(Lead).where(Lead.id == lead.id).values(business_seconds_to_contact=None)
    )
    db.session.commit()
    values = select(
        Lead.condition_slug.label("grp"), Lead.business_seconds_to_contact.label("v")
    ).where(Lead.merged_into_id.is_(None))
    expected = {lead.condition_slug: Spread(count=0, median=None, p90=None, rows=1)}
    assert spreads(values) == expected
    assert spreads(values, index="ix_leads_condition_cohort") == expected
    alone = select(Lead.business_seconds_to_contact.label("v"))
    nothing = Spread(rows=1, at_most=(0,))
    assert spreads(alone, grouped=False, limits=(60,))[OVERALL] == nothing
    assert spreads(alone, grouped=False, limits=(60,), index="ix_leads_owner_wait_order") == {
        OVERALL: nothing
    }
