"""The embedded engine's supervisor: a killed engine comes back on the same port with the same
data, and never answers queries before it holds the data again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifactories.engine import EmbeddedEngine
from aifactories.store import SparqlStore

QUADS = (
    "<http://example.org/s{n}> <http://example.org/p> <http://example.org/o{n}> "
    "<http://example.org/g> .\n"
)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
TRIPLES = 200


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EmbeddedEngine]:
    data = tmp_path / "data.nq"
    data.write_text("".join(QUADS.format(n=n) for n in range(TRIPLES)))
    started = EmbeddedEngine.start(data, timeout=5, expected_triples=TRIPLES)
    yield started
    started.stop()


def _count(store: SparqlStore) -> int:
    response = store.execute(COUNT, "text/tab-separated-values")
    lines = response.read().splitlines()
    response.close()
    return int(lines[1].split(b"^^")[0].strip(b'"'))


def test_killed_engine_is_restarted_with_its_data(engine: EmbeddedEngine) -> None:
    store = SparqlStore(engine.query_url, timeout=5, ready=engine.is_ready)
    old = engine.current_pid()
    assert _count(store) == TRIPLES
    engine.kill_runaway(old)
    started = time.monotonic()
    assert _count(store) == TRIPLES  # waits for the fresh engine, never sees it empty
    print(f"\nanswered {time.monotonic() - started:.2f} s after the kill")
    assert engine.current_pid() not in (None, old)
    assert engine.restarts == 1
    store.close()


def test_a_replaced_engine_is_not_killed_again(engine: EmbeddedEngine) -> None:
    old = engine.current_pid()
    engine.kill_runaway(old)
    deadline = time.monotonic() + 10
    while engine.current_pid() in (None, old) and time.monotonic() < deadline:
        time.sleep(0.05)
    fresh = engine.current_pid()
    engine.kill_runaway(old)  # a late overrun on the engine that is already gone
    time.sleep(0.5)
    assert engine.current_pid() == fresh
    assert engine.alive()


def test_stopped_engine_is_not_restarted(engine: EmbeddedEngine) -> None:
    engine.stop()
    time.sleep(0.5)
    assert not engine.alive()
    assert engine.restarts == 0
