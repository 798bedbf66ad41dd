"""The embedded engine's own HTTP/1.1 client (:mod:`aifactories.wire`): the same bytes and the
same errors as :mod:`http.client`, one keep-alive connection per thread, and a stream cut short
drops its connection instead of draining it."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifactories import query
from aifactories.engine import EmbeddedEngine
from aifactories.errors import QuerySyntaxError, StoreUnavailable
from aifactories.graph import KnowledgeGraph
from aifactories.sparql_check import analyse
from aifactories.store import EngineOverrun, SparqlStore
from aifactories.wire import LoopbackConnection, LoopbackResponse, LoopbackStore, chunked_pieces

TSV = "text/tab-separated-values"
NTRIPLES = "application/n-triples"
BOOLEAN = "application/sparql-results+json"
#: 10,000 rows: a streamed body of many chunks.
MANY_ROWS = "SELECT ?i WHERE { VALUES ?a { %s } VALUES ?b { %s } BIND(?a * 1000 + ?b AS ?i) }" % (
    (" ".join(str(n) for n in range(100)),) * 2
)
QUERIES = [
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", TSV),
    ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 0", TSV),
    (MANY_ROWS, TSV),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", NTRIPLES),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . FILTER(false) }", NTRIPLES),
    ("DESCRIBE ?s WHERE { ?s ?p ?o } LIMIT 2", NTRIPLES),
    ("ASK { ?s ?p ?o }", BOOLEAN),
    ("ASK { <http://example.org/none> ?p ?o }", BOOLEAN),
]


@pytest.fixture
def stores(graph: KnowledgeGraph) -> Iterator[tuple[SparqlStore, LoopbackStore]]:
    """http.client and the loopback client, both on the shared test graph's engine."""
    standard = SparqlStore(graph.query_url, timeout=30, direct_post=True)
    loopback = LoopbackStore(graph.query_url, timeout=30, direct_post=True)
    yield standard, loopback
    standard.close()
    loopback.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EmbeddedEngine]:
    """An engine of our own, to kill."""
    data = tmp_path / "data.nq"
    data.write_text(
        "<http://example.org/s> <http://example.org/p> <http://example.org/o> "
        "<http://example.org/g> .\n"
    )
    started = EmbeddedEngine.start(data, timeout=30, expected_triples=1)
    yield started
    started.stop()


def _lines(store: SparqlStore, text: str, accept: str) -> tuple[str, list[bytes]]:
    response = store.execute(text, accept)
    lines = []
    while line := response.readline():
        lines.append(line)
    response.close()
    return response.content_type, lines


def test_the_embedded_engine_gets_the_loopback_client(graph: KnowledgeGraph) -> None:
    assert isinstance(graph.store(), LoopbackStore)


def test_external_stores_keep_http_client() -> None:
    with pytest.raises(ValueError, match="plain http"):
        LoopbackStore("https://example.org/sparql", timeout=1)


@pytest.mark.parametrize(("text", "accept"), QUERIES)
def test_bodies_are_byte_for_byte_those_of_http_client(
    stores: tuple[SparqlStore, LoopbackStore], text: str, accept: str
) -> None:
    standard, loopback = stores
    for read in (lambda r: r.read(), lambda r: r.readline() + r.read()):
        expected, got = standard.execute(text, accept), loopback.execute(text, accept)
        assert got.content_type == expected.content_type
        assert read(got) == read(expected)
        expected.close()
        got.close()
    assert _lines(loopback, text, accept) == _lines(standard, text, accept)


def test_query_results_are_those_of_http_client(
    stores: tuple[SparqlStore, LoopbackStore],
) -> None:
    standard, loopback = stores
    for text, _ in QUERIES:
        info = analyse(text)
        assert query.run(loopback, info, text, max_rows=100_000) == query.run(
            standard, info, text, max_rows=100_000
        )


def test_many_rows_span_several_chunks(stores: tuple[SparqlStore, LoopbackStore]) -> None:
    _, loopback = stores
    _, lines = _lines(loopback, MANY_ROWS, TSV)
    assert len(lines) == 10_001 and all(line.endswith(b"\n") for line in lines)
    response = loopback.execute(MANY_ROWS, TSV)
    pieces = list(response._pieces)
    response.close(reusable=False)
    assert len(pieces) > 1


class _Idle:
    """A stand-in connection that only records what the response did with it."""

    released: bool | None = None
    closed = False

    def release(self, keep_alive: bool) -> None:
        self.released = keep_alive

    def close(self) -> None:
        self.closed = True


