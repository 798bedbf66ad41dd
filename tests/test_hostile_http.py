"""Hostile requests against the real server: deep nesting, huge UNIONs, oversized bodies, very
long URLs, path traversal and regular expressions built to backtrack.  Each gets a clear 4xx
(or 503 from the timeout), never a 500, never a file from outside, and the server keeps
answering."""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conftest import TINY, LiveServer, start_server, stop_server

TIMEOUT = 2.0
#: How long past the query timeout a stopped query may take to answer.
TIMEOUT_SLACK = 8.0
FIVE_MB = 5 * 1024 * 1024
QUICK = "ASK { ?s ?p ?o }"
DIRECT = {"Content-Type": "application/sparql-query"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        "--data", str(TINY), "--query-timeout", str(TIMEOUT), cache=tmp_path_factory.mktemp("h")
    )
    yield live
    stop_server(live)


def raw(
    server: LiveServer, method: str, target: str, body: bytes | None = None
) -> tuple[int, bytes]:
    """Send the target exactly as written (no client-side normalisation of ``..`` or escapes)."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(method, target, body=body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post(server: LiveServer, query: str) -> requests.Response:
    return requests.post(server.url + "/sparql", data=query.encode(), headers=DIRECT, timeout=60)


def still_serving(server: LiveServer) -> bool:
    """The engine answers a query never asked before (a cached answer would prove nothing)."""
    fresh = f"ASK {{ ?s ?p ?o FILTER({time.monotonic_ns()} > 0) }}"
    response = requests.get(server.url + "/sparql", params={"query": fresh}, timeout=30)
    return response.status_code == 200 and server.process.poll() is None


@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_deeply_nested_groups(server: LiveServer, depth: int) -> None:
    query = "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth
    response = post(server, query)
    assert response.status_code in (200, 400, 503), response.text[:300]
    assert still_serving(server)


def test_deeply_nested_expression(server: LiveServer) -> None:
    query = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5_000 + "1" + ")" * 5_000 + ") }"
    response = post(server, query)
    assert response.status_code in (200, 400, 503), response.text[:300]
    assert still_serving(server)


def test_unbalanced_braces(server: LiveServer) -> None:
    response = post(server, "SELECT * WHERE " + "{" * 20_000)
    assert response.status_code == 400
    assert still_serving(server)


def union(branches: int) -> str:
    return "SELECT * WHERE { " + " UNION ".join(f"{{ ?s ?p {i} }}" for i in range(branches)) + " }"


def test_huge_union_is_refused_before_the_engine(server: LiveServer) -> None:
    """2,000 chained UNIONs overflow the engine's stack; the lexer refuses them first."""
    response = post(server, union(5_000))
    assert response.status_code == 400
    assert "operators" in response.text
    assert still_serving(server)


def test_large_union_runs(server: LiveServer) -> None:
    assert post(server, union(300)).status_code == 200


@pytest.mark.parametrize(
    "chain",
    [
        " ".join(f"MINUS {{ ?s ?p {i} }}" for i in range(1_000)),
        " ".join(f"BIND({i} AS ?b{i})" for i in range(1_000)),
        "FILTER(" + " || ".join(f"?o = {i}" for i in range(2_000)) + ")",
    ],
    ids=["minus", "bind", "or"],
)
def test_long_operator_chains_are_refused(server: LiveServer, chain: str) -> None:
    response = post(server, "SELECT * WHERE { ?s ?p ?o " + chain + " }")
    assert response.status_code == 400
    assert still_serving(server)


@pytest.mark.parametrize(
    "content_type", ["application/sparql-query", "application/x-www-form-urlencoded"]
)
def test_five_megabyte_body_is_413(server: LiveServer, content_type: str) -> None:
    body = b"query=" + b"#" * FIVE_MB if "form" in content_type else b"#" * FIVE_MB
    response = requests.post(
        server.url + "/sparql", data=body, headers={"Content-Type": content_type}, timeout=60
    )
    assert response.status_code == 413
    assert still_serving(server)


def test_five_megabyte_chunked_body_is_413(server: LiveServer) -> None:
    chunks = (b"#" * 65536 for _ in range(FIVE_MB // 65536))
    response = requests.post(server.url + "/sparql", data=chunks, headers=DIRECT, timeout=60)
    assert response.status_code == 413
    assert still_serving(server)


def test_small_chunked_query_still_runs(server: LiveServer) -> None:
    """The twin of the 413: a chunked body under the limit is read whole and answered."""
    chunks = (part.encode() for part in ("ASK ", "{ ?s ?p ?o }"))
    response = requests.post(server.url + "/sparql", data=chunks, headers=DIRECT, timeout=60)
    assert response.status_code == 200
    assert response.json()["boolean"] is True


def test_a_long_get_query_is_answered(server: LiveServer) -> None:
    """20 kB in the URL is a long but legitimate query (a big VALUES block, say)."""
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "x" * 20_000
    status, _ = raw(server, "GET", "/sparql?query=" + urllib.parse.quote(query))
    assert status == 200


def test_a_request_head_over_64_kb_is_refused(server: LiveServer) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 200_000
    status, _ = raw(server, "GET", "/sparql?query=" + urllib.parse.quote(query))
    assert status in (414, 431)  # the server's limit on the request head
    assert still_serving(server)


TRAVERSALS = [
    "/download/../../../../etc/passwd",
    "/download/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/download/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/download/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/download/..%5c..%5cpyproject.toml",
    "/download/%252e%252e%252fpyproject.toml",
    "/download/manifest.json",
    "/download/..%2fmanifest.json",
    "/download/%00aifactories.ttl",
    "/id/../../etc/passwd",
    "/id/factory/..%2f..%2f..%2fetc%2fpasswd",
    "/id/%2e%2e/%2e%2e/pyproject.toml",
    "/id/factory/%2e%2e%2f%2e%2e%2fpyproject",
    "/ontology/..%2f..%2fpyproject.toml",
    "/ontology/%2e%2e",
    "//etc/passwd",
    "/static/../../pyproject.toml",
    "/static/..%2f..%2fpyproject.toml",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_path_traversal_never_reaches_a_file(server: LiveServer, target: str) -> None:
    status, body = raw(server, "GET", target)
    assert status in (400, 404), (status, body[:200])
    assert b"root:" not in body and b"[build-system]" not in body and b'"sha256"' not in body


def test_catastrophic_regex_is_stopped_by_the_timeout(server: LiveServer) -> None:
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
        'FILTER(REGEX(CONCAT(STR(?c), STR(?f), STR(?i), "aaaaaaaaaaaaaaaaaaaaaaaaaaaa!"), '
        '"^(a+)+$|^(a|aa)+$|^(.*a){12}$")) }'
    )
    started = time.monotonic()
    response = post(server, query)
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text[:300]
    assert "Retry-After" in response.headers
    assert elapsed < TIMEOUT + TIMEOUT_SLACK
    quick_started = time.monotonic()
    assert still_serving(server)
    assert time.monotonic() - quick_started < TIMEOUT


def test_metrics_count_the_timeout(server: LiveServer) -> None:
    body = requests.get(server.url + "/metrics", timeout=30).text
    line = next(x for x in body.splitlines() if x.startswith("aifactories_query_timeouts_total"))
    assert float(line.split()[-1]) >= 1


def test_no_500_in_the_whole_session(server: LiveServer, tmp_path: Path) -> None:
    """Every hostile request above was answered without a server error."""
    body = requests.get(server.url + "/metrics", timeout=30).text
    errors = [x for x in body.splitlines() if 'status="500"' in x and not x.endswith(" 0.0")]
    assert errors == []
