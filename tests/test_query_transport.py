"""The engine's transport bodies: a broken-off or cancelled stream never passes as data, even
though whole bodies are no longer parsed just to check them."""

from __future__ import annotations

import pytest

from aifactories import query
from aifactories.errors import QueryTimeout, StoreUnavailable
from aifactories.graph import KnowledgeGraph
from aifactories.sparql_check import analyse
from aifactories.store import CANCELLED_MARKER, Dataset

TSV = b'?s\t?o\n<http://example.org/a>\t"x"\n<http://example.org/b>\t42\n'
NT = b'<http://example.org/a> <http://example.org/p> "x" .\n'


def test_whole_bodies_pass_the_cheap_check() -> None:
    assert query._looks_complete(TSV, graph=False)
    assert query._looks_complete(NT, graph=True)
    assert query._looks_complete(b"", graph=True)


@pytest.mark.parametrize(
    ("body", "graph"),
    [
        (TSV + CANCELLED_MARKER, False),  # the engine's error after the last row
        (TSV[:-12] + CANCELLED_MARKER, False),  # ... or in the middle of one
        (TSV + b"<http://example.org/c>\n", False),  # a row narrower than the header
        (NT + NT[:20] + CANCELLED_MARKER, True),
    ],
)
def test_broken_off_bodies_fail_the_cheap_check(body: bytes, graph: bool) -> None:
    assert not query._looks_complete(body, graph)


def test_broken_off_body_is_an_error_not_data() -> None:
    with pytest.raises(QueryTimeout):
        query._check_parses(TSV[:-12] + CANCELLED_MARKER, graph=False)
    with pytest.raises(StoreUnavailable):
        query._check_parses(TSV[:-12] + b"Internal error", graph=False)


def test_embedded_engine_answers_without_an_explicit_dataset(graph: KnowledgeGraph) -> None:
    """Its default graph is already the union of the snapshot's graphs: naming them all (as we
    do for external stores) gives the same bytes."""
    text = "SELECT ?g ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } ORDER BY ?g ?s ?p ?o"
    store = graph.store()
    assert store.default_dataset is None
    graphs = tuple(sorted(graph.snapshot.graphs))
    implicit = query.run(store, analyse(text), text, max_rows=100_000)
    explicit = query.run(
        store, analyse(text), text, max_rows=100_000, dataset=Dataset(graphs, graphs)
    )
    assert implicit.rows > 0 and implicit.transport == explicit.transport
