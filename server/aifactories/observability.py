"""What operators see: one structured JSON log line per SPARQL query and Prometheus metrics.

The log line (logger ``aifactories.query``) carries the request id, a SHA-256 of the normalised
query (the same text that keys the response cache, so a repeated query has one hash whatever
its comments and spacing), duration, rows, truncation, cache, status and client.  It carries
no query text, so it can be kept and shipped freely (the server's access log, a separate
stream that is off by default, does record GET URLs).

Metrics use ``prometheus_client``.  ``aifactories serve`` runs several worker processes, each
with its own memory, so in production the counters live in ``prometheus_client``'s
multi-process files (``PROMETHEUS_MULTIPROC_DIR``, one folder per server under the cache
folder, set up by the master before it forks) and ``/metrics`` sums every worker, dead ones
included (their counts happened).  The gauges (engine up, triples, data version) are computed
when scraped.  In-process apps (tests) keep per-app counters.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from .errors import AIFactoriesError, QueryTimeout
from .frontcache import OBSERVED
from .sparql_check import QueryInfo, analyse
from .web import REQUEST_ID, current_graph

log = logging.getLogger("aifactories.query")
bp = Blueprint("observability", __name__)

EXTENSION = "aifactories.metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The pid of the process that set :data:`MULTIPROC_ENV` up (a child must not reuse its
#: parent's folder as its own: a test run starting servers would mix their counters).
OWNER_ENV = "AIFACTORIES_METRICS_OWNER"
SPARQL_ENDPOINT = "sparql.endpoint"
EXPOSITION_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Methods counted by name; any other (a client may send anything) is counted as "other", so
#: that clients cannot grow the metrics without bound.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
#: Query durations: from cache hits (sub-millisecond) to the default 10 s timeout.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def query_hash(normalised: str) -> str:
    """The log's query identifier: SHA-256 of the normalised query text."""
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _multiprocess_dir(app: Flask) -> Path | None:
    """The metrics folder shared by this server's workers, or None for per-process counters.

    ``prometheus_client`` chooses file-backed values when it is first imported, so the folder
    is set up before that import, in the process that will fork the workers.
    """
    if app.testing:
        return None
    current = os.environ.get(MULTIPROC_ENV)
    if current and os.environ.get(OWNER_ENV) == str(os.getpid()):
        return Path(current)  # a reload in the same master: keep counting
    if "prometheus_client" in sys.modules:
        return None
    root = Path(app.extensions["aifactories"].settings.cache_dir) / "metrics"
    _forget_dead_servers(root)
    folder = root / f"server-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    os.environ[OWNER_ENV] = str(os.getpid())
    return folder


def _forget_dead_servers(root: Path) -> None:
    """Remove the folders of servers that are gone (their pid no longer runs)."""
    if not root.is_dir():
        return
    for folder in root.glob("server-*"):
        try:
            os.kill(int(folder.name.removeprefix("server-")), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError):
            continue


