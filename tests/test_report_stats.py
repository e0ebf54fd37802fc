"""Percentiles computed by the database (clinic/reports/stats.py) equal those of the sorted
values: ties, zeros, negative values, NULLs and a group keyed by NULL, with the counts given
by the caller or counted by the database."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select, update

from clinic.extensions import db
from clinic.models import Lead
from clinic.reports.stats import spreads
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


@pytest.mark.parametrize("counted", [False, True])
def test_percentiles_equal_those_of_the_sorted_values(ctx, counted):
    rng = random.Random(7)
    owners = [make_staff(f"c{n}@clinic.test", name=f"C{n}").id for n in range(3)] + [None]
    expected: dict[object, list[int]] = {}
    for n in range(120):
        lead = make_lead()
        owner = owners[n % 4]
        wait = None if n % 11 == 0 else rng.choice([0, 0, 5, -3, rng.randint(0, 5000)])
        db.session.execute(
            update(Lead)
            .where(Lead.id == lead.id)
            .values(owner_id=owner, business_seconds_to_contact=wait)
        )
        if wait is not None:
            expected.setdefault(owner, []).append(wait)
    db.session.commit()
    wait = Lead.business_seconds_to_contact
    counts = None
    if counted:
        counts = dict(
            db.session.execute(
                select(Lead.owner_id, func.count(wait)).group_by(Lead.owner_id)
            ).all()
        )
    found = spreads(select(Lead.owner_id.label("grp"), wait.label("v")).subquery(), counts=counts)
    assert set(found) == set(expected)
    for owner, values in expected.items():
        assert found[owner].count == len(values)
        assert found[owner].median == pytest.approx(percentile(values, 50))
        assert found[owner].p90 == pytest.approx(percentile(values, 90))
    every = [value for values in expected.values() for value in values]
    overall = spreads(
        select(wait.label("v")).subquery(),
        grouped=False,
        counts={None: len(every)} if counted else None,
    )[None]
    assert (overall.count, overall.median) == (len(every), pytest.approx(percentile(every, 50)))
    assert overall.p90 == pytest.approx(percentile(every, 90))
