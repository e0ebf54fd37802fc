"""Two app servers sharing one PostgreSQL and one Redis behave as one site."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid

import pytest
import redis
from sqlalchemy import select

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.models import OutboxMessage
from clinic.notify import outbox
from tests.server_helpers import (
    CSRF,
    ROOT,
    Gunicorn,
    LoadResult,
    get,
    request,
    send_inquiry,
    server_environment,
    session_cookie,
)
from tests.smtp_helpers import MailServer
from tests.staff_helpers import DEFAULT_PASSWORD, make_staff
from tests.test_limits import REDIS_URL, redis_available

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def shared_site(database_url):
    """Two gunicorn instances on two ports, one database, one Redis, one secret key."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several app servers share PostgreSQL; this run uses SQLite")
    if not redis_available():
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    prefix = f"clinic-multi-{uuid.uuid4().hex}"
    env = server_environment(
        database_url,
        RATELIMIT_ENABLED="true",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        RATELIMIT_INQUIRY="5/minute",
    )
    servers = [Gunicorn(env, workers=2).start(), Gunicorn(env, workers=2).start()]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def test_a_staff_session_signed_in_on_one_server_works_on_the_other(app, shared_site):
    first, second = shared_site
    with app.app_context():
        make_staff("casey@clinic.test", name="Casey Coordinator")
    status, headers, html = get(first.port, "/staff/login")
    cookie = session_cookie(headers)
    form = {
        "email": "casey@clinic.test",
        "password": DEFAULT_PASSWORD,
        "csrf_token": CSRF.search(html).group(1),
    }
    status, headers, _ = request(first.port, "POST", "/staff/login", body=form, cookie=cookie)
    assert status == 302
    cookie = session_cookie(headers, cookie)
    status, _, page = get(second.port, "/staff/", cookie=cookie)
    assert status == 200
    assert "Casey Coordinator" in page
    # And without the cookie the other server sends you to sign in.
    assert get(second.port, "/staff/")[0] == 302


def test_the_inquiry_rate_limit_counts_across_both_servers(app, shared_site):
    ports = [server.port for server in shared_site]
    result, lock = LoadResult(), threading.Lock()
    for number in range(7):  # alternating servers: 0 → first, 1 → second, …
        send_inquiry(ports, number, "limit", result, lock)
    assert result.statuses == {303: 5, 429: 2}


def test_outbox_send_on_both_servers_at_once_sends_each_message_once(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locking with SKIP LOCKED is PostgreSQL's; this run uses SQLite")
    mail = MailServer(delay=0.03)
    mail.start()
    try:
        with app.app_context(), write_transaction():
            for number in range(120):
                outbox.queue("test", f"person{number}@example.com", subject="s", body="b")
        env = server_environment(
            database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail.port), OUTBOX_BATCH_SIZE="5"
        )
        senders = [
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [sender.communicate(timeout=120) for sender in senders]
        assert [sender.returncode for sender in senders] == [0, 0], outputs
        counts = [int(out.split("outbox: ")[1].split(" sent")[0]) for out, _ in outputs]
        assert sum(counts) == 120
        assert all(count > 0 for count in counts), f"one sender did all the work: {counts}"
        recipients = [received.envelope_to[0] for received in mail.received]
        assert len(recipients) == len(set(recipients)) == 120
        with app.app_context():
            statuses = set(db.session.execute(select(OutboxMessage.status)).scalars())
            assert statuses == {"sent"}
    finally:
        mail.stop()
