"""A per-application memo of things computed once per data version (VoID, labels, docs).

Lives in ``app.extensions`` (no module-level state); keys carry the data version, so a reload
that swaps the graph never serves a stale value, and old versions age out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app

EXTENSION = "aifactories.site"
MAX_ENTRIES = 64
T = TypeVar("T")


class SiteCache:
    """A small, thread-safe, bounded memo: ``get(key, build)``."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = build()  # outside the lock: two threads may build once each, harmlessly
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._max:
                self._values.popitem(last=False)
        return value


def init_app(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, SiteCache())


def site_cache() -> SiteCache:
    return current_app.extensions[EXTENSION]
