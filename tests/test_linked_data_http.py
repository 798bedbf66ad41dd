"""The linked-data surface over real HTTP on the bundled graph: ``/ontology`` for Protégé and
browsers, version IRIs, ``/shapes``, and the 303 dance of ``/id/`` IRIs.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

OWL_API_ACCEPT = (
    "application/rdf+xml, application/xml; q=0.7, text/xml; q=0.6, text/plain; q=0.1, */*; q=0.09"
)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def triples(response: requests.Response, fmt: ox.RdfFormat) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(response.content, format=fmt)]


def objects(found: list[ox.Triple], predicate: str) -> list[str]:
    return [t.object.value for t in found if t.predicate.value == predicate]


@pytest.mark.parametrize(
    "accept", [OWL_API_ACCEPT, "application/rdf+xml, application/xml; q=0.5", "application/xml"]
)
def test_owl_api_gets_rdf_xml_at_the_ontology_iri(bundled_server, accept) -> None:
    response = bundled_server.get("/ontology", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rdf+xml")
    assert OWL + "Ontology" in objects(triples(response, ox.RdfFormat.RDF_XML), RDF_TYPE)


@pytest.mark.parametrize("accept", ["*/*", "text/html;q=0.5, */*", ""])
def test_anything_but_a_preference_for_html_gets_turtle(bundled_server, accept) -> None:
    response = bundled_server.get("/ontology", headers={"Accept": accept})
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert response.headers["Vary"].startswith("Accept")


def test_browsers_get_the_ontology_documentation(bundled_server) -> None:
    page = bundled_server.get("/ontology", headers={"Accept": BROWSER_ACCEPT}).text
    assert "AI Factory" in page and "Antenne d&#39;AI Factory" in page  # labels in both languages
    assert 'id="AIFactory"' in page and 'id="hostedBy"' in page  # classes and properties
    assert "The model at a glance" in page


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [(".ttl", "text/turtle"), (".owl", "application/rdf+xml"), (".rdf", "application/rdf+xml"),
     (".jsonld", "application/ld+json"), (".nt", "application/n-triples"), (".html", "text/html")],
)  # fmt: skip
def test_ontology_suffixes(bundled_server, suffix, media_type) -> None:
    response = bundled_server.get(f"/ontology{suffix}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media_type)


def test_the_version_iri_resolves(bundled_server) -> None:
    found = triples(bundled_server.get("/ontology.ttl"), ox.RdfFormat.TURTLE)
    (version_iri,) = objects(found, OWL + "versionIRI")
    path = version_iri.split("/aifactories", 1)[1]
    response = bundled_server.get(path, headers={"Accept": OWL_API_ACCEPT})
    assert response.status_code == 200
    assert version_iri in objects(triples(response, ox.RdfFormat.RDF_XML), OWL + "versionIRI")


def test_an_unknown_version_is_404(bundled_server) -> None:
    assert bundled_server.get("/ontology/99.0.0").status_code == 404


def test_shapes_are_served_or_explained(bundled_server) -> None:
    response = bundled_server.get("/shapes", headers={"Accept": "text/turtle"})
    if response.status_code == 404:
        assert "shapes" in response.text
    else:
        found = triples(response, ox.RdfFormat.TURTLE)
        assert "http://www.w3.org/ns/shacl#NodeShape" in {t.object.value for t in found}


def test_iri_answers_303_with_vary_then_the_document(bundled_server) -> None:
    url = bundled_server.url + "/id/country/fi"
    first = requests.get(url, headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=30)
    assert first.status_code == 303
    assert first.headers["Location"] == "/id/country/fi.ttl"
    assert "Accept" in first.headers["Vary"]
    document = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
    assert document.status_code == 200
    assert document.headers["Content-Location"] == "/id/country/fi.ttl"
    found = triples(document, ox.RdfFormat.TURTLE)
    assert "https://w3id.org/aifactories/id/country/fi" in {t.subject.value for t in found}


def test_revalidated_page_is_304_over_http(bundled_server) -> None:
    first = bundled_server.get("/id/country/fi.html")
    again = bundled_server.get(
        "/id/country/fi.html", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_unknown_iri_is_404_over_http(bundled_server) -> None:
    assert bundled_server.get("/id/factory/no-such-factory").status_code == 404