def test_readline_joins_lines_split_across_chunks() -> None:
    body = io.BytesIO(
        b"3\r\nab\n\r\n4\r\ncd\ne\r\n1\r\nf\r\n2;ext=1\r\n\ng\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    connection = _Idle()
    response = LoopbackResponse(connection, chunked_pieces(body), TSV, keep_alive=True)
    assert [response.readline() for _ in range(5)] == [b"ab\n", b"cd\n", b"ef\n", b"g", b""]
    assert connection.released is True and not connection.closed
    assert body.read() == b""  # the whole chunked body and its trailer were consumed


def test_a_chunked_body_broken_off_is_an_error_and_drops_the_connection() -> None:
    connection = _Idle()
    pieces = chunked_pieces(io.BytesIO(b"5\r\nab"))
    response = LoopbackResponse(connection, pieces, TSV, keep_alive=True)
    with pytest.raises(ConnectionResetError):
        response.read()
    assert connection.closed and connection.released is None


def test_keep_alive_connection_is_reused_across_queries(
    stores: tuple[SparqlStore, LoopbackStore],
) -> None:
    _, loopback = stores
    for text, accept in QUERIES:
        _lines(loopback, text, accept)
        connection = loopback._local.conn
        assert isinstance(connection, LoopbackConnection) and connection.idle
    port = connection._sock.getsockname()[1]
    _lines(loopback, "SELECT * WHERE { ?s ?p ?o }", TSV)
    assert loopback._local.conn is connection and connection._sock.getsockname()[1] == port


def test_truncated_stream_drops_its_connection(stores: tuple[SparqlStore, LoopbackStore]) -> None:
    _, loopback = stores
    _lines(loopback, "ASK {}", BOOLEAN)
    before = loopback._local.conn
    result = query.run(loopback, analyse(MANY_ROWS), MANY_ROWS, max_rows=10)
    assert result.truncated and result.rows == 10
    assert loopback._local.conn is before and not before.idle  # closed, not drained
    assert before._sock.fileno() == -1
    _, lines = _lines(loopback, MANY_ROWS, TSV)  # a fresh connection
    assert len(lines) == 10_001 and loopback._local.conn is not before


def test_syntax_error_carries_the_engine_message(
    stores: tuple[SparqlStore, LoopbackStore],
) -> None:
    standard, loopback = stores
    messages = []
    for store in (standard, loopback):
        with pytest.raises(QuerySyntaxError) as refused:
            store.execute("SELECT * WHERE {", TSV)
        messages.append(refused.value.message)
    assert messages[0] == messages[1] and "1:17" in messages[1]
    assert loopback._local.conn.idle  # the error's body was read: the connection is kept
    assert _lines(loopback, "ASK {}", BOOLEAN)[1] == [b'{"head":{},"boolean":true}']


def test_killed_engine_is_reached_again_on_a_fresh_connection(engine: EmbeddedEngine) -> None:
    store = LoopbackStore(engine.query_url, timeout=5, ready=engine.is_ready, direct_post=True)
    assert len(_lines(store, "SELECT * WHERE { ?s ?p ?o }", TSV)[1]) == 2
    kept = store._local.conn
    engine.kill_runaway(engine.current_pid())
    assert len(_lines(store, "SELECT * WHERE { ?s ?p ?o }", TSV)[1]) == 2
    assert store._local.conn is not kept and engine.restarts == 1
    store.close()


def test_connection_the_engine_gave_up_on_is_not_reused(tmp_path: Path) -> None:
    """Regression: Oxigraph answers a connection idle past its ``--timeout-s`` with an
    unsolicited 500 (EAGAIN) and closes it; that must not pass for the next query's answer."""
    data = tmp_path / "data.nq"
    data.write_text(
        "<http://example.org/s> <http://example.org/p> <http://example.org/o> "
        "<http://example.org/g> .\n"
    )
    impatient = EmbeddedEngine.start(data, timeout=1, expected_triples=1)
    store = LoopbackStore(impatient.query_url, timeout=5, direct_post=True)
    try:
        assert len(_lines(store, "SELECT * WHERE { ?s ?p ?o }", TSV)[1]) == 2
        idle = store._local.conn
        time.sleep(1.6)
        assert len(_lines(store, "SELECT * WHERE { ?s ?p ?o }", TSV)[1]) == 2
        assert store._local.conn is not idle
    finally:
        store.close()
        impatient.stop()


def test_stopped_engine_is_unavailable(engine: EmbeddedEngine) -> None:
    store = LoopbackStore(engine.query_url, timeout=5, direct_post=True)
    engine.stop()
    with pytest.raises(StoreUnavailable):
        store.execute("ASK {}", BOOLEAN)


def test_engine_silent_past_the_timeout_is_an_overrun(engine: EmbeddedEngine) -> None:
    """The engine allows 30 s; the client waits 0.2 s (timeout plus grace) for the head."""
    store = LoopbackStore(engine.query_url, timeout=0.1, grace=0.1, direct_post=True)
    numbers = " ".join(str(n) for n in range(300))
    slow = f"SELECT (COUNT(*) AS ?n) {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers} }} VALUES ?c {{ {numbers} }} }}"
    with pytest.raises(EngineOverrun):
        store.execute(slow, TSV)
    assert getattr(store._local, "conn", None) is None
    engine.kill_runaway(engine.current_pid())  # free the CPU


@pytest.fixture
def stalling_server() -> Iterator[int]:
    """A port whose server answers a head and one chunk, then says nothing more."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        conn, _ = listener.accept()
        accepted.append(conn)
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/tab-separated-values\r\n"
            b"transfer-encoding: chunked\r\n\r\n3\r\n?x\n\r\n"
        )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


def test_stream_stalling_mid_body_is_an_overrun(stalling_server: int) -> None:
    store = LoopbackStore(f"http://127.0.0.1:{stalling_server}/query", timeout=0.2, grace=0)
    text = "SELECT ?x WHERE { ?x ?p ?o }"
    with pytest.raises(EngineOverrun):
        query.run(store, analyse(text), text, max_rows=10)
    assert not store._local.conn.idle
