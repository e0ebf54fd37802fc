"""Helpers for the webhook tests: receivers on this machine, and DNS the test chooses.

No test asks real DNS: chosen names get chosen answers, IP addresses in any spelling and
``localhost`` go to the system resolver (which needs no network for them), and every other name
is not found.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from clinic.automation import safe_http

REAL_GETADDRINFO = safe_http.getaddrinfo


class FakeDNS:
    """Stands in for getaddrinfo in clinic.automation.safe_http."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: list[str] = []

    def answer(self, name: str, *lookups: list[str]) -> None:
        """Each of ``lookups`` answers one lookup of ``name``, in turn; the last one repeats."""
        self.answers[name] = [list(addresses) for addresses in lookups]

    def __call__(self, host, port, *args, **kwargs):
        self.asked.append(host)
        if host in self.answers:
            turns = self.answers[host]
            addresses = turns.pop(0) if len(turns) > 1 else turns[0]
            return [_answer(address, port) for address in addresses]
        if host == "localhost":
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST
        return REAL_GETADDRINFO(host, port, *args, **kwargs)


def _answer(address: str, port: int) -> tuple:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


class Receiver:
    """A local HTTP server that records what it is sent and answers with ``status``.

    ``connections`` counts every TCP connection accepted, even one that never sent a request.
    """

    def __init__(self, port: int = 0, status: int = 204, host: str = "127.0.0.1"):
        self.requests: list[dict] = []
        self.connections = 0
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request, client_address):
                receiver.connections += 1
                return True

        self.host = host
        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hooks/clinic"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
