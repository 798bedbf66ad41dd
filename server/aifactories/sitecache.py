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
DESCRIPTIONS = "aifactories.descriptions"
MAX_ENTRIES = 64
#: Resource descriptions kept per process (a few kB each; the graph has about a thousand IRIs).
MAX_DESCRIPTIONS = 2_048
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
    app.extensions.setdefault(DESCRIPTIONS, SiteCache(MAX_DESCRIPTIONS))


def site_cache() -> SiteCache:
    """Things computed once per data version: statistics, labels, documents."""
    return current_app.extensions[EXTENSION]


def descriptions() -> SiteCache:
    """Resource descriptions per (data version, IRI): every format of a page from one query."""
    return current_app.extensions[DESCRIPTIONS]
