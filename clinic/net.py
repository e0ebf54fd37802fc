"""Request facts that depend on how the app is deployed."""

from flask import request


def client_ip() -> str:
    """The client address as seen by the WSGI server.

    X-Forwarded-For is honoured only through ProxyFix, which the factory installs when
    TRUSTED_PROXIES is set; otherwise a client cannot choose its own address.
    """
    return request.remote_addr or "unknown"
