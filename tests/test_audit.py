"""The audit log: every account action leaves a row that cannot be rewritten; admins search it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from clinic import audit
from clinic.extensions import db
from clinic.models import AuditEntry
from clinic.staff import accounts, audit_log
from clinic.staff.sign_in_throttle import SignInPolicy
from tests.staff_helpers import DEFAULT_PASSWORD, csrf_token_for, make_staff, sign_in

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
# audit.record("action", ...) and the accounts module's _record("action", ...), across lines.
EXPORT_CELL = '<code class="audit-code">export</code>'
RECORDED_ACTION = re.compile(r'record\(\s*"([a-z_]+)"')


def add_entries(*entries: dict) -> list[int]:
    """Audit rows with chosen times and fields, committed; returns their ids in order."""
    rows = [AuditEntry(**{"detail": "", **entry}) for entry in entries]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def rows(**where) -> list[tuple]:
    query = select(AuditEntry.action, AuditEntry.actor_email, AuditEntry.detail).order_by(
        AuditEntry.id
    )
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return [tuple(row) for row in db.session.execute(query)]


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
    sign_in(client, "boss@clinic.test")
    return client


# --- every account action is recorded ------------------------------------------------------------


def test_each_account_action_leaves_one_row_naming_who_did_it(app, client):
    with app.app_context():
        make_staff("boss@clinic.test", role="admin", name="Bo Admin")
    sign_in(client, "boss@clinic.test")
    sign_in(app.test_client(), "boss@clinic.test", "not the password at all")
    token = csrf_token_for(client, "/staff/users/new")
    client.post(
        "/staff/users/new",
        data={
            "csrf_token": token,
            "email": "coord@clinic.test",
            "name": "Casey Coordinator",
            "role": "coordinator",
            "password": DEFAULT_PASSWORD,
            "confirm": DEFAULT_PASSWORD,
        },
    )
    with app.app_context():
        coordinator_id = accounts.find_by_email("coord@clinic.test").id
    for path, data in [
        (f"/staff/users/{coordinator_id}/role", {"role": "admin"}),
        (f"/staff/users/{coordinator_id}/deactivate", {}),
        (f"/staff/users/{coordinator_id}/reactivate", {}),
        (
            "/staff/account",
            {
                "current_password": DEFAULT_PASSWORD,
                "password": "another long password",
                "confirm": "another long password",
            },
        ),
        ("/staff/logout", {}),
    ]:
        client.post(path, data={"csrf_token": token, **data})
    with app.app_context():
        assert rows()[1:] == [
            ("sign_in", "boss@clinic.test", ""),
            ("sign_in_failed", "boss@clinic.test", "wrong password"),
            ("user_created", "boss@clinic.test", "coord@clinic.test as coordinator"),
            ("role_changed", "boss@clinic.test", "coord@clinic.test: coordinator → admin"),
            ("user_deactivated", "boss@clinic.test", "coord@clinic.test"),
            ("user_reactivated", "boss@clinic.test", "coord@clinic.test"),
            ("password_changed", "boss@clinic.test", ""),
            ("sign_out", "boss@clinic.test", ""),
        ]
        boss_id = accounts.find_by_email("boss@clinic.test").id
        actor_ids = db.session.execute(
            select(AuditEntry.actor_id).where(AuditEntry.action != "sign_in_failed")
        ).scalars()
        assert set(actor_ids) - {None} == {boss_id}
        ips = set(db.session.execute(select(AuditEntry.ip)).scalars())
        assert ips - {None} == {"127.0.0.1"}


def test_lock_out_is_recorded(ctx):
    make_staff()
    policy = SignInPolicy(threshold=3)
    for _ in range(3):
        accounts.authenticate(
            "coord@clinic.test", "wrong wrong wrong", address="198.51.100.7", now=T0, policy=policy
        )
    assert rows(action="account_locked") == [
        (
            "account_locked",
            "coord@clinic.test",
            "198.51.100.7 after 3 failed sign-ins; locked out until 2026-03-02 14:15 UTC",
        )
    ]


# --- append-only ---------------------------------------------------------------------------------


def test_the_app_cannot_change_or_delete_an_entry(ctx):
    entry = audit.record("sign_in", actor_email="coord@clinic.test")
    db.session.commit()
    entry.detail = "nothing happened here"
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert rows() == [("sign_in", "coord@clinic.test", "")]


# --- reading it: the rules -----------------------------------------------------------------------


def test_filters_each_narrow_the_result(ctx):
    ids = add_entries(
        {"action": "sign_in", "actor_email": "a@clinic.test", "created_at": T0},
        {"action": "lead_viewed", "actor_email": "a@clinic.test", "lead_id": 7, "created_at": T0},
        {"action": "lead_viewed", "actor_email": "b@clinic.test", "lead_id": 8, "created_at": T0},
        # 22:30 on 2 March in New York, already 3 March in UTC:
        {
            "action": "export",
            "actor_email": "b@clinic.test",
            "created_at": T0 + timedelta(hours=13.5),
        },
        # 00:30 on 3 March in New York:
        {
            "action": "export",
            "actor_email": "b@clinic.test",
            "created_at": T0 + timedelta(hours=15.5),
        },
    )

    def found(**filters) -> list[int]:
        page = audit_log.find_entries(audit_log.AuditFilters(**filters))
        return [entry.id for entry in page.entries]

    assert found() == ids[::-1]
    assert found(action="lead_viewed") == [ids[2], ids[1]]
    assert found(action=" Export ") == [ids[4], ids[3]]
    assert found(actor_email="A@Clinic.test") == [ids[1], ids[0]]
    assert found(lead_id=8) == [ids[2]]
    assert found(action="lead_viewed", actor_email="b@clinic.test") == [ids[2]]
    assert found(date_to=date(2026, 3, 2)) == [ids[3], ids[2], ids[1], ids[0]]
    assert found(date_from=date(2026, 3, 3)) == [ids[4]]
    assert found(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2), action="export") == [ids[3]]
    assert found(action="erasure") == []


def test_keyset_pages_walk_the_whole_log_both_ways(ctx):
    ids = add_entries(*({"action": "sign_in", "created_at": T0} for _ in range(7)))
    newest_first = ids[::-1]
    everything = audit_log.AuditFilters()

    first = audit_log.find_entries(everything, page_size=3)
    assert [e.id for e in first.entries] == newest_first[:3]
    assert first.newer_than is None and first.older_than == newest_first[2]

    second = audit_log.find_entries(everything, older_than=first.older_than, page_size=3)
    assert [e.id for e in second.entries] == newest_first[3:6]
    assert second.newer_than == newest_first[3] and second.older_than == newest_first[5]

    last = audit_log.find_entries(everything, older_than=second.older_than, page_size=3)
    assert [e.id for e in last.entries] == newest_first[6:]
    assert last.older_than is None and last.newer_than == newest_first[6]

    back = audit_log.find_entries(everything, newer_than=last.newer_than, page_size=3)
    assert [e.id for e in back.entries] == newest_first[3:6]
    back_again = audit_log.find_entries(everything, newer_than=back.newer_than, page_size=3)
    assert [e.id for e in back_again.entries] == newest_first[:3]
    assert back_again.newer_than is None and back_again.older_than == newest_first[2]


def test_pages_respect_the_filters(ctx):
    add_entries(
        *({"action": "sign_in" if n % 2 else "sign_out", "created_at": T0} for n in range(10))
    )
    sign_ins = audit_log.AuditFilters(action="sign_in")
    first = audit_log.find_entries(sign_ins, page_size=3)
    second = audit_log.find_entries(sign_ins, older_than=first.older_than, page_size=3)
    assert {e.action for e in first.entries + second.entries} == {"sign_in"}
    assert len(second.entries) == 2 and second.older_than is None


def test_known_actions_lists_each_action_once_in_order(ctx):
    assert audit_log.known_actions() == []
    add_entries(
        *({"action": action, "created_at": T0} for action in ["sign_in", "export", "sign_in", "a"])
    )
    assert audit_log.known_actions() == ["a", "export", "sign_in"]


# --- reading it: the page -----------------------------------------------------------------------


def test_audit_page_lists_newest_first_in_clinic_time(app, admin_client):
    with app.app_context():
        add_entries(
            {
                "action": "lead_viewed",
                "actor_email": "a@clinic.test",
                "lead_id": 41,
                "created_at": T0,
            },
            {
                "action": "export",
                "actor_email": "b@clinic.test",
                "created_at": T0 + timedelta(minutes=5),
            },
        )
    response = admin_client.get("/staff/audit?action=lead_viewed")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "02 Mar 2026, 09:00:00" in html  # 14:00 UTC shown in New York time
    assert "America/New_York" in html
    assert '<td><a href="/staff/leads/41">41</a></td>' in html
    assert "b@clinic.test</td>" not in html
    everything = admin_client.get("/staff/audit").get_data(as_text=True)
    assert everything.index("export") < everything.index("lead_viewed</code>")
    assert '<option value="lead_viewed">Lead record viewed</option>' in everything  # suggestions
    assert "<td>Lead record viewed<br>" in html  # named for people, with its code below
    assert "<td>export<br>" in everything  # an action without a label shows its code
    assert '<th scope="col">When</th>' in everything and "<caption>" in everything


def test_audit_page_pagination_links_keep_the_filters(app, admin_client):
    with app.app_context():
        add_entries(*({"action": "export", "created_at": T0} for _ in range(120)))
    first = admin_client.get("/staff/audit?action=export").get_data(as_text=True)
    assert first.count(EXPORT_CELL) == 50
    assert "Newer entries" not in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "action=export" in older and "before=" in older
    second = admin_client.get(older).get_data(as_text=True)
    assert second.count(EXPORT_CELL) == 50 and "Newer entries" in second
    third_link = second.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    third = admin_client.get(third_link).get_data(as_text=True)
    assert third.count(EXPORT_CELL) == 20 and "Older entries" not in third


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("lead=abc", "Enter a lead number, such as 42."),
        ("date_from=2026-03-05&date_to=2026-03-01", "The end date is before the start date."),
        ("date_from=yesterday", "Not a valid date value."),
    ],
)
def test_bad_filters_say_what_is_wrong(app, admin_client, query, message):
    with app.app_context():
        add_entries({"action": "export", "created_at": T0})
    response = admin_client.get(f"/staff/audit?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "Correct the filters above" in html and EXPORT_CELL not in html


def test_bad_cursor_is_ignored(app, admin_client):
    with app.app_context():
        add_entries({"action": "export", "created_at": T0})
    html = admin_client.get("/staff/audit?before=abc&after=-1").get_data(as_text=True)
    assert EXPORT_CELL in html


def test_typed_values_are_escaped_on_the_audit_page(app, client, admin_client):
    payload = "<script>alert(1)</script>@evil.example"
    sign_in(app.test_client(), payload, "whatever password")
    html = admin_client.get("/staff/audit?action=sign_in_failed").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@evil.example" in html
    assert "<script>alert(1)" not in html
    reflected = admin_client.get("/staff/audit?action=%3Cscript%3Ex").get_data(as_text=True)
    assert "<script>x" not in reflected and "&lt;script&gt;x" in reflected


def test_every_action_the_app_records_has_a_label():
    """A new audit action must get a name people can read on the audit page."""
    source = Path(audit.__file__).parent
    recorded = set()
    for path in source.rglob("*.py"):
        recorded |= set(RECORDED_ACTION.findall(path.read_text()))
    assert {"sign_in", "lead_viewed", "retention_purge", "role_changed"} <= recorded
    assert recorded - set(audit_log.ACTION_LABELS) == set()
