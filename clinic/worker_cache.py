"""Values that many requests read and that change slowly, kept in each worker process for the
seconds a setting names (0: read on every request).

The condition list is the example (CLINIC_CONTENT_CACHE_SECONDS): every staff page and the
inquiry form show it, and on PostgreSQL reading it again costs a round trip per page; a `flask
content sync` still shows everywhere within the configured seconds. The Today page's
clinic-wide figures (leads gone quiet, speed to lead) are the others, each with its setting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
EXTENSION_KEY = "clinic.worker_cache"


def cached(name: str, load: Callable[[], T], *, max_age: str = "CLINIC_CONTENT_CACHE_SECONDS") -> T:
    """``load()``'s value, read again once it is older than the ``max_age`` setting's seconds.

    The value is shared by every request of this worker: callers must not change it.
    """
    store: dict[str, tuple[T, float]] = current_app.extensions.setdefault(EXTENSION_KEY, {})
    now = time.monotonic()
    kept = store.get(name)
    if kept is not None and now - kept[1] < current_app.config[max_age]:
        return kept[0]
    value = load()
    store[name] = (value, now)
    return value
