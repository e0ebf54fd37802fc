"""A real SMTP server for the notification tests (aiosmtpd on a free loopback port).

A `MailServer` is created *not* running, so a test can show the outbox with the server down
first; `start()` brings it up on the same port.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class _Collector:
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    delay: float = 0.0  # seconds per message: a slow server, so concurrent senders overlap

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            await asyncio.sleep(self.delay)
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.password == b"mail-password")


class MailServer:
    def __init__(self, require_auth: bool = False, delay: float = 0.0):
        self.port = free_port()
        self.collector = _Collector(delay=delay)
        self.require_auth = require_auth
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.collector.received

    def config(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_TIMEOUT_SECONDS": 5}

    def start(self) -> None:
        kwargs = {}
        if self.require_auth:
            kwargs = {
                "authenticator": self.collector.authenticate,
                "auth_require_tls": False,
                "auth_required": True,
            }
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


def configure_mail(app, server: MailServer) -> None:
    app.config.update(server.config())
