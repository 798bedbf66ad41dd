"""The endpoint never reaches out: a loopback listener must see no request for SERVICE, FROM,
FROM NAMED, dataset parameters, LOAD or JSON-LD output, whatever the endpoint answers."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
import requests

from aifactories.errors import ForbiddenQuery
from aifactories.sparql_check import analyse
from conftest import LiveServer


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str]

    def _record(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        body = b"<http://e/s> <http://e/p> <http://e/o> .\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _record

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP server on a free loopback port that records every request it gets."""
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _query(server: LiveServer, query: str, **params: str) -> requests.Response:
    return server.get("/sparql", params={"query": query, **params})


def test_service_is_refused(live_server: LiveServer, listener) -> None:
    url, seen = listener
    response = _query(live_server, f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}")
    assert response.status_code == 400
    assert "SERVICE" in response.text
    assert seen == []


def test_service_silent_nested_in_optional_is_refused(live_server: LiveServer, listener) -> None:
    url, seen = listener
    query = (
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { { SELECT ?x WHERE { "
        f"SERVICE SILENT <{url}/sparql> {{ ?x ?y ?z }} }} }} }} }}"
    )
    assert _query(live_server, query).status_code == 400
    assert seen == []


def test_service_by_prefixed_name_is_refused(live_server: LiveServer, listener) -> None:
    url, seen = listener
    query = f"PREFIX r: <{url}/> SELECT * WHERE {{ sErViCe r:sparql {{ ?s ?p ?o }} }}"
    assert _query(live_server, query).status_code == 400
    assert seen == []


def test_from_is_local_only(live_server: LiveServer, listener) -> None:
    url, seen = listener
    response = _query(live_server, f"SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}")
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []
    assert seen == []


def test_from_named_is_local_only(live_server: LiveServer, listener) -> None:
    url, seen = listener
    query = f"SELECT * FROM NAMED <{url}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert _query(live_server, query).json()["results"]["bindings"] == []
    assert seen == []


def test_dataset_parameters_are_local_only(live_server: LiveServer, listener) -> None:
    url, seen = listener
    response = _query(
        live_server,
        "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
        **{"default-graph-uri": f"{url}/default.ttl", "named-graph-uri": f"{url}/named.ttl"},
    )
    assert response.json()["results"]["bindings"] == []
    assert seen == []


def test_load_is_refused(live_server: LiveServer, listener) -> None:
    url, seen = listener
    for request in (
        {"params": {"query": f"LOAD <{url}/data.ttl>"}},
        {"params": {"update": f"LOAD <{url}/data.ttl>"}},
    ):
        assert live_server.get("/sparql", **request).status_code == 400
    response = requests.post(
        live_server.url + "/sparql",
        data=f"LOAD <{url}/data.ttl>".encode(),
        headers={"Content-Type": "application/sparql-update"},
        timeout=30,
    )
    assert response.status_code == 400
    assert seen == []


def test_jsonld_output_fetches_no_context(live_server: LiveServer, listener) -> None:
    url, seen = listener
    query = f"CONSTRUCT {{ <{url}/s> <{url}/p> <{url}/o> }} WHERE {{}}"
    response = _query(live_server, query, format="jsonld")
    assert response.status_code == 200
    assert f"{url}/s" in response.text
    assert seen == []


def test_listener_does_record_requests(listener) -> None:
    """The control: the listener would have seen a request, had the endpoint sent one."""
    url, seen = listener
    before = len(seen)
    requests.get(url + "/control", timeout=5)
    assert seen[before:] == ["GET /control"]


def test_allow_listed_service_passes_the_check() -> None:
    allowed = "http://127.0.0.1:9/sparql"
    query = f"SELECT * WHERE {{ SERVICE <{allowed}> {{ ?s ?p ?o }} }}"
    assert analyse(query, (allowed,)).services == (allowed,)
    with pytest.raises(ForbiddenQuery):
        analyse(query.replace(allowed, "http://127.0.0.1:9/other"), (allowed,))


def test_service_inside_a_string_is_not_a_call() -> None:
    assert analyse('SELECT * WHERE { ?s ?p "SERVICE <http://x/>" }').services == ()
