"""The served knowledge graph: one snapshot and the store that answers queries over it.

Built once per process tree (the ``serve`` master builds it before forking its workers) and
replaced whole on reload; request handlers only ever read it.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

from . import external
from . import snapshot as snapshots
from .admission import QueryBudget, process_budget
from .config import Settings
from .engine import EmbeddedEngine, engine_timeout_seconds
from .errors import AIFactoriesError, ConfigError
from .snapshot import Snapshot
from .store import Dataset, SparqlStore, store_url

log = logging.getLogger(__name__)


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

    _stores: dict[int, SparqlStore] = field(default_factory=dict, repr=False)

    def store(self) -> SparqlStore:
        """This process's store client (keep-alive connections must not cross a fork)."""
        pid = os.getpid()
        store = self._stores.get(pid)
        if store is None:
            store = self._stores[pid] = self._new_store()
        return store

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
        return SparqlStore(
            self.query_url,
            timeout=settings.query_timeout,
            ready=self.engine.is_ready,
            direct_post=True,
            admission=QueryBudget(
                process_budget(settings.engine_query_budget, settings.workers),
                window=engine_timeout_seconds(settings.query_timeout),
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


def open_graph(settings: Settings) -> KnowledgeGraph:
    """Build (or take from the cache) the snapshot and start serving it.

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
        snap = snapshots.build(settings)
        engine = EmbeddedEngine.start(
            snap.path,
            timeout=settings.query_timeout,
            expected_triples=snap.triples,
            storage=settings.engine_storage,
        )
        graph = KnowledgeGraph(settings, snap, engine.query_url, engine)
    graph.ready_seconds = round(time.perf_counter() - started, 3)
    log.info(
        "knowledge graph %s ready: %d triples in %.2f s (snapshot %s)",
        snap.short_version,
        snap.triples,
        graph.ready_seconds,
        "cached" if snap.from_cache else f"built in {snap.build_seconds:.2f} s",
    )
    return graph
