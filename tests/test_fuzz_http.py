"""Property-based fuzzing of the real server (``aifactories serve`` on the bundled graph):
mutated example queries, odd Accept headers and q-values, broken percent-encoding and UTF-8,
wrong content types, repeated parameters, hostile paths on the resource routes.

The properties: no 5xx other than 503 (a timeout is an honest answer), the server stays alive,
and the data it serves is the same afterwards.  The requests go out raw (``http.client``), so
what the server gets is exactly what was generated, not what a client library would tidy up.
A summary of requests and statuses is printed at the end (``pytest -s`` shows it).
"""

from __future__ import annotations

import http.client
import string
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LiveServer, start_server, stop_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [p.read_text() for p in sorted((ROOT / "queries").glob("*.rq"))]
EXAMPLES_PER_TEST = 400
FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: Statuses a hostile request may get: anything but a 5xx other than 503.
ALLOWED_5XX = {503}

_TEXT = st.characters(exclude_categories=("Cs",))
FRAGMENTS = st.one_of(
    st.sampled_from(
        [
            "{",
            "}",
            "{" * 50,
            "(",
            ")",
            '"',
            "'''",
            "#",
            "<",
            ">",
            "\\u0000",
            "\\",
            "?x",
            "$y",
            ".",
            ";",
            "UNION",
            "OPTIONAL {",
            "MINUS",
            "GRAPH ?g",
            "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }",
            "SERVICE SILENT ?svc { }",
            "FROM <http://127.0.0.1:9/remote>",
            "LOAD <http://127.0.0.1:9/>",
            "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
            "DELETE WHERE { ?s ?p ?o }",
            "CLEAR ALL",
            'FILTER(REGEX(STR(?s), "(a+)+$"))',
            "LIMIT 99999999999999999999999",
            "OFFSET -1",
            "BIND(1/0 AS ?z)",
            "VALUES ?v { 1 2 3 }",
            "PREFIX : <http://example.org/>",
            "BASE <file:///etc/passwd>",
            "ORDER BY DESC(?nonexistent)",
            "GROUP BY ?x HAVING (COUNT(*) > 1)",
            "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }",
            "\u00e9\u4e2d\U0001f600",
            "\x00",
        ]
    ),
    st.text(_TEXT, max_size=8),
)

ACCEPT = st.one_of(
    st.sampled_from(
        [
            "",
            "*/*",
            "text/html",
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
            "text/turtle",
            "application/ld+json",
            "application/rdf+xml",
            "application/n-triples",
            "application/json;q=0.9, text/html;q=1.1",
            "text/turtle;q=0, */*;q=0",
            "text/*;q=abc",
            "*/*;q=-1",
            "application/sparql-results+json;q=0.000001, text/csv;q=0.0000001",
            ";;;,,,",
            "text/html;level=1;q=0.5, */*;q=0.1",
            "image/png",
            "application/xml, application/xhtml+xml",
            "a" * 2000,
        ]
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["text", "application", "*", "x", ""]),
            st.sampled_from(["html", "turtle", "*", "sparql-results+json", "ld+json", "?"]),
            st.one_of(st.none(), st.floats(-2, 3), st.text(string.printable[:62], max_size=4)),
        ),
        max_size=5,
    ).map(
        lambda items: ", ".join(f"{t}/{s}" + ("" if q is None else f";q={q}") for t, s, q in items)
    ),
)

CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/sparql-query",
        "application/sparql-query; charset=latin-1",
        "application/sparql-update",
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=utf-16",
        "",
        "garbage",
    ]
)


@st.composite
def mutated_queries(draw: st.DrawFn) -> str:
    """A real example query with a few deletions, duplications, insertions and truncations."""
    text = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(0, 5))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 60)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate", "replace"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(1, 20)) + text[j:]
        elif op == "insert":
            text = text[:i] + draw(FRAGMENTS) + text[i:]
        elif op == "truncate":
            text = text[:i]
        else:
            text = text[:i] + draw(st.text(_TEXT, max_size=6)) + text[j:]
    return text


def _escape_soup() -> st.SearchStrategy[str]:
    """Query strings with broken percent-escapes and escapes of bytes that are not UTF-8."""
    piece = st.one_of(
        st.binary(max_size=6).map(lambda b: "".join(f"%{x:02X}" for x in b)),
        st.sampled_from(["%", "%G", "%4", "%%", "+", "&", "=", ";", "query=", "format=", "%00"]),
        st.sampled_from(["%C3%28", "%ED%A0%80", "%F8%88%80%80%80", "%FF%FE", "%C0%AF"]),
        st.text(string.ascii_letters + string.digits + "-._~", max_size=6),
    )
    return st.lists(piece, max_size=12).map("".join)


