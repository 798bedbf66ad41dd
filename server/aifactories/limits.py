"""Optional per-client limits on ``/sparql``: concurrent queries, and query-seconds per minute.

Both are off by default (0).  A client over a limit gets ``429 Too Many Requests`` with
``Retry-After``: 1 s when it has too many queries running, else the seconds left in its current
minute once its time budget is spent.  The budget is charged with each request's wall-clock time
after it ends, so one long query can overrun it once; the next one waits.

A client is its remote address: behind a reverse proxy every client shares the proxy's address,
so limit there, or run with the proxy's address space in mind.

The server's workers are separate processes, so the per-client table lives in shared memory
created before they fork (a fixed-size, open-addressed table of doubles under one
``multiprocessing`` lock): a client's count is the same whichever worker answers.  A table slot
is reused once its client has nothing running and its minute is over.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request

from .config import Settings
from .errors import ConfigError, TooManyRequests

EXTENSION = "aifactories.limits"
SPARQL_ENDPOINT = "sparql.endpoint"
WINDOW_SECONDS = 60.0
#: Distinct clients tracked at once; when every slot is busy, new clients are not limited.
SLOTS = 4096
_FIELDS = 4  # client key, running queries, window start, seconds used in the window
_KEY, _RUNNING, _WINDOW, _USED = range(_FIELDS)


def client_key(address: str) -> float:
    """A non-zero number naming a client, exact in a double (48 bits of a hash)."""
    digest = hashlib.blake2b(address.encode("utf-8"), digest_size=6).digest()
    return float(int.from_bytes(digest, "big") or 1)


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int


class ClientTable:
    """Per-client counters in shared memory, safe across threads and forked workers."""

    def __init__(self, max_concurrent: int, seconds_per_minute: float) -> None:
        self.max_concurrent = max_concurrent
        self.seconds_per_minute = seconds_per_minute
        self._lock = multiprocessing.Lock()
        self._cells: Any = multiprocessing.RawArray("d", SLOTS * _FIELDS)

    def _slot(self, key: float, now: float) -> int | None:
        """The client's slot, claiming a free or stale one if it has none (lock held)."""
        start = int(key) % SLOTS
        free = None
        for probe in range(SLOTS):
            slot = (start + probe) % SLOTS
            base = slot * _FIELDS
            owner = self._cells[base + _KEY]
            if owner == key:
                return slot
            stale = self._cells[base + _RUNNING] <= 0 and (
                now - self._cells[base + _WINDOW] >= WINDOW_SECONDS
            )
            if free is None and (owner == 0 or stale):
                free = slot
            if owner == 0:
                break
        if free is not None:
            base = free * _FIELDS
            self._cells[base : base + _FIELDS] = [key, 0.0, now, 0.0]
        return free

    def acquire(self, key: float, now: float) -> Refusal | None:
        """Count a query in, or say why not."""
        with self._lock:
            slot = self._slot(key, now)
            if slot is None:
                return None
            base = slot * _FIELDS
            if now - self._cells[base + _WINDOW] >= WINDOW_SECONDS:
                self._cells[base + _WINDOW] = now
                self._cells[base + _USED] = 0.0
            running = self._cells[base + _RUNNING]
            if self.max_concurrent and running >= self.max_concurrent:
                return Refusal(
                    f"this client already has {int(running)} queries running "
                    f"(limit {self.max_concurrent}); retry when one has finished",
                    1,
                )
            used = self._cells[base + _USED]
            if self.seconds_per_minute and used >= self.seconds_per_minute:
                left = WINDOW_SECONDS - (now - self._cells[base + _WINDOW])
                return Refusal(
                    f"this client used {used:.1f} s of query time this minute "
                    f"(limit {self.seconds_per_minute:g} s)",
                    max(1, math.ceil(left)),
                )
            self._cells[base + _RUNNING] = running + 1
            return None

    def release(self, key: float, seconds: float, now: float) -> None:
        """Count a query out and charge its time to the client's current minute."""
        with self._lock:
            slot = self._slot(key, now)
            if slot is None:
                return
            base = slot * _FIELDS
            self._cells[base + _RUNNING] = max(0.0, self._cells[base + _RUNNING] - 1)
            self._cells[base + _USED] += seconds


def _table() -> ClientTable:
    return current_app.extensions[EXTENSION]


def _is_query() -> bool:
    """Queries come by POST or with ``?query=``; the service description and UI are free."""
    return request.method == "POST" or "query" in request.args


def _enter() -> None:
    if request.endpoint != SPARQL_ENDPOINT or not _is_query():
        return
    key = client_key(request.remote_addr or "")
    refusal = _table().acquire(key, time.monotonic())
    if refusal is not None:
        raise TooManyRequests(refusal.message, refusal.retry_after)
    g.limits_client = (key, time.monotonic())


def _leave(_exc: BaseException | None) -> None:
    entered = g.pop("limits_client", None)
    if entered is not None:
        key, started = entered
        now = time.monotonic()
        _table().release(key, now - started, now)


def enabled(settings: Settings) -> bool:
    return bool(settings.client_max_concurrent_queries or settings.client_query_seconds_per_minute)


def init_app(app: Flask) -> None:
    """Install the limits when a setting asks for them (nothing at all otherwise)."""
    settings: Settings = app.extensions["aifactories"].settings
    if settings.client_max_concurrent_queries < 0 or settings.client_query_seconds_per_minute < 0:
        raise ConfigError("per-client limits must be 0 (off) or positive")
    if not enabled(settings):
        return
    app.extensions[EXTENSION] = ClientTable(
        settings.client_max_concurrent_queries, settings.client_query_seconds_per_minute
    )
    app.before_request(_enter)
    app.teardown_request(_leave)
