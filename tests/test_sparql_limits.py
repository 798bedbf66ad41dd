"""Limits over real HTTP: the row cap says so, and a runaway query is really stopped.

A server with a 2 s query timeout and a 3-row cap runs the tiny graph plus the ontology (about
1,400 triples): a three-way cartesian product has ~3e9 rows, far beyond 2 s.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conftest import TINY, LiveServer, start_server, stop_server

TIMEOUT_S = 2
MAX_ROWS = 3
JSON = "application/sparql-results+json"
ALL_TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
RUNAWAY_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_SORT = "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?i LIMIT 1"
SMALL = "SELECT ?s WHERE { ?s a <http://example.org/Thing> }"
TICKS = os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def limited_server(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path
) -> Iterator[LiveServer]:
    config = tmp_path_factory.mktemp("limits") / "limits.toml"
    config.write_text(f"query_timeout = {TIMEOUT_S}\nmax_rows = {MAX_ROWS}\n")
    server = start_server("--data", str(TINY), "--config", str(config), cache=cache_dir)
    yield server
    stop_server(server)


def engine_pid(server: LiveServer) -> int:
    """The live Oxigraph child of the server's master process (not a killed, unreaped one)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if name == "oxigraph" and int(ppid) == server.process.pid and state != "Z":
            return int(entry.name)
    raise AssertionError("no engine process found")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def engine_cpu_over(server: LiveServer, seconds: float) -> float:
    """CPU seconds the engine burns during the next ``seconds`` of wall time."""
    pid = engine_pid(server)
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(engine_pid(server)) - before if engine_pid(server) == pid else 0.0


def run(server: LiveServer, query: str, accept: str = JSON) -> requests.Response:
    return server.get("/sparql", params={"query": query}, headers={"Accept": accept})


def test_row_cap_is_signalled_in_a_header(limited_server: LiveServer) -> None:
    response = run(limited_server, ALL_TRIPLES)
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == MAX_ROWS
    assert response.headers["X-SPARQL-Truncated"] == f"true; max-rows={MAX_ROWS}"
    assert response.headers["Warning"].startswith("199 ")


def test_row_cap_is_noted_in_the_html_table(limited_server: LiveServer) -> None:
    response = run(limited_server, ALL_TRIPLES, "text/html")
    assert "Truncated:" in response.text
    assert f"only the first {MAX_ROWS} rows" in response.text


def test_complete_results_carry_no_truncation_signal(limited_server: LiveServer) -> None:
    response = run(limited_server, SMALL)
    assert len(response.json()["results"]["bindings"]) == 3
    assert "X-SPARQL-Truncated" not in response.headers


def test_runaway_query_gets_503_with_retry_after(limited_server: LiveServer) -> None:
    started = time.monotonic()
    response = run(limited_server, RUNAWAY_COUNT)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "time limit" in response.text
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + 3, elapsed
    print(f"\nrunaway COUNT: 503 after {elapsed:.2f} s")


def test_runaway_query_really_stops(limited_server: LiveServer) -> None:
    engine = engine_pid(limited_server)
    assert run(limited_server, RUNAWAY_COUNT).status_code == 503
    burnt = engine_cpu_over(limited_server, 1.0)
    print(f"\nengine CPU in the second after the 503: {burnt:.2f} s")
    assert burnt < 0.2
    mechanism = "cancelled it" if engine_pid(limited_server) == engine else "was replaced"
    print(f"the engine {mechanism}")


def test_runaway_sort_is_stopped_too(limited_server: LiveServer) -> None:
    """ORDER BY materialises before it checks its deadline; if the engine is still busy
    after the grace period it is killed and restarted (see test_sparql_engine.py)."""
    engine = engine_pid(limited_server)
    started = time.monotonic()
    response = run(limited_server, RUNAWAY_SORT)
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    time.sleep(1.0)  # the supervisor starts a fresh engine, if it had to kill the old one
    burnt = engine_cpu_over(limited_server, 1.0)
    mechanism = "cancelled it" if engine_pid(limited_server) == engine else "was replaced"
    print(
        f"\nrunaway ORDER BY: 503 after {elapsed:.2f} s, the engine {mechanism}, "
        f"engine CPU after: {burnt:.2f} s"
    )
    assert burnt < 0.2
    assert run(limited_server, SMALL).status_code == 200


def test_small_query_is_served_during_a_runaway(limited_server: LiveServer) -> None:
    outcome: dict[str, int] = {}
    runaway = threading.Thread(
        target=lambda: outcome.update(status=run(limited_server, RUNAWAY_COUNT).status_code)
    )
    runaway.start()
    time.sleep(0.5)  # the runaway is now burning the engine's CPU
    latencies = []
    for n in range(3):
        started = time.monotonic()
        response = run(limited_server, SMALL.replace("?s", f"?s{n}"))  # distinct: no cache hit
        latencies.append(time.monotonic() - started)
        assert response.status_code == 200
    runaway.join()
    print(f"\nsmall queries during a runaway: {', '.join(f'{x * 1000:.0f} ms' for x in latencies)}")
    assert outcome["status"] == 503
    assert max(latencies) < 1.0


def test_queries_ride_out_an_engine_restart(limited_server: LiveServer) -> None:
    """Killed for any reason, the engine is restarted by its supervisor, and a query that
    arrives meanwhile waits for it instead of failing."""
    engine = engine_pid(limited_server)
    os.kill(engine, signal.SIGKILL)
    started = time.monotonic()
    response = run(limited_server, SMALL.replace("?s", "?restarted"))
    print(f"\nquery during an engine restart answered in {time.monotonic() - started:.2f} s")
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 3
    assert engine_pid(limited_server) != engine


def _killed_pids(server: LiveServer) -> set[str]:
    return set(re.findall(r"killing query engine pid (\d+)", server.output()))


def test_two_runaways_kill_the_engine_once(limited_server: LiveServer) -> None:
    """Both overrun on the same engine: it is killed (unless it cancelled them itself), but its
    fresh replacement is not."""
    killed_before = _killed_pids(limited_server)
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda n=n: statuses.append(
                run(limited_server, RUNAWAY_SORT.replace("?a", f"?a{n}")).status_code
            )
        )
        for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(1.0)
    assert statuses == [503, 503]
    assert len(_killed_pids(limited_server) - killed_before) <= 1
    assert run(limited_server, SMALL.replace("?s", "?afterTwo")).status_code == 200
