"""SIGHUP reloads the data atomically: new data swapped in only if it conforms, old data kept
(and the reason reported) otherwise, and no request ever fails or sees a half-loaded graph."""

from __future__ import annotations

import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conftest import FIXTURES, TINY, LiveServer, server_workers, start_server, stop_server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://example.org/Thing> }"
RELOAD_TIMEOUT = 60.0


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(TINY, folder / "tiny.ttl")
    return folder


@pytest.fixture
def server(data_dir: Path, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server("--data", str(data_dir), cache=tmp_path / "cache")
    yield live
    stop_server(live)


def _count(server: LiveServer) -> int:
    response = server.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    return int(response.text.split()[1])


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + RELOAD_TIMEOUT
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _add_thing(data_dir: Path, name: str) -> None:
    with open(data_dir / "tiny.ttl", "a") as fh:
        fh.write(f'\nex:{name} a ex:Thing ; rdfs:label "{name}"@en .\n')


def test_sighup_swaps_in_new_data(server: LiveServer, data_dir: Path) -> None:
    before = server.get("/readyz").json()["dataVersion"]
    _add_thing(data_dir, "delta")
    server.process.send_signal(signal.SIGHUP)
    _wait_for(lambda: server.get("/readyz").json()["dataVersion"] != before, "the new version")
    _wait_for(lambda: _count(server) == 4, "the new data in every worker")


def test_bad_data_keeps_the_old_graph_and_says_why(server: LiveServer, data_dir: Path) -> None:
    before = server.get("/readyz").json()["dataVersion"]
    shutil.copy(FIXTURES / "syntax-error.ttl", data_dir / "broken.ttl")
    old_workers = set(server_workers(server.process.pid))
    server.process.send_signal(signal.SIGHUP)
    _wait_for(
        lambda: not old_workers & set(server_workers(server.process.pid)),
        "every worker replaced",
    )
    body = server.get("/readyz").json()
    assert body["dataVersion"] == before
    assert "broken.ttl:3:" in body["reloadError"]
    assert _count(server) == 3


def test_queries_during_reloads_never_fail(server: LiveServer, data_dir: Path) -> None:
    seen: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        session = requests.Session()  # keep-alive, no retries: every failure counts
        while not stop.is_set():
            try:
                response = session.get(
                    server.url + "/sparql",
                    params={"query": COUNT},
                    headers={"Accept": "text/csv"},
                    timeout=30,
                )
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:100]}")
                else:
                    seen.append(int(response.text.split()[1]))
            except requests.RequestException as exc:
                failures.append(repr(exc))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i, name in enumerate(("epsilon", "zeta")):
            _add_thing(data_dir, name)
            server.process.send_signal(signal.SIGHUP)
            _wait_for(lambda n=4 + i: _count(server) == n, f"{4 + i} things")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert failures == []
    assert set(seen) <= {3, 4, 5} and len(seen) > 20
