"""Dereferencing ``/id/...`` IRIs on a small graph of edge cases (tests/fixtures/ld/mini.ttl):
303 to the negotiated document, every RDF format about the resource, the HTML page in two
languages, ETags, and a public base that differs from the server's address.

The fixture graph is opened without SHACL (it is about the site, not about the data rules).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from aifactories import create_app
from aifactories.config import load_settings
from aifactories.graph import KnowledgeGraph, open_graph

MINI = Path(__file__).parent / "fixtures" / "ld" / "mini.ttl"
BASE = "https://w3id.org/aifactories/"
ALPHA = BASE + "id/factory/alpha"
RDF_FORMATS = {
    ".ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    ".jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    ".rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ".nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
}


def open_mini(cache_dir: Path, data: Path, base_iri: str = BASE) -> KnowledgeGraph:
    settings = load_settings(
        {"cache_dir": str(cache_dir), "data": [str(data)], "base_iri": base_iri,
         "skip_validation": True},
        environ={},
    )  # fmt: skip
    return open_graph(settings)


def close(graph: KnowledgeGraph) -> None:
    """Stop the engine and drop this thread's keep-alive connection to it."""
    graph.store().close()
    graph.close()


@pytest.fixture(scope="module")
def ld_client(cache_dir: Path) -> Iterator:
    graph = open_mini(cache_dir, MINI)
    yield create_app({"TESTING": True}, graph=graph).test_client()
    close(graph)


def parse(body: bytes, fmt: ox.RdfFormat) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(body, format=fmt)]


def subjects(triples: list[ox.Triple]) -> set[str]:
    return {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}


def test_browsers_are_sent_to_the_html_document(ld_client) -> None:
    response = ld_client.get("/id/factory/alpha", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/id/factory/alpha.html"
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("accept", "suffix"),
    [
        ("text/turtle", ".ttl"),
        ("application/ld+json", ".jsonld"),
        ("application/rdf+xml", ".rdf"),
        ("application/n-triples", ".nt"),
        ("*/*", ".ttl"),
    ],
)
def test_machines_are_sent_to_the_document_in_their_format(ld_client, accept, suffix) -> None:
    response = ld_client.get("/id/factory/alpha", headers={"Accept": accept})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/id/factory/alpha{suffix}"


@pytest.mark.parametrize("suffix", sorted(RDF_FORMATS))
def test_every_rdf_document_is_about_the_resource(ld_client, suffix) -> None:
    media_type, fmt = RDF_FORMATS[suffix]
    response = ld_client.get(f"/id/factory/alpha{suffix}")
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Content-Location"] == f"/id/factory/alpha{suffix}"
    assert ALPHA in subjects(parse(response.data, fmt))


def test_documents_link_to_every_alternate(ld_client) -> None:
    link = ld_client.get("/id/factory/alpha.ttl").headers["Link"]
    for suffix in (*RDF_FORMATS, ".html"):
        assert f'</id/factory/alpha{suffix}>; rel="alternate"' in link


def test_description_has_incoming_links_labels_sources_and_claims(ld_client) -> None:
    triples = parse(ld_client.get("/id/factory/alpha.nt").data, ox.RdfFormat.N_TRIPLES)
    text = {
        (t.subject.value, t.predicate.value.rsplit("#", 1)[-1], t.object.value) for t in triples
    }
    assert (BASE + "id/antenna/beta", "linkedFactory", ALPHA) in text  # incoming
    assert (BASE + "id/country/xa", "label", "Exemplie") in text  # label of what it links to
    assert (BASE + "id/source/press-release", "http://purl.org/dc/terms/date", "2024-12-10") in text
    assert any(p == "quotation" for _, p, _ in text)  # the claim about it
    assert any(p == "http://schema.org/value" and o == "42.5" for _, p, o in text)  # blank node


