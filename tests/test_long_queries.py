"""Long queries: the shared engine stops every query at a short timeout (so that its per-query
timeout threads stay few), and a query it stopped gets the rest of ``query_timeout`` in an
engine of its own, which is killed when its time is up."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conftest import LiveServer, server_workers, start_server, stop_server

pytestmark = pytest.mark.slow

TIMEOUT = 12.0
LONG_ANSWER = 9_534_841
#: A three-way cross join: far more than any timeout.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?a ?b ?c . ?d ?e ?f }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    cache = tmp_path_factory.mktemp("long")
    live = start_server("--workers", "1", "--query-timeout", str(TIMEOUT), cache=cache)
    deadline = time.monotonic() + 60
    while not list(cache.glob("snapshots/*/oxigraph")) and time.monotonic() < deadline:
        time.sleep(0.1)  # the on-disk copy for long queries is built after start-up
    yield live
    stop_server(live)


def long_query() -> str:
    """About 9.5 million solutions on the bundled graph: a few seconds, more than the short
    timeout; never the same text twice, so that no response cache answers it."""
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o . ?a ?p ?c }} LIMIT {time.time_ns()}"


def ask(server: LiveServer, query: str) -> requests.Response:
    return requests.post(
        server.url + "/sparql", data={"query": query}, headers={"Accept": "text/csv"}, timeout=60
    )


def isolated_engines(server: LiveServer) -> list[int]:
    """The read-only engines the worker started for long queries (its children)."""
    found = []
    for worker in server_workers(server.process.pid):
        for task in Path(f"/proc/{worker}/task").iterdir():
            children = (task / "children").read_text().split()
            found += [int(c) for c in children if b"serve-read-only" in _cmdline(int(c))]
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_query_longer_than_the_short_timeout_is_answered(server: LiveServer) -> None:
    started = time.monotonic()
    response = ask(server, long_query())
    assert response.status_code == 200, response.text
    assert int(response.text.split()[1]) == LONG_ANSWER
    assert time.monotonic() - started > 1.0  # it did outlive the shared engine's timeout
    assert "running it alone" in server.log.read_text()
    assert isolated_engines(server) == []  # its engine is gone with it


def test_a_query_over_the_timeout_is_stopped_and_its_engine_killed(server: LiveServer) -> None:
    started = time.monotonic()
    response = ask(server, ENDLESS)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert f"{TIMEOUT:g} s time limit" in response.text
    assert elapsed < TIMEOUT + 4
    assert isolated_engines(server) == []


def test_small_queries_are_served_while_long_ones_run(server: LiveServer) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        long = pool.submit(ask, server, long_query())
        time.sleep(1.5)  # the long query now runs in its own engine
        quick = [ask(server, f"ASK {{ ?s ?p ?o FILTER({n} > 0) }}") for n in range(5)]
        assert long.result().status_code == 200
    assert all(r.status_code == 200 for r in quick)


def test_long_queries_beyond_the_workers_slots_get_503_at_once(server: LiveServer) -> None:
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: ask(server, long_query()), range(3)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200, 200, 503], [r.text[:200] for r in answers]
    refused = next(r for r in answers if r.status_code == 503)
    assert "busy" in refused.text and "Retry-After" in refused.headers
