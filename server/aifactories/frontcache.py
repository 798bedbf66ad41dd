"""Replay finished GET responses before Flask runs: the hot path for repeated requests.

Researchers re-run the same queries and crawlers re-fetch the same pages.  Once the application
has answered such a GET, the whole answer depends only on the data version (fixed for the life
of an app: a reload builds a new app), the URL, the host, and the request headers named in the
response's ``Vary``.  Replaying it from here skips Flask's request parsing, routing and
after-request hooks, which were over half of a cached answer's CPU.  What a replay still does
per request: a fresh request id, the ``X-Cache: hit`` header, and the same metrics and query
log line as a cache hit inside Flask (:mod:`observability`).

Only responses the application marks replayable (:data:`REPLAYABLE` in the WSGI environ, see
:func:`mark_replayable`) are kept: ``200`` answers to GETs with an ``ETag`` and a public
``Cache-Control``.  Conditional and non-GET requests always go through Flask, and so does
``/sparql`` when per-client limits are on (every query must be counted there).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

#: Set in the WSGI environ by the application on responses that may be replayed.
REPLAYABLE = "aifactories.replayable"
#: What the query log and metrics need to account for a replay, set by :mod:`observability`.
OBSERVED = "aifactories.observed"
#: Headers that are per request, never replayed as stored.
PER_REQUEST = frozenset({"x-request-id", "x-cache", "date", "server"})
#: Variants kept per URL (different Accept or Accept-Language headers).
MAX_VARIANTS = 8

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
#: Called on every replay with the environ, the stored observation and the seconds it took.
Recorder = Callable[[Environ, Any, float], None]


@dataclass(frozen=True)
class Replay:
    """One stored answer: what to send, and which request headers it was chosen by."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: (environ key, value) pairs the request must match, from the response's ``Vary``.
    vary: tuple[tuple[str, str], ...]
    #: Whether the stored response carried ``X-Cache`` (a SPARQL answer): replays say "hit".
    says_cache: bool
    observed: Any


def mark_replayable(response: Response) -> Response:
    """After-request hook: mark the answers :class:`FrontCache` may replay."""
    if (
        request.method == "GET"
        and response.status_code == 200
        and "ETag" in response.headers
        and "public" in response.headers.get("Cache-Control", "")
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
    ):
        request.environ[REPLAYABLE] = True
    return response


def _vary_keys(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    names: list[str] = []
    for name, value in headers:
        if name.lower() == "vary":
            names.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple("HTTP_" + n.upper().replace("-", "_") for n in names)


class FrontCache:
    """WSGI middleware holding replayable responses of one app, LRU-bounded by count and bytes."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        max_entries: int,
        max_bytes: int,
        max_body_bytes: int,
        request_id: Callable[[Environ], str],
        recorder: Recorder | None = None,
        bypass_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_body_bytes = max_body_bytes
        self.request_id = request_id
        self.recorder = recorder
        self.bypass_paths = bypass_paths
        self._entries: OrderedDict[tuple[str, ...], list[Replay]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if (
            self.max_entries <= 0
            or environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_IF_NONE_MATCH" in environ
            or "HTTP_IF_MODIFIED_SINCE" in environ
            or environ.get("PATH_INFO", "") in self.bypass_paths
        ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        key = (
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("wsgi.url_scheme", ""),
            environ.get("SCRIPT_NAME", ""),
        )
        variants = self._entries.get(key)
        if variants:
            # least recently used goes first; one atomic call, no lock on the hot path (an
            # entry evicted meanwhile by another thread is replayed this once)
            with contextlib.suppress(KeyError):
                self._entries.move_to_end(key)
            for entry in variants:
                if all(environ.get(name, "") == value for name, value in entry.vary):
                    return self._replay(entry, environ, start_response, started)
        return self._fill(key, environ, start_response)

    def _replay(
        self, entry: Replay, environ: Environ, start_response: StartResponse, started: float
    ) -> list[bytes]:
        headers = [*entry.headers, ("X-Request-Id", self.request_id(environ))]
        if entry.says_cache:
            headers.append(("X-Cache", "hit"))
        start_response(entry.status, headers)
        if self.recorder is not None:
            self.recorder(environ, entry.observed, time.perf_counter() - started)
        return [entry.body]

    def _fill(
        self, key: tuple[str, ...], environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        if not environ.get(REPLAYABLE) or not captured:
            return body
        status, headers = captured
        length = next((int(v) for n, v in headers if n.lower() == "content-length"), None)
        if length is None or length > self.max_body_bytes:
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        vary = _vary_keys(headers)
        self._store(
            key,
            Replay(
                status=status,
                headers=tuple((n, v) for n, v in headers if n.lower() not in PER_REQUEST),
                body=data,
                vary=tuple((name, environ.get(name, "")) for name in vary),
                says_cache=any(n.lower() == "x-cache" for n, _ in headers),
                observed=environ.get(OBSERVED),
            ),
        )
        return [data]

    def _store(self, key: tuple[str, ...], entry: Replay) -> None:
        with self._lock:
            old = self._entries.pop(key, [])
            self._bytes -= sum(len(v.body) for v in old)
            variants = [entry, *(v for v in old if v.vary != entry.vary)][:MAX_VARIANTS]
            self._entries[key] = variants
            self._bytes += sum(len(v.body) for v in variants)
            while self._entries and (
                len(self._entries) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= sum(len(v.body) for v in dropped)

    def __len__(self) -> int:
        return len(self._entries)


def install(
    app: Flask,
    *,
    max_entries: int,
    max_bytes: int,
    max_body_bytes: int,
    request_id: Callable[[Environ], str],
    recorder: Recorder | None,
    bypass_paths: frozenset[str],
) -> FrontCache:
    """Put a :class:`FrontCache` in front of ``app`` and mark its replayable answers."""
    app.after_request(mark_replayable)
    front = FrontCache(
        app.wsgi_app,
        max_entries=max_entries,
        max_bytes=max_bytes,
        max_body_bytes=max_body_bytes,
        request_id=request_id,
        recorder=recorder,
        bypass_paths=bypass_paths,
    )
    app.wsgi_app = front  # type: ignore[method-assign]
    return front