@pytest.mark.parametrize(
    "path",
    [
        "/id/factory/nowhere",
        "/id/supercomputer/big-iron",
        "/id/factory/Alpha",
        "/id/factory/alpha.exe",
    ],
)
def test_unknown_or_malformed_iris_are_404(ld_client, path) -> None:
    assert ld_client.get(path, headers={"Accept": "text/turtle"}).status_code == 404


def test_revalidation_gets_304(ld_client) -> None:
    first = ld_client.get("/id/factory/alpha.ttl")
    again = ld_client.get("/id/factory/alpha.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]


def test_etag_differs_by_format_and_language(ld_client) -> None:
    tags = {
        ld_client.get("/id/factory/alpha.ttl").headers["ETag"],
        ld_client.get("/id/factory/alpha.nt").headers["ETag"],
        ld_client.get("/id/factory/alpha.html?lang=en").headers["ETag"],
        ld_client.get("/id/factory/alpha.html?lang=fr").headers["ETag"],
    }
    assert len(tags) == 4


def test_page_shows_labels_facts_sources_and_flags(ld_client) -> None:
    page = ld_client.get("/id/factory/alpha.html").get_data(as_text=True)
    assert "<h1>Alpha AI Factory</h1>" in page
    assert '<a href="/id/country/xa">Exampleland</a>' in page  # linked by label, local path
    assert "Two sources give different opening dates." in page
    assert "Claim of the seed article" in page and "la plus avancée" in page
    assert 'href="https://example.org/press/alpha"' in page and "2024-12-10" in page
    for suffix in (*RDF_FORMATS, ".html"):
        assert f'href="/id/factory/alpha{suffix}"' in page


def test_page_embeds_json_ld_about_the_resource(ld_client) -> None:
    page = ld_client.get("/id/factory/alpha.html").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert ALPHA in {node.get("@id") for node in data}


def test_page_follows_accept_language(ld_client) -> None:
    page = ld_client.get("/id/factory/alpha.html", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    text = page.get_data(as_text=True)
    assert "<h1>Usine d&#39;IA Alpha</h1>" in text and 'lang="fr"' in text
    assert "Accept-Language" in page.headers["Vary"]


def test_lang_parameter_overrides_accept_language(ld_client) -> None:
    page = ld_client.get("/id/factory/alpha.html?lang=en", headers={"Accept-Language": "fr"})
    assert "<h1>Alpha AI Factory</h1>" in page.get_data(as_text=True)


def test_unknown_lang_is_400(ld_client) -> None:
    assert ld_client.get("/id/factory/alpha.html?lang=xx").status_code == 400


def test_public_base_maps_onto_server_paths(cache_dir: Path, tmp_path: Path) -> None:
    base = "http://data.example.org/kg/"
    data = tmp_path / "mini.ttl"
    data.write_text(MINI.read_text().replace(BASE, base))
    graph = open_mini(cache_dir, data, base)
    try:
        client = create_app({"TESTING": True}, graph=graph).test_client()
        triples = parse(client.get("/id/factory/alpha.ttl").data, ox.RdfFormat.TURTLE)
        assert base + "id/factory/alpha" in subjects(triples)
        page = client.get("/id/factory/alpha.html").get_data(as_text=True)
        assert '<a href="/id/country/xa">Exampleland</a>' in page
    finally:
        close(graph)


def test_pages_work_in_front_of_an_external_store(cache_dir: Path) -> None:
    """The site only speaks SPARQL to the store: point a second graph at the first's engine URL,
    as ``--store sparql+http://...`` does, and the resource still dereferences."""
    embedded = open_mini(cache_dir, MINI)
    try:
        external = KnowledgeGraph(embedded.settings, embedded.snapshot, embedded.query_url)
        client = create_app({"TESTING": True}, graph=external).test_client()
        assert client.get("/readyz").get_json()["store"] == "external"
        triples = parse(client.get("/id/factory/alpha.nt").data, ox.RdfFormat.N_TRIPLES)
        assert ALPHA in subjects(triples)
        external.store().close()
    finally:
        close(embedded)
