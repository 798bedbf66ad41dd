"""A per-process LRU cache of finished SPARQL responses, and the key that names them.

The data is a frozen snapshot, so a response is fully determined by (data version, normalised
query, dataset parameters, format).  The same key gives the ``ETag``: a client revalidating
with ``If-None-Match`` gets its 304 without the engine, and a repeated query is answered from
memory.  The hit path is one hash, one dict lookup and one ``move_to_end`` under a lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedResponse:
    """What a response needs to be replayed: body, content type and extra headers."""

    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    #: The response's ETag (its normalised :func:`response_key`, unquoted).
    etag: str = ""


def response_key(
    data_version: str,
    normalised_query: str,
    dataset: Sequence[tuple[str, str]],
    format_name: str,
) -> str:
    """A short, stable hash of everything a response depends on (also used as the ETag)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (data_version, normalised_query, repr(tuple(dataset)), format_name):
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


class ResponseCache:
    """A thread-safe LRU map from :func:`response_key` to :class:`CachedResponse`.

    ``max_entries`` of 0 disables caching.  Bodies larger than ``max_body_bytes`` are not kept,
    so one huge CONSTRUCT cannot evict everything else.
    """

    def __init__(self, max_entries: int, max_body_bytes: int = 4_000_000) -> None:
        self.max_entries = max_entries
        self.max_body_bytes = max_body_bytes
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, entry: CachedResponse) -> None:
        if self.max_entries <= 0 or len(entry.body) > self.max_body_bytes:
            return
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
