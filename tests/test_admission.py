"""Admission to the embedded engine: a budget of queries per timeout window, so that the
engine's per-query timeout threads cannot pile up until it crashes (503 + Retry-After instead)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aifactories.admission import MAX_DERIVED_BUDGET, QueryBudget, derived_budget, process_budget
from aifactories.engine import EmbeddedEngine
from aifactories.errors import EngineBusy, ServiceUnavailable
from aifactories.graph import KnowledgeGraph
from aifactories.store import SparqlStore
from conftest import TINY, LiveServer, start_server, stop_server

SELECT = "application/sparql-results+json"


def test_budget_refuses_past_its_limit_with_retry_after() -> None:
    budget = QueryBudget(2, window=30)
    budget.admit()
    budget.admit()
    with pytest.raises(EngineBusy) as refused:
        budget.admit()
    assert isinstance(refused.value, ServiceUnavailable) and refused.value.status == 503
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 30
    assert "engine_query_budget" in refused.value.message
    assert "retry in" in refused.value.message


def test_budget_admits_again_after_the_window() -> None:
    budget = QueryBudget(1, window=0.2)
    budget.admit()
    with pytest.raises(EngineBusy):
        budget.admit()
    time.sleep(0.25)
    budget.admit()


def test_each_worker_gets_its_share_of_the_server_budget() -> None:
    assert process_budget(1000, workers=4) == 250
    assert process_budget(0, workers=1) == derived_budget()
    assert 1 <= derived_budget() <= MAX_DERIVED_BUDGET


def test_embedded_store_is_guarded_but_the_health_check_is_not(graph: KnowledgeGraph) -> None:
    store = graph.store()
    assert store.admission is not None
    assert store.admission.window == round(graph.settings.query_timeout)
    before = len(store.admission._sent)
    assert graph.ping()
    assert len(store.admission._sent) == before


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[LiveServer]:
    """One worker with a budget of 3 queries per window (the shared engine's own 1 s timeout,
    whatever the 60 s query timeout): spent within the first few queries."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AIFACTORIES_ENGINE_QUERY_BUDGET", "3")
        env.setenv("AIFACTORIES_QUERY_TIMEOUT", "60")
        server = start_server("--data", str(TINY), "--workers", "1", cache=cache_dir)
    yield server
    stop_server(server)


def _ask(server: LiveServer, query: str) -> requests.Response:
    return requests.post(
        server.url + "/sparql", data={"query": query}, headers={"Accept": SELECT}, timeout=30
    )


def test_spent_budget_gives_503_while_cached_answers_are_served(busy_server: LiveServer) -> None:
    first = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    assert _ask(busy_server, first).status_code == 200
    for n in range(2, 12):  # distinct queries, never cached, until the budget is spent
        refused = _ask(busy_server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {n}")
        if refused.status_code != 200:
            break
    assert refused.status_code == 503
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "engine_query_budget" in refused.text
    assert _ask(busy_server, first).status_code == 200  # from the response cache


def _engine_threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])


@pytest.mark.slow
def test_guarded_engine_survives_a_burst_with_bounded_threads(tmp_path: Path) -> None:
    """Eight clients hammer the engine for 2 s: its threads stay within the budget, it is never
    restarted, and the surplus is refused instead."""
    data = tmp_path / "data.nq"
    data.write_text(
        "<http://example.org/s> <http://example.org/p> <http://example.org/o> <http://example.org/g> .\n"
    )
    engine = EmbeddedEngine.start(data, timeout=3, expected_triples=1)
    limit = 400
    budget = QueryBudget(limit, window=3)
    baseline = _engine_threads(engine.current_pid())
    counts = {"ok": 0, "busy": 0}
    peak = [baseline]
    stop = time.monotonic() + 2

    def client() -> None:
        store = SparqlStore(engine.query_url, timeout=3, direct_post=True, admission=budget)
        while time.monotonic() < stop:
            try:
                store.execute("ASK { ?s ?p ?o }", SELECT).close()
                counts["ok"] += 1
            except EngineBusy:
                counts["busy"] += 1
                time.sleep(0.001)
        store.close()

    def watch() -> None:
        while time.monotonic() < stop + 0.5:
            peak[0] = max(peak[0], _engine_threads(engine.current_pid()))
            time.sleep(0.02)

    try:
        threads = [threading.Thread(target=client) for _ in range(8)]
        threads.append(threading.Thread(target=watch))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert counts["busy"] > 0 and counts["ok"] >= limit
        assert peak[0] <= baseline + limit + 16  # timeout threads, plus a few connection ones
        assert engine.restarts == 0 and engine.alive()
    finally:
        engine.stop()


def test_refusals_are_not_logged_one_by_one(busy_server: LiveServer) -> None:
    """A flood of refusals must not flood the log; the metrics count them by status."""
    for n in range(20, 40):
        _ask(busy_server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {n}")
    log = busy_server.log.read_text()
    assert '"status":503' in log  # the query log line is still written
    assert "at capacity" not in log  # but no warning per refusal
