"""Real SPARQL clients against the live server: SPARQLWrapper in every format with GET and both
POSTs, and rdflib's SPARQLStore."""

from __future__ import annotations

import csv
import io
import xml.dom.minidom

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from conftest import LiveServer

SELECT = "SELECT ?s ?r WHERE { ?s <http://example.org/rank> ?r } ORDER BY ?r"
CONSTRUCT = (
    "CONSTRUCT { ?s <http://example.org/rank> ?r } WHERE { ?s <http://example.org/rank> ?r }"
)
ALPHA = "http://example.org/alpha"
METHODS = {
    "GET": (GET, URLENCODED),
    "POST-form": (POST, URLENCODED),
    "POST-direct": (POST, POSTDIRECTLY),
}


def _wrapper(server: LiveServer, query: str, fmt: str, method: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    http_method, request_method = METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    client.setTimeout(30)
    return client


@pytest.mark.parametrize("method", METHODS)
def test_sparqlwrapper_select_json(live_server: LiveServer, method: str) -> None:
    result = _wrapper(live_server, SELECT, JSON, method).queryAndConvert()
    assert result["results"]["bindings"][0]["s"]["value"] == ALPHA


@pytest.mark.parametrize("method", METHODS)
def test_sparqlwrapper_select_xml(live_server: LiveServer, method: str) -> None:
    document = _wrapper(live_server, SELECT, XML, method).queryAndConvert()
    assert isinstance(document, xml.dom.minidom.Document)
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris[0] == ALPHA and len(uris) == 3


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_select_csv_tsv(
    live_server: LiveServer, method: str, fmt: str, delimiter: str
) -> None:
    body = _wrapper(live_server, SELECT, fmt, method).queryAndConvert()
    rows = list(csv.reader(io.StringIO(body.decode()), delimiter=delimiter))
    assert len(rows) == 4  # header + 3
    assert rows[1][0] in (ALPHA, f"<{ALPHA}>")


@pytest.mark.parametrize("method", METHODS)
def test_sparqlwrapper_ask(live_server: LiveServer, method: str) -> None:
    assert _wrapper(live_server, "ASK { ?s ?p ?o }", JSON, method).queryAndConvert()["boolean"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("fmt", "media_type", "rdf_format"),
    [
        (TURTLE, "text/turtle", ox.RdfFormat.TURTLE),
        (RDFXML, "application/rdf+xml", ox.RdfFormat.RDF_XML),
        (JSONLD, "application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_sparqlwrapper_construct(
    live_server: LiveServer, method: str, fmt: str, media_type: str, rdf_format
) -> None:
    response = _wrapper(live_server, CONSTRUCT, fmt, method).query().response
    assert response.headers["Content-Type"].startswith(media_type)
    assert len(list(ox.parse(response.read(), format=rdf_format))) == 3


@pytest.mark.parametrize("method", METHODS)
def test_sparqlwrapper_construct_ntriples(live_server: LiveServer, method: str) -> None:
    client = _wrapper(live_server, CONSTRUCT, N3, method)
    client.setOnlyConneg(True)
    client.addCustomHttpHeader("Accept", "application/n-triples")
    response = client.query().response
    assert response.headers["Content-Type"].startswith("application/n-triples")
    assert len(list(ox.parse(response.read(), format=ox.RdfFormat.N_TRIPLES))) == 3


# SPARQLWrapper 2.0 builds an rdflib ConjunctiveGraph, which rdflib 7 deprecates.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_sparqlwrapper_rdfxml_converts_to_an_rdflib_graph(live_server: LiveServer) -> None:
    graph = _wrapper(live_server, CONSTRUCT, RDFXML, "GET").queryAndConvert()
    assert (URIRef(ALPHA), URIRef("http://example.org/rank"), Literal(1)) in graph


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select(live_server: LiveServer, method: str) -> None:
    graph = Graph(store=SPARQLStore(live_server.url + "/sparql", method=method))
    rows = list(graph.query(SELECT))
    assert [(str(s), int(r)) for s, r in rows] == [
        (ALPHA, 1),
        ("http://example.org/beta", 2),
        ("http://example.org/gamma", 3),
    ]


def test_rdflib_sparqlstore_ask_and_construct(live_server: LiveServer) -> None:
    graph = Graph(store=SPARQLStore(live_server.url + "/sparql"))
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    constructed = graph.query(CONSTRUCT).graph
    assert len(constructed) == 3


def test_rdflib_sparqlstore_triples(live_server: LiveServer) -> None:
    graph = Graph(store=SPARQLStore(live_server.url + "/sparql"))
    objects = set(graph.objects(URIRef(ALPHA), URIRef("http://example.org/rank")))
    assert objects == {Literal(1)}
