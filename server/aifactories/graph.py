"""The served knowledge graph: one snapshot and the store that answers queries over it.

Built once per process tree (the ``serve`` master builds it before forking its workers) and
replaced whole on reload; request handlers only ever read it.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import external
from . import query as queries
from . import snapshot as snapshots
from .admission import QueryBudget, process_budget
from .config import Settings
from .engine import (
    EmbeddedEngine,
    build_disk_store,
    disk_store_location,
    engine_timeout_seconds,
)
from .errors import AIFactoriesError, ConfigError
from .isolated import IsolatedRunner, shared_timeout
from .query import QueryResult
from .snapshot import Snapshot
from .sparql_check import QueryInfo
from .store import NO_DATASET, Dataset, SparqlStore, store_url
from .wire import LoopbackStore

log = logging.getLogger(__name__)

#: Long queries one worker process runs at once in engines of their own (each may keep a core
#: busy until its deadline); more get 503 + Retry-After at once.
MAX_LONG_QUERIES_PER_WORKER = 2


def _build_quietly(nquads: Path) -> None:
    """Build the on-disk store for long queries; until it exists they are answered 503."""
    try:
        build_disk_store(nquads)
    except AIFactoriesError as exc:
        log.warning("no engine for long queries (they get 503 at the short timeout): %s", exc)


@dataclass
class KnowledgeGraph:
    """A snapshot plus the engine serving it (embedded) or the external store's address."""

    settings: Settings
    snapshot: Snapshot
    query_url: str
    engine: EmbeddedEngine | None = None
    ready_seconds: float = 0.0
    #: Why the last reload was refused (``None`` when it succeeded or none was asked).
    reload_error: str | None = None

    #: Where long queries get an engine of their own (the snapshot's on-disk store, perhaps
    #: still being built); None: the shared engine runs every query for its whole time.
    isolated_location: Path | None = None

    _stores: dict[int, SparqlStore] = field(default_factory=dict, repr=False)
    _runners: dict[int, IsolatedRunner] = field(default_factory=dict, repr=False)

    def store(self) -> SparqlStore:
        """This process's store client (keep-alive connections must not cross a fork)."""
        pid = os.getpid()
        store = self._stores.get(pid)
        if store is None:
            store = self._stores[pid] = self._new_store()
        return store

    def run(
        self, info: QueryInfo, query: str, *, max_rows: int, dataset: Dataset = NO_DATASET
    ) -> QueryResult:
        """Run a checked query with every safeguard of this graph's engine: the row cap, the
        last resort against a query the engine fails to cancel, and a second chance in an
        engine of its own for a query the shared engine stopped at its short timeout."""
        on_overrun = None
        if self.engine is not None:  # the last resort kills this engine, not a replacement
            on_overrun = functools.partial(self.engine.kill_runaway, self.engine.current_pid())
        return queries.run(
            self.store(),
            info,
            query,
            max_rows=max_rows,
            dataset=dataset,
            on_overrun=on_overrun,
            isolated=self._runner(),
            time_limit=self.settings.query_timeout,
        )

    def _runner(self) -> IsolatedRunner | None:
        if self.isolated_location is None:
            return None
        pid = os.getpid()
        runner = self._runners.get(pid)
        if runner is None:  # per process: its slots are a thread semaphore
            runner = self._runners[pid] = IsolatedRunner(
                self.isolated_location, max_running=MAX_LONG_QUERIES_PER_WORKER
            )
        return runner

    def _new_store(self) -> SparqlStore:
        settings = self.settings
        if self.engine is None:  # an external store: name the snapshot's graphs explicitly
            graphs = tuple(sorted(self.snapshot.graphs))
            return SparqlStore(
                self.query_url,
                timeout=settings.query_timeout,
                default_dataset=Dataset(graphs, graphs),
            )
        # The embedded engine holds exactly the snapshot's graphs and makes its default graph
        # their union: sending no dataset is the same and spares the engine ~10 % of its work.
        # Each worker process gets its share of the engine's query budget.
        # The engine may stop queries at a short timeout (``serving``); the client still waits
        # the whole query_timeout (plus grace) before it takes the engine for one that failed
        # to stop, as it did before the short timeout: a query the engine does not cancel but
        # that finishes in time is answered, and the engine is killed no earlier than then.
        return LoopbackStore(
            self.query_url,
            timeout=settings.query_timeout,
            ready=self.engine.is_ready,
            direct_post=True,
            admission=QueryBudget(
                process_budget(settings.engine_query_budget, settings.workers),
                window=engine_timeout_seconds(self.engine.timeout),
            ),
        )

    def ping(self) -> bool:
        """Whether the engine answers a trivial query (a real round trip, not a pid check)."""
        try:
            response = self.store().execute(
                "ASK {}", "application/sparql-results+json", admit=False
            )
            response.close()
            return True
        except AIFactoriesError:
            return False

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
        if self.engine is not None:
            self.engine.stop()


def open_graph(settings: Settings, *, serving: bool = False) -> KnowledgeGraph:
    """Build (or take from the cache) the snapshot and start serving it.

    ``serving`` (the ``serve`` command): the shared engine stops queries at a short timeout and
    long ones get the rest of their time in an engine of their own (:mod:`isolated`), whose
    on-disk store is built in the background.  Otherwise (one-off commands, in-process apps)
    the engine gives every query its whole ``query_timeout``.

    Raises InputError / ValidationFailed for bad data and StoreUnavailable when no engine runs.
    """
    started = time.perf_counter()
    if settings.store:
        url = store_url(settings.store)
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--store must be a sparql+http(s):// URL, not {settings.store!r}")
        if settings.data:
            raise ConfigError("--data and --store exclude each other: publish the data first")
        probe = SparqlStore(url, timeout=settings.query_timeout)
        try:
            snap = external.materialise(probe, settings)
        finally:
            probe.close()
        graph = KnowledgeGraph(settings, snap, url)
    else:
        # The server builds a new snapshot in a child process: its heap dies with it.
        snap = snapshots.build_apart(settings) if serving else snapshots.build(settings)
        short = serving and shared_timeout(settings.query_timeout) < settings.query_timeout
        engine = EmbeddedEngine.start(
            snap.path,
            timeout=shared_timeout(settings.query_timeout) if short else settings.query_timeout,
            expected_triples=snap.triples,
            storage=settings.engine_storage,
        )
        graph = KnowledgeGraph(settings, snap, engine.query_url, engine)
        if short:
            graph.isolated_location = engine.location or disk_store_location(snap.path)
            if engine.location is None:  # in memory: build the on-disk copy meanwhile
                threading.Thread(
                    target=_build_quietly,
                    args=(snap.path,),
                    name="aifactories-disk-store",
                    daemon=True,
                ).start()
    graph.ready_seconds = round(time.perf_counter() - started, 3)
    log.info(
        "knowledge graph %s ready: %d triples in %.2f s (snapshot %s)",
        snap.short_version,
        snap.triples,
        graph.ready_seconds,
        "cached" if snap.from_cache else f"built in {snap.build_seconds:.2f} s",
    )
    return graph
