"""Outgoing HTTP pinned to checked addresses: which addresses pass, and where connections go."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address

import pytest

from clinic.automation import safe_http
from tests.webhook_helpers import FakeDNS, Receiver

RECEIVER_NAME = "receiver.clinic.test"


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS()
    monkeypatch.setattr(safe_http, "getaddrinfo", fake)
    return fake


@pytest.mark.parametrize(
    ("address", "public", "with_private"),
    [
        ("93.184.215.14", True, True),
        ("2606:4700::6810:1", True, True),
        ("::ffff:93.184.215.14", True, True),
        ("64:ff9b::5db8:d70e", True, True),  # NAT64 of 93.184.215.14
        ("127.0.0.1", False, True),
        ("127.8.9.10", False, True),
        ("::1", False, True),
        ("10.1.2.3", False, True),
        ("172.31.255.255", False, True),
        ("192.168.0.1", False, True),
        ("100.64.0.1", False, True),
        ("fd00::1", False, True),
        ("::ffff:10.1.2.3", False, True),
        ("172.32.0.1", True, True),  # just past 172.16/12
        ("169.254.169.254", False, False),
        ("169.254.1.1", False, False),
        ("fe80::1", False, False),
        ("fd00:ec2::254", False, False),
        ("100.100.100.200", False, False),
        ("0.0.0.0", False, False),
        ("::", False, False),
        ("224.0.0.1", False, False),
        ("239.1.2.3", False, False),
        ("ff0e::1", False, False),
        ("240.0.0.1", False, False),
        ("255.255.255.255", False, False),
        ("192.0.2.10", False, False),
        ("2001:db8::1", False, False),
        ("fec0::1", False, False),
        ("::7f00:1", False, False),
        ("64:ff9b::7f00:1", False, False),
        ("64:ff9b:1::a00:1", False, False),
        ("2002:7f00:1::1", False, False),
        ("2002:a00:1::1", False, False),
    ],
)
def test_which_addresses_are_allowed(address, public, with_private):
    assert safe_http.is_allowed(ip_address(address), allow_private=False) is public
    assert safe_http.is_allowed(ip_address(address), allow_private=True) is with_private


@pytest.mark.parametrize(
    "spelling", ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "::ffff:127.0.0.1"]
)
def test_every_spelling_of_loopback_resolves_to_it_and_is_refused(dns, spelling):
    assert safe_http.resolve(spelling, 443) == [ip_address("127.0.0.1")]
    with pytest.raises(safe_http.AddressNotAllowed):
        safe_http.vetted_addresses(spelling, 443, allow_private=False)


def test_one_inside_answer_refuses_the_name(dns):
    dns.answer(RECEIVER_NAME, ["93.184.215.14", "10.0.0.8"])
    with pytest.raises(safe_http.AddressNotAllowed):
        safe_http.vetted_addresses(RECEIVER_NAME, 443, allow_private=False)
    dns.answer(RECEIVER_NAME, ["93.184.215.14", "2606:4700::6810:1"])
    assert safe_http.vetted_addresses(RECEIVER_NAME, 443, allow_private=False) == [
        ip_address("93.184.215.14"),
        ip_address("2606:4700::6810:1"),
    ]


def test_a_name_that_does_not_resolve_is_reported_as_such(dns):
    with pytest.raises(safe_http.HostNotFound):
        safe_http.resolve("no-such-host.clinic.test", 443)


def test_the_connection_never_looks_the_name_up(dns):
    receiver = Receiver()
    dns.answer(RECEIVER_NAME, ["10.9.9.9"])  # what a lookup would say now: not where we go
    try:
        connection = safe_http.pinned_connection(
            "http", RECEIVER_NAME, receiver.port, [ip_address("127.0.0.1")], timeout=2
        )
        connection.request("POST", "/hooks", body=b"{}")
        assert connection.getresponse().status == 204
        connection.close()
    finally:
        receiver.stop()
    assert dns.asked == []
    assert receiver.requests[0]["headers"]["Host"] == f"{RECEIVER_NAME}:{receiver.port}"


def test_the_next_checked_address_is_tried_when_one_does_not_answer():
    receiver = Receiver()
    try:
        sock = safe_http.open_socket(
            [ip_address("127.0.0.2"), ip_address("127.0.0.1")], receiver.port, timeout=2
        )
        assert sock.getpeername() == ("127.0.0.1", receiver.port)
        sock.close()
    finally:
        receiver.stop()


# --- TLS: the certificate is checked against the name, at the pinned address ---------------


def _openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A throw-away CA and a certificate for RECEIVER_NAME that it signed."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make test certificates")
    folder = tmp_path_factory.mktemp("tls")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Clinic test CA",
        cwd=folder,
    )
    _openssl(
        "req",
        *ec,
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        f"/CN={RECEIVER_NAME}",
        cwd=folder,
    )
    (folder / "leaf.ext").write_text(
        f"subjectAltName=DNS:{RECEIVER_NAME}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        cwd=folder,
    )
    return folder


@pytest.fixture
def tls_receiver(certificates):
    """An HTTPS server on 127.0.0.1 that records the SNI name and Host header it was sent."""
    seen: dict[str, str | None] = {}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates / "leaf.pem", certificates / "leaf.key")
    context.sni_callback = lambda _sock, name, _ctx: seen.update(sni=name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["host"] = self.headers["Host"]
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _post_over_tls(name: str, port: int, certificates) -> int:
    trusting_the_test_ca = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    connection = safe_http.pinned_connection(
        "https", name, port, [ip_address("127.0.0.1")], timeout=2, tls=trusting_the_test_ca
    )
    try:
        connection.request("POST", "/hooks", body=b"{}")
        return connection.getresponse().status
    finally:
        connection.close()


def test_tls_at_the_pinned_address_checks_the_certificate_against_the_name(
    dns, tls_receiver, certificates
):
    port, seen = tls_receiver
    assert _post_over_tls(RECEIVER_NAME, port, certificates) == 204
    assert seen == {"sni": RECEIVER_NAME, "host": f"{RECEIVER_NAME}:{port}"}
    assert dns.asked == []


def test_a_certificate_for_another_name_is_refused(tls_receiver, certificates):
    port, _ = tls_receiver
    with pytest.raises(ssl.SSLCertVerificationError):
        _post_over_tls("other.clinic.test", port, certificates)