class Metrics:
    """The app's metric families and the registry ``/metrics`` exposes."""

    def __init__(self, multiprocess_dir: Path | None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram
        from prometheus_client.multiprocess import MultiProcessCollector

        self.registry = CollectorRegistry(auto_describe=True)
        # In multi-process mode values live in files and the collector reads them all.
        own = None if multiprocess_dir else self.registry
        if multiprocess_dir:
            MultiProcessCollector(self.registry, path=str(multiprocess_dir))
        self.requests = Counter(
            "aifactories_http_requests",
            "HTTP requests by route pattern, method and status.",
            ["route", "method", "status"],
            registry=own,
        )
        self.query_duration = Histogram(
            "aifactories_query_duration_seconds",
            "Time to answer a SPARQL query (cache hits included), by query form.",
            ["form"],
            buckets=DURATION_BUCKETS,
            registry=own,
        )
        self.timeouts = Counter(
            "aifactories_query_timeouts", "Queries stopped by the query timeout.", registry=own
        )
        self.truncations = Counter(
            "aifactories_query_truncations", "Results cut at max_rows.", registry=own
        )
        self.cache = Counter(
            "aifactories_query_cache",
            "SPARQL responses from the response cache (hit) or the engine (miss).",
            ["result"],
            registry=own,
        )
        self.registry.register(_GraphCollector())
        self._children: dict[tuple[object, ...], Any] = {}

    def child(self, family: Any, *labels: str) -> Any:
        """``family.labels(*labels)``, remembered: prometheus_client validates and locks on
        every ``labels()`` call, and three of them ran for every query."""
        key = (id(family), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = family.labels(*labels)
        return found


class _GraphCollector:
    """Gauges read at scrape time from the graph the scraping request's app serves."""

    def describe(self) -> Iterable[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

        graph = current_graph()
        snap = graph.snapshot
        up = GaugeMetricFamily("aifactories_engine_up", "1 if the query engine answers.")
        up.add_metric([], 1.0 if graph.ping() else 0.0)
        yield up
        yield GaugeMetricFamily(
            "aifactories_data_triples", "Triples served (all graphs).", value=snap.triples
        )
        yield GaugeMetricFamily(
            "aifactories_data_load_seconds",
            "Time the served graph took to become ready.",
            value=graph.ready_seconds,
        )
        failed = GaugeMetricFamily(
            "aifactories_reload_failed", "1 if the last reload was refused (see /readyz)."
        )
        failed.add_metric([], 1.0 if graph.reload_error else 0.0)
        yield failed
        info = InfoMetricFamily("aifactories_data", "The data version being served.")
        info.add_metric([], {"version": snap.version, "built_at": snap.built_at})
        yield info


def metrics() -> Metrics:
    return current_app.extensions[EXTENSION]


@bp.get("/metrics")
def exposition() -> Response:
    """The Prometheus text exposition format, version 0.0.4 (what every scraper reads)."""
    from prometheus_client import generate_latest

    body = generate_latest(metrics().registry)
    response = Response(body, content_type=EXPOSITION_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _start() -> None:
    g.started = time.perf_counter()


def _analyse(text: str) -> QueryInfo | None:
    return _analysed(text, current_app.extensions["aifactories"].settings.service_allowlist)


@functools.lru_cache(maxsize=4096)
def _analysed(text: str, allowlist: tuple[str, ...]) -> QueryInfo | None:
    """The lexer's view of a query the response cache answered (memoised: the same texts
    come back, and re-lexing them cost more than the cache hit itself)."""
    try:
        return analyse(text, allowlist)
    except AIFactoriesError:
        return None


@dataclass(frozen=True)
class Observed:
    """What a replayed answer is counted and logged as (kept beside it by :mod:`frontcache`)."""

    route: str
    #: The query's form and log hash; None for requests that are not SPARQL queries.
    form: str | None = None
    query_hash: str | None = None
    truncated: bool = False


def _record(response: Response) -> Response:
    """Count every request; for SPARQL queries, time them and write the log line."""
    found = metrics()
    route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
    method = request.method if request.method in HTTP_METHODS else "other"
    found.child(found.requests, route, method, str(response.status_code)).inc()
    if request.endpoint != SPARQL_ENDPOINT:
        request.environ[OBSERVED] = Observed(route)
        return response
    info = g.get("query_info")
    error = g.get("error")
    if info is None and response.status_code < 400:
        text = g.get("query_text")
        if text is None:
            request.environ[OBSERVED] = Observed(route)
            return response  # the service description, not a query
        info = _analyse(text)  # a cache hit on the exact request text skipped the lexer
    duration = time.perf_counter() - g.get("started", time.perf_counter())
    truncated = response.headers.get("X-SPARQL-Truncated", "").startswith("true")
    cache = response.headers.get("X-Cache") or (
        "revalidated" if response.status_code == 304 else None
    )
    if info is not None and response.status_code < 400:
        found.child(found.query_duration, info.form).observe(duration)
    if isinstance(error, QueryTimeout):
        found.timeouts.inc()
    if truncated:
        found.truncations.inc()
    if cache in ("hit", "miss"):
        found.child(found.cache, cache).inc()
    digest = query_hash(info.normalised) if info is not None else None
    form = info.form if info is not None else None
    request.environ[OBSERVED] = Observed(route, form, digest, truncated)
    _log_query(
        g.get("request_id"),
        digest,
        form,
        response.status_code,
        duration,
        g.get("query_rows"),
        truncated,
        cache,
        error.title if error is not None else None,
        request.remote_addr,
    )
    return response


def _log_query(
    request_id: str | None,
    digest: str | None,
    form: str | None,
    status: int,
    duration: float,
    rows: int | None,
    truncated: bool,
    cache: str | None,
    error: str | None,
    client: str | None,
) -> None:
    log.info(
        json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "event": "query",
                "requestId": request_id,
                "queryHash": digest,
                "form": form,
                "status": status,
                "durationMs": round(duration * 1000, 3),
                "rows": rows,
                "truncated": truncated,
                "cache": cache,
                "error": error,
                "client": client,
            },
            separators=(",", ":"),
        )
    )


def replay_recorder(app: Flask) -> Callable[[dict[str, Any], Any, float], None]:
    """What :mod:`frontcache` calls for each replayed answer: the same counters and log line
    as a cache hit answered inside Flask."""
    found: Metrics = app.extensions[EXTENSION]

    def record(environ: dict[str, Any], observed: Observed | None, duration: float) -> None:
        if observed is None:
            return
        found.child(found.requests, observed.route, "GET", "200").inc()
        if observed.form is None:
            return
        found.child(found.query_duration, observed.form).observe(duration)
        if observed.truncated:
            found.truncations.inc()
        found.child(found.cache, "hit").inc()
        _log_query(
            environ.get(REQUEST_ID),
            observed.query_hash,
            observed.form,
            200,
            duration,
            None,
            observed.truncated,
            "hit",
            None,
            environ.get("REMOTE_ADDR"),
        )

    return record


class LineHandler(logging.Handler):
    """Writes each record's message as one line with a single ``os.write``, without a lock.

    ``logging.Handler.handle`` takes a lock around every record; with a worker's threads all
    logging, waiting for it was 90 % of the Python time of a replayed answer (py-spy).  One
    ``write`` of a line shorter than ``PIPE_BUF`` (4 kB; ours are ~300 bytes) is atomic on a
    pipe and on an ``O_APPEND`` file, so lines from threads and workers never interleave.
    """

    def __init__(self, stream: Any = None) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stderr

    def handle(self, record: logging.LogRecord) -> bool:  # type: ignore[override]
        if self.filter(record):
            self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (record.getMessage() + "\n").encode("utf-8")
            fileno = self.stream.fileno()
        except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
            self.stream.write(record.getMessage() + "\n")
            return
        try:
            os.write(fileno, line)
        except OSError:
            self.handleError(record)


def _log_json_lines() -> None:
    """Query lines go to stderr as bare JSON (one object per line), not behind a log prefix."""
    if not log.handlers:
        handler = LineHandler()
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def init_app(app: Flask) -> None:
    _log_json_lines()
    app.extensions[EXTENSION] = Metrics(_multiprocess_dir(app))
    app.register_blueprint(bp)
    app.before_request(_start)
    app.after_request(_record)
