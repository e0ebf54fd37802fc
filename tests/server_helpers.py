"""Real servers for the reliability tests: gunicorn on a free port, and patients hitting it.

Each server is started by the test on 127.0.0.1 and stopped by its own pid. The patient
simulation loads the form like a browser (cookie, CSRF token, form token) and posts it.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url: str, **extra: str) -> dict[str, str]:
    """A development-config app (plain HTTP cookies) on the given database, limits off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_", "MAIL_"))}
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        CLINIC_CONFIG="development",
        SECRET_KEY="reliability-test-secret-key-0123456789abcdef",
        DATABASE_URL=database_url,
        RATELIMIT_ENABLED="false",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Gunicorn:
    """One gunicorn master (and its workers) serving wsgi:app on 127.0.0.1."""

    def __init__(self, env: dict[str, str], workers: int = 4, port: int | None = None):
        self.port = port or free_port()
        self.env = env
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.terminated = False
        self.log_path = Path(f"/tmp/clinic-gunicorn-{self.port}.log")

    def start(self, timeout: float = 30) -> Gunicorn:
        self.log = self.log_path.open("w")
        self.terminated = False
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--graceful-timeout",
                "20",
                "--timeout",
                "60",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def terminate(self) -> None:
        """SIGTERM: gunicorn's graceful shutdown (workers finish the request in hand).

        Sent once: a second SIGTERM can reach the master after Python has begun to exit and
        its handlers are gone, killing it by the signal (exit status -15) instead of 0."""
        if self.process and self.process.poll() is None and not self.terminated:
            self.terminated = True
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30) -> int | None:
        if self.process is None:
            return None
        self.terminate()
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        self.log.close()
        return code

    def errors(self) -> str:
        text = self.log_path.read_text()
        return "\n".join(
            line for line in text.splitlines() if "Traceback" in line or "ERROR" in line
        )


def request(
    port: int,
    method: str,
    path: str,
    body: dict | None = None,
    cookie: str | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = dict(headers or {})
        data = None
        if cookie:
            sent["Cookie"] = cookie
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        received = {name.lower(): value for name, value in response.getheaders()}
        received["set-cookie"] = ";".join(
            value for name, value in response.getheaders() if name.lower() == "set-cookie"
        )
        return response.status, received, text
    finally:
        connection.close()


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    return request(port, "GET", path, cookie=cookie)


def session_cookie(headers: dict[str, str], previous: str | None = None) -> str | None:
    match = re.search(r"session=([^;]+)", headers.get("set-cookie", ""))
    return f"session={match.group(1)}" if match else previous


def inquiry_form(number: int, tag: str) -> dict[str, str]:
    return {
        "name": f"Load Patient {number}",
        "email": f"load-{tag}-{number}@example.com",
        "condition": "lupus",
        "message": "Load test inquiry",
        "preferred_contact": "email",
        "best_time": "morning",
        "payment": "not_sure",
        "consent": "y",
    }


@dataclass
class LoadResult:
    acknowledged: set[str] = field(default_factory=set)  # emails whose POST got a 303
    post_seconds: list[float] = field(default_factory=list)  # latency of each POST
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


def send_inquiry(ports: list[int], number: int, tag: str, result: LoadResult, lock, twice=False):
    """One patient: load the form, post it (twice with the same token if `twice`)."""
    port = ports[number % len(ports)]
    form = inquiry_form(number, tag)
    try:
        status, headers, html = get(port, "/inquire")
        if status != 200:
            with lock:
                result.count(status)
                result.failures.append(f"GET /inquire -> {status}")
            return
        cookie = session_cookie(headers)
        form["csrf_token"] = CSRF.search(html).group(1)
        form["form_token"] = FORM_TOKEN.search(html).group(1)
        for _ in range(2 if twice else 1):
            started = time.monotonic()
            status, _, _ = request(port, "POST", "/inquire", body=form, cookie=cookie)
            with lock:
                result.post_seconds.append(time.monotonic() - started)
                result.count(status)
                if status == 303:
                    result.acknowledged.add(form["email"])
                else:
                    result.failures.append(f"POST /inquire -> {status}")
    except OSError as error:
        with lock:
            result.failures.append(f"{type(error).__name__}: {error}")


def run_load(
    ports: list[int],
    numbers: Iterable[int],
    clients: int = 16,
    tag: str = "run",
    stop: threading.Event | None = None,
    double_every: int = 10,
    result: LoadResult | None = None,
) -> LoadResult:
    """`clients` threads share the inquiries; every `double_every`-th is posted twice.

    Pass `result` to watch progress from another thread while the load runs.
    """
    result = result if result is not None else LoadResult()
    lock = threading.Lock()
    queue = list(numbers)
    queue_lock = threading.Lock()

    def client():
        while not (stop and stop.is_set()):
            with queue_lock:
                if not queue:
                    return
                number = queue.pop(0)
            twice = bool(double_every) and number % double_every == 0
            send_inquiry(ports, number, tag, result, lock, twice=twice)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result
