"""Short lists that many requests read and that change only when content or settings change,
kept in each worker process for CLINIC_CONTENT_CACHE_SECONDS (0: read on every request).

The condition list is the example: every staff page and the inquiry form show it, and on
PostgreSQL reading it again costs a round trip per page; a `flask content sync` still shows
everywhere within the configured seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
EXTENSION_KEY = "clinic.worker_cache"


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, read again once it is older than CLINIC_CONTENT_CACHE_SECONDS.

    The value is shared by every request of this worker: callers must not change it.
    """
    store: dict[str, tuple[T, float]] = current_app.extensions.setdefault(EXTENSION_KEY, {})
    now = time.monotonic()
    kept = store.get(name)
    if kept is not None and now - kept[1] < current_app.config["CLINIC_CONTENT_CACHE_SECONDS"]:
        return kept[0]
    value = load()
    store[name] = (value, now)
    return value
