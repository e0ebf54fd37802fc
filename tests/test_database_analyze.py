"""`flask database analyze`: the planner's statistics, gathered from every row."""

from __future__ import annotations

import time

from sqlalchemy import text

from clinic.extensions import db
from tests.lead_helpers import make_lead


def test_analyze_gives_the_planner_statistics_of_the_leads(app, runner):
    with app.app_context():
        for n in range(30):
            make_lead(f"Person {n}", condition="lupus" if n % 3 else "copd")
        db.session.commit()
        sqlite = db.engine.dialect.name == "sqlite"
        before = None if sqlite else _last_analyze()

    result = runner.invoke(args=["database", "analyze"])

    assert result.exit_code == 0, result.output
    assert "statistics refreshed" in result.output
    with app.app_context():
        if sqlite:
            stat = db.session.execute(
                text("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_leads_condition_created_at_id'")
            ).scalar_one()
            assert stat.split()[:2] == ["30", "15"]  # 30 leads, two conditions: 15 a condition
        else:
            deadline = time.monotonic() + 5  # statistics reach the views within a second or so
            while _last_analyze() == before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _last_analyze() != before


def _last_analyze():
    """When PostgreSQL last analysed the leads by request (epoch when never), read afresh."""
    db.session.rollback()
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
    return db.session.execute(
        text(
            "SELECT coalesce(last_analyze, 'epoch') FROM pg_stat_user_tables"
            " WHERE relname = 'leads'"
        )
    ).scalar_one()
