"""The production server over real HTTP on loopback: start-up, health, readiness, landing."""

from __future__ import annotations

import re

from conftest import LiveServer


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
