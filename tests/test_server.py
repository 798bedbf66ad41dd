"""The production server over real HTTP on loopback: start-up, health, readiness, landing."""

from __future__ import annotations

import multiprocessing
import re
import signal
import time
from pathlib import Path

import pytest

from aifactories.serve import Drain
from conftest import TINY, LiveServer, start_server


def test_banner_prints_the_url(live_server: LiveServer) -> None:
    assert f"on {live_server.url}/" in live_server.banner


def test_healthz_is_alive(live_server: LiveServer) -> None:
    response = live_server.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_count_version_and_load_time(live_server: LiveServer) -> None:
    body = live_server.get("/readyz").json()
    assert body["ready"] is True
    assert body["triples"] == sum(body["graphs"].values()) > 0
    assert re.fullmatch(r"[0-9a-f]{64}", body["dataVersion"])
    assert body["loadSeconds"] >= 0
    assert "https://w3id.org/aifactories/graph/data" in body["graphs"]


def test_landing_page_is_html_with_links(live_server: LiveServer) -> None:
    response = live_server.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    for link in ('href="/sparql"', 'href="/ontology"', 'href="/dataset"'):
        assert link in response.text


def test_served_by_granian_not_the_development_server(live_server: LiveServer) -> None:
    assert live_server.get("/healthz").headers["Server"] == "granian"


def test_unknown_path_is_404(live_server: LiveServer) -> None:
    assert live_server.get("/no/such/page").status_code == 404


def test_sparql_answers_over_http(live_server: LiveServer) -> None:
    response = live_server.get(
        "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { ?s a <http://example.org/Thing> }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "3"


def test_bundled_graph_is_served_by_default(bundled_server: LiveServer) -> None:
    body = bundled_server.get("/readyz").json()
    assert body["ready"] is True
    assert body["graphs"]["https://w3id.org/aifactories/graph/ontology"] > 100


def test_an_old_worker_closes_connections_once_a_reload_begins() -> None:
    """A worker born before the reload answers with ``Connection: close`` (so clients leave
    its keep-alive connections before it stops); one born after it does not."""
    generation = multiprocessing.RawValue("q", 0)

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def headers(drain: Drain) -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []
        drain({}, lambda status, hs, exc_info=None: seen.extend(hs))
        return seen

    old = Drain(generation, app)
    assert ("Connection", "close") not in headers(old)
    generation.value += 1
    young = Drain(generation, app)
    assert ("Connection", "close") in headers(old)
    assert ("Connection", "close") not in headers(young)


@pytest.mark.parametrize("attempt", range(3))
def test_signals_in_quick_succession_stop_the_server(tmp_path: Path, attempt: int) -> None:
    """Ctrl-C twice, or ``timeout`` forwarding a SIGTERM the master also got: the server
    still stops, engine and workers with it (it used to hang about one time in three)."""
    server = start_server("--data", str(TINY), cache=tmp_path)
    children = [
        int(pid)
        for task in Path(f"/proc/{server.process.pid}/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    assert len(children) >= 3  # two workers and the engine
    for sig in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
        server.process.send_signal(sig)
        time.sleep(0.002)  # as separate `kill` commands would, so handlers can overlap
    try:
        assert server.process.wait(15) == 0
    finally:
        if server.process.poll() is None:
            server.process.kill()
    time.sleep(0.5)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