class Tally:
    """Requests sent and statuses seen, for the summary."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()

    def __str__(self) -> str:
        total = sum(self.statuses.values())
        seen = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return f"{total} requests fuzzed; statuses {seen}"


@pytest.fixture(scope="module")
def server(cache_dir: Path) -> Iterator[LiveServer]:
    """The production server on the bundled graph, with a short timeout for runaway mutants."""
    live = start_server("--query-timeout", "2", cache=cache_dir)
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    counts = Tally()
    yield counts
    print(f"\nfuzzing: {counts}")


def engine_quads(server: LiveServer) -> int:
    """Quads the engine holds, counted by a query no cache has seen (``/readyz`` reports the
    snapshot; this asks the engine itself)."""
    nonce = time.monotonic_ns()
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({nonce} > 0) }}"
    response = server.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    return int(response.text.split()[1])


@pytest.fixture(scope="module")
def before(server: LiveServer) -> dict[str, object]:
    return {**server.get("/readyz").json(), "engineQuads": engine_quads(server)}


def send(
    server: LiveServer,
    tally: Tally,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None = None,
) -> int:
    """One raw request; returns the status after checking it is not a 5xx other than 503."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value.encode("utf-8"))
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        response.read()
        status = response.status
    finally:
        conn.close()
    tally.statuses[status] += 1
    assert status < 500 or status in ALLOWED_5XX, f"{method} {target[:200]} -> {status}"
    return status


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def test_records_the_data_state(before: dict[str, object]) -> None:
    assert before["ready"] is True and before["triples"] > 0


@FUZZ
@given(
    query=mutated_queries(),
    accept=ACCEPT,
    transport=st.sampled_from(["get", "form", "direct"]),
    extra=st.lists(
        st.tuples(
            st.sampled_from(["query", "format", "default-graph-uri", "named-graph-uri", "x"]),
            st.text(_TEXT, max_size=12),
        ),
        max_size=3,
    ),
)
def test_mutated_queries_never_break_the_server(
    server: LiveServer,
    tally: Tally,
    query: str,
    accept: str,
    transport: str,
    extra: list[tuple[str, str]],
) -> None:
    params = "&".join(f"{k}={_quote(v)}" for k, v in extra)
    headers = {"Accept": accept}
    if transport == "get":
        target = f"/sparql?query={_quote(query)}" + (f"&{params}" if params else "")
        send(server, tally, "GET", target, headers)
    elif transport == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = f"query={_quote(query)}" + (f"&{params}" if params else "")
        send(server, tally, "POST", "/sparql", headers, body.encode("ascii"))
    else:
        headers["Content-Type"] = "application/sparql-query"
        target = "/sparql" + (f"?{params}" if params else "")
        send(server, tally, "POST", target, headers, query.encode("utf-8"))


@FUZZ
@given(soup=_escape_soup(), prefix=st.sampled_from(["", "query=", "query=ASK%7B%7D&"]))
def test_broken_percent_encoding_is_a_client_error(
    server: LiveServer, tally: Tally, soup: str, prefix: str
) -> None:
    status = send(server, tally, "GET", f"/sparql?{prefix}{soup}", {"Accept": "*/*"})
    assert status != 503


@FUZZ
@given(body=st.binary(max_size=300), content_type=CONTENT_TYPES, accept=ACCEPT)
def test_odd_bodies_and_content_types_are_client_errors(
    server: LiveServer, tally: Tally, body: bytes, content_type: str, accept: str
) -> None:
    headers = {"Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    send(server, tally, "POST", "/sparql", headers, body)


PATH_PREFIXES = [
    "/",
    "/id/",
    "/id/factory/",
    "/id/country/",
    "/id/factory/1healthai",
    "/id/country/fi",
    "/ontology",
    "/ontology/",
    "/shapes",
    "/dataset",
    "/.well-known/void",
    "/catalog",
    "/download/",
    "/download/aifactories.ttl",
    "/queries",
    "/factories",
    "/countries",
]
PATH_PIECES = st.one_of(
    st.sampled_from(
        [
            "..",
            "../",
            "%2e%2e",
            "%2e%2e%2f",
            "%2F",
            "..%2f..%2f..%2fetc%2fpasswd",
            "%252e%252e",
            "%00",
            "/",
            "//",
            ".ttl",
            ".rdf",
            ".owl",
            ".jsonld",
            ".nt",
            ".html",
            ".xyz",
            ".",
            "0.1.0",
            "1healthai",
            "aifactories.nt.gz",
            "%C3%28",
            "%FF",
            "?format=turtle",
            "?format=%FF",
            "?lang=fr",
            ";jsessionid=1",
            "#frag",
        ]
    ),
    st.text(_TEXT, max_size=10).map(lambda t: urllib.parse.quote(t, safe="/.")),
)


@FUZZ
@given(
    prefix=st.sampled_from(PATH_PREFIXES),
    pieces=st.lists(PATH_PIECES, max_size=4),
    method=st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE"]),
    accept=ACCEPT,
    language=st.sampled_from(["", "fr", "en-GB,en;q=0.8", "*", "xx;q=abc", "\u00e9"]),
)
def test_resource_routes_never_break(
    server: LiveServer,
    tally: Tally,
    prefix: str,
    pieces: list[str],
    method: str,
    accept: str,
    language: str,
) -> None:
    target = prefix + "".join(pieces)
    if not target.startswith("/"):
        target = "/" + target
    headers = {"Accept": accept, "Accept-Language": language}
    send(server, tally, method, target.replace("#", "%23"), headers)


def test_server_alive_and_data_unchanged(
    server: LiveServer, tally: Tally, before: dict[str, object]
) -> None:
    """Runs last in this module: after every fuzzed request, the same server, the same data."""
    assert server.process.poll() is None
    assert server.get("/healthz").status_code == 200
    after = server.get("/readyz").json()
    assert after["ready"] is True
    assert (after["dataVersion"], after["triples"]) == (before["dataVersion"], before["triples"])
    assert engine_quads(server) == before["engineQuads"] == before["triples"]
    assert sum(tally.statuses.values()) >= 4 * EXAMPLES_PER_TEST
