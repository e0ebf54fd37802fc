"""gunicorn on a free loopback port for the benchmarks, and a bare HTTP client to time it.

Requests go over a new loopback connection each (gunicorn's sync workers close the connection
after every response), and a request's time is measured from sending it to reading the last
byte of the answer: server time plus well under a millisecond of loopback and parsing.
"""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.server_helpers import free_port, server_environment

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def environment(database_url: str, **extra: str) -> dict[str, str]:
    """The app in development config (plain-HTTP cookies) on the given database, rate limits
    off (every simulated person comes from 127.0.0.1)."""
    return server_environment(database_url, CLINIC_DEMO_ADMIN="false", **extra)


class Server:
    """A gunicorn master serving ``app`` with sync workers, stopped by its own pid."""

    def __init__(self, env: dict[str, str], *, app: str = "wsgi:app", workers: int = 2,
                 timeout: int = 120, ready: str = "/healthz"):  # fmt: skip
        self.env, self.app, self.workers, self.timeout = env, app, workers, timeout
        self.ready = ready
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = Path(f"/tmp/clinic-bench-gunicorn-{self.port}.log")

    def __enter__(self) -> Server:
        log = self.log_path.open("w")
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(self.workers), "--timeout", str(self.timeout),
                   self.app]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            if len(self.worker_pids()) == self.workers:
                try:
                    if fetch(self.port, self.ready).status == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start within a minute")

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(child) for child in children.read_text().split()] if children.exists() else []


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float


def fetch(port: int, path: str, *, cookie: str | None = None, form: dict | None = None) -> Answer:
    """GET (or POST ``form``) and read the whole answer, timed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    try:
        connection.request("POST" if form is not None else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        received = {name.lower(): value for name, value in response.getheaders()}
        received["set-cookie"] = ";".join(
            value for name, value in response.getheaders() if name.lower() == "set-cookie"
        )
        return Answer(response.status, received, data.decode("utf-8", "replace"), seconds)
    finally:
        connection.close()


def session_cookie(answer: Answer, previous: str | None = None) -> str | None:
    match = re.search(r"session=([^;]+)", answer.headers.get("set-cookie", ""))
    return f"session={match.group(1)}" if match else previous


def hidden_fields(html: str) -> dict[str, str]:
    """The form's hidden inputs (CSRF and idempotency tokens), whatever their attribute order."""
    fields = {}
    for tag in HIDDEN.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def sign_in(port: int, email: str, password: str) -> str:
    """A signed-in staff session cookie, got the way a browser gets it."""
    page = fetch(port, "/staff/login")
    cookie = session_cookie(page)
    form = {"email": email, "password": password, **hidden_fields(page.body)}
    answer = fetch(port, "/staff/login", cookie=cookie, form=form)
    if answer.status != 302:
        raise RuntimeError(f"sign-in as {email} failed: HTTP {answer.status}")
    return session_cookie(answer, cookie)
