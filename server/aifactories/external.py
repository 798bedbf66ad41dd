"""Serving from an external SPARQL engine that ``aifactories publish`` filled.

``publish`` writes, besides the snapshot's named graphs, a small metadata graph
(``{base}graph/meta``) holding the data version and each graph's triple count, and writes it
last.  A server started with ``--store`` reads that metadata, so that every replica pointing at
the same store reports the same data version (and so the same ETags), and materialises the
snapshot locally once per version (one CONSTRUCT per graph into the cache directory) for the
things that need the whole graph at hand: dumps, VoID statistics, the catalogue.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyoxigraph as ox

from .config import Settings
from .errors import AIFactoriesError, StoreUnavailable
from .snapshot import DATASET_FILE, META_FILE, Snapshot, write_snapshot
from .store import SparqlStore

DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


class NotPublished(AIFactoriesError):
    """The store answers but holds no data published by ``aifactories publish``."""

    title = "Store not published"


def meta_graph(settings: Settings) -> str:
    return settings.graph_iri("meta")


def meta_triples(snapshot: Snapshot, settings: Settings) -> list[ox.Triple]:
    """The metadata graph ``publish`` writes last: version, build time, per-graph counts."""
    dataset = ox.NamedNode(settings.base_iri + "dataset")
    triples = [
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "hasVersion"), ox.Literal(snapshot.version)),
        ox.Triple(
            dataset,
            ox.NamedNode(DCTERMS + "modified"),
            ox.Literal(snapshot.built_at, datatype=ox.NamedNode(XSD_DATETIME)),
        ),
    ]
    for graph, count in sorted(snapshot.graphs.items()):
        node = ox.NamedNode(graph)
        triples.append(ox.Triple(dataset, ox.NamedNode(VOID + "subset"), node))
        triples.append(
            ox.Triple(
                node,
                ox.NamedNode(VOID + "triples"),
                ox.Literal(str(count), datatype=ox.NamedNode(XSD_INTEGER)),
            )
        )
    return triples


def _select(store: SparqlStore, query: str) -> list[dict[str, str]]:
    response = store.execute(query, "application/sparql-results+json")
    try:
        body = json.loads(response.read())
    except ValueError as exc:
        raise StoreUnavailable(f"the store's answer is not SPARQL JSON: {exc}") from None
    finally:
        response.close()
    return [
        {name: cell["value"] for name, cell in row.items()} for row in body["results"]["bindings"]
    ]


def read_metadata(store: SparqlStore, settings: Settings) -> tuple[str, str, dict[str, int]]:
    """(data version, build time, graph -> count) from the store's metadata graph."""
    meta = meta_graph(settings)
    dataset = settings.base_iri + "dataset"
    head = _select(
        store,
        f"SELECT ?v ?m WHERE {{ GRAPH <{meta}> {{ <{dataset}> <{DCTERMS}hasVersion> ?v ; "
        f"<{DCTERMS}modified> ?m }} }}",
    )
    if len(head) != 1:
        raise NotPublished(
            f"{store.query_url} holds no aifactories metadata graph <{meta}>: "
            "run `aifactories publish` against it first"
        )
    graphs = _select(
        store,
        f"SELECT ?g ?n WHERE {{ GRAPH <{meta}> {{ <{dataset}> <{VOID}subset> ?g . "
        f"?g <{VOID}triples> ?n }} }}",
    )
    return head[0]["v"], head[0]["m"], {row["g"]: int(row["n"]) for row in graphs}


def materialise(store: SparqlStore, settings: Settings) -> Snapshot:
    """The snapshot the store holds, copied into the local cache once per data version."""
    started = time.perf_counter()
    version, built_at, graphs = read_metadata(store, settings)
    target = Path(settings.cache_dir) / "snapshots" / version
    cached = (target / META_FILE).is_file() and (target / DATASET_FILE).is_file()
    if not cached:
        quads: list[ox.Quad] = []
        for graph in sorted(graphs):
            response = store.execute(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                "application/n-triples",
            )
            body = response.read()
            response.close()
            name = ox.NamedNode(graph)
            quads.extend(
                ox.Quad(t.subject, t.predicate, t.object, name)
                for t in (q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
            )
        counts: dict[str, int] = {}
        for quad in quads:
            counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
        if counts != {g: n for g, n in graphs.items() if n}:
            raise StoreUnavailable(
                f"the store's graphs do not match its metadata: {counts} != {graphs}"
            )
        write_snapshot(target, quads, {"graphs": graphs, "built_at": built_at, "files": []})
    return Snapshot(
        version=version,
        base_iri=settings.base_iri,
        files=(),
        graphs=graphs,
        path=target / DATASET_FILE,
        built_at=built_at,
        build_seconds=round(time.perf_counter() - started, 3),
        from_cache=cached,
    )
