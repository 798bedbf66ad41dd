"""Optional per-client limits: too many queries at once, or too many query-seconds in a minute,
get 429 with Retry-After from the real server; other clients are not affected."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aifactories.limits import ClientTable, client_key
from conftest import TINY, LiveServer, start_server, stop_server

#: Runs until the (short) query timeout stops it: a triple cross join of the tiny graph.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?c != ?i) }"
QUICK = "ASK { ?s ?p ?o }"


def _serve(tmp_path: Path, settings: str) -> LiveServer:
    config = tmp_path / "limits.toml"
    config.write_text(settings)
    return start_server(
        "--data", str(TINY), "--config", str(config), "--query-timeout", "2", cache=tmp_path
    )


@pytest.fixture
def one_at_a_time(tmp_path: Path) -> Iterator[LiveServer]:
    server = _serve(tmp_path, "client_max_concurrent_queries = 1\n")
    yield server
    stop_server(server)


@pytest.fixture
def one_second_a_minute(tmp_path: Path) -> Iterator[LiveServer]:
    server = _serve(tmp_path, "client_query_seconds_per_minute = 1\n")
    yield server
    stop_server(server)


def _query(server: LiveServer, text: str) -> requests.Response:
    return requests.get(server.url + "/sparql", params={"query": text}, timeout=30)


def test_second_concurrent_query_gets_429(one_at_a_time: LiveServer) -> None:
    slow: list[requests.Response] = []
    runner = threading.Thread(target=lambda: slow.append(_query(one_at_a_time, SLOW)))
    runner.start()
    time.sleep(0.7)
    refused = _query(one_at_a_time, QUICK)
    runner.join(30)
    assert refused.status_code == 429, refused.text
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["X-Request-Id"]
    assert slow[0].status_code == 503  # the slow one ran to its timeout
    assert _query(one_at_a_time, QUICK).status_code == 200  # its slot was given back


def test_spent_time_budget_gets_429_until_the_minute_ends(one_second_a_minute: LiveServer) -> None:
    assert _query(one_second_a_minute, SLOW).status_code == 503  # 2 s charged
    refused = _query(one_second_a_minute, QUICK)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "query time this minute" in refused.text
    # Pages and the service description are not queries: never limited.
    assert one_second_a_minute.get("/sparql").status_code == 200
    assert one_second_a_minute.get("/healthz").status_code == 200


def test_clients_are_counted_apart() -> None:
    table = ClientTable(max_concurrent=1, seconds_per_minute=0)
    alice, bob = client_key("192.0.2.1"), client_key("192.0.2.2")
    assert table.acquire(alice, 0.0) is None
    assert table.acquire(alice, 0.1) is not None
    assert table.acquire(bob, 0.1) is None
    table.release(alice, 0.1, 0.2)
    assert table.acquire(alice, 0.3) is None


def test_budget_resets_after_a_minute() -> None:
    table = ClientTable(max_concurrent=0, seconds_per_minute=5)
    alice = client_key("192.0.2.1")
    assert table.acquire(alice, 0.0) is None
    table.release(alice, 6.0, 6.0)
    refusal = table.acquire(alice, 10.0)
    assert refusal is not None and refusal.retry_after == 50
    assert table.acquire(alice, 61.0) is None


def test_limits_are_off_by_default(live_server: LiveServer) -> None:
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(_query(live_server, QUICK).status_code))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [200] * 8
