"""A linked-data crawler over the running server: start from the VoID description, follow every
IRI of the ``id/`` space found in what is served, and check that each dereferences (Accept
header, 303, document) to RDF about itself in Turtle, JSON-LD, RDF/XML and N-Triples.
"""

from __future__ import annotations

from collections import deque

import pyoxigraph as ox
import requests

BASE = "https://w3id.org/aifactories/"
ID_SPACE = BASE + "id/"
FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}
#: Far above the graph's size; a bound so that a link loop cannot make the test run forever.
MAX_IRIS = 5_000


def iris_in(found: list[ox.Triple]) -> set[str]:
    return {
        term.value
        for t in found
        for term in (t.subject, t.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(ID_SPACE)
    }


def test_every_iri_reachable_from_the_void_dereferences_in_every_format(
    bundled_server, record_property
) -> None:
    session = requests.Session()
    void = session.get(
        bundled_server.url + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=30
    )
    assert void.status_code == 200
    start = iris_in([q.triple for q in ox.parse(void.content, format=ox.RdfFormat.TURTLE)])
    assert start, "the VoID names no resource of the id/ space (void:exampleResource)"
    queue, seen, failures = deque(sorted(start)), set(start), []
    while queue and len(seen) <= MAX_IRIS:
        iri = queue.popleft()
        url = bundled_server.url + "/" + iri[len(BASE) :]
        for media_type, fmt in FORMATS.items():
            response = session.get(url, headers={"Accept": media_type}, timeout=30)
            if response.status_code != 200 or not response.history:
                failures.append(f"{iri} ({media_type}): {response.status_code}")
                continue
            found = [q.triple for q in ox.parse(response.content, format=fmt)]
            if iri not in {t.subject.value for t in found}:
                failures.append(f"{iri} ({media_type}): not a subject of its own document")
            if fmt == ox.RdfFormat.N_TRIPLES:
                for new in sorted(iris_in(found) - seen):
                    seen.add(new)
                    queue.append(new)
    session.close()
    record_property("iris_crawled", len(seen))
    print(f"\ncrawled {len(seen)} IRIs x {len(FORMATS)} formats")
    assert not failures, f"{len(failures)} failures, e.g. {failures[:5]}"
    assert len(seen) < MAX_IRIS
    assert len(seen) > 100  # the 19 factories, 13 antennas and their machines, places, sources...
