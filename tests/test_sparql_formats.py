"""Result formats and content negotiation over HTTP; every body is parsed back before asserting."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph

from conftest import LiveServer

SELECT = "SELECT ?s ?r WHERE { ?s <http://example.org/rank> ?r } ORDER BY ?r"
CONSTRUCT = (
    "CONSTRUCT { ?s <http://example.org/rank> ?r } WHERE { ?s <http://example.org/rank> ?r }"
)


def _get(server: LiveServer, query: str, accept: str | None = None, **params: str):
    headers = {"Accept": accept} if accept else {}
    return server.get("/sparql", params={"query": query, **params}, headers=headers)


@pytest.mark.parametrize(
    ("accept", "results_format"),
    [
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ],
)
def test_select_formats(live_server: LiveServer, accept: str, results_format) -> None:
    response = _get(live_server, SELECT, accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(accept)
    solutions = ox.parse_query_results(response.content, format=results_format)
    ranks = [s["r"].value for s in solutions]
    assert ranks == ["1", "2", "3"]


def test_select_csv_is_plain_csv(live_server: LiveServer) -> None:
    rows = list(csv.reader(io.StringIO(_get(live_server, SELECT, "text/csv").text)))
    assert rows[0] == ["s", "r"] and rows[1] == ["http://example.org/alpha", "1"]


def test_select_html_table(live_server: LiveServer) -> None:
    response = _get(live_server, SELECT, "text/html")
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'id="results-table"' in response.text
    assert "3 rows" in response.text


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_construct_formats(live_server: LiveServer, accept: str, rdf_format) -> None:
    response = _get(live_server, CONSTRUCT, accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(accept)
    triples = {q.triple for q in ox.parse(response.content, format=rdf_format)}
    assert len(triples) == 3
    assert ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")) in {
        t.object for t in triples
    }


def test_construct_in_turtle_reads_with_rdflib(live_server: LiveServer) -> None:
    graph = Graph().parse(data=_get(live_server, CONSTRUCT, "text/turtle").content, format="turtle")
    assert len(graph) == 3


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [("application/trig", ox.RdfFormat.TRIG), ("application/n-quads", ox.RdfFormat.N_QUADS)],
)
def test_construct_as_dataset_formats(live_server: LiveServer, accept: str, rdf_format) -> None:
    response = _get(live_server, CONSTRUCT, accept)
    assert response.headers["Content-Type"].startswith(accept)
    assert len(list(ox.parse(response.content, format=rdf_format))) == 3


def test_describe_in_turtle(live_server: LiveServer) -> None:
    response = _get(live_server, "DESCRIBE <http://example.org/beta>", "text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    assert len(graph) >= 4


def test_ask_json_and_xml(live_server: LiveServer) -> None:
    assert json.loads(_get(live_server, "ASK {}", "application/sparql-results+json").content)[
        "boolean"
    ]
    xml = _get(live_server, "ASK { <http://nothing> ?p ?o }", "application/sparql-results+xml")
    assert bool(ox.parse_query_results(xml.content, format=ox.QueryResultsFormat.XML)) is False


def test_any_type_gets_json_for_results(live_server: LiveServer) -> None:
    response = _get(live_server, SELECT, "*/*")
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")


def test_no_accept_gets_json_for_results(live_server: LiveServer) -> None:
    response = requests.get(
        live_server.url + "/sparql",
        params={"query": SELECT},
        headers={"Accept": None},  # type: ignore[dict-item]
        timeout=30,
    )
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")


def test_any_type_gets_turtle_for_graphs(live_server: LiveServer) -> None:
    response = _get(live_server, CONSTRUCT, "*/*")
    assert response.headers["Content-Type"].startswith("text/turtle")


def test_q_values_are_honoured(live_server: LiveServer) -> None:
    accept = "application/sparql-results+json;q=0.5, text/csv;q=0.9, */*;q=0.1"
    assert _get(live_server, SELECT, accept).headers["Content-Type"].startswith("text/csv")


def test_format_parameter_overrides_accept(live_server: LiveServer) -> None:
    response = _get(live_server, SELECT, "application/sparql-results+json", format="tsv")
    assert response.headers["Content-Type"].startswith("text/tab-separated-values")


def test_format_parameter_xml_means_rdfxml_for_graphs(live_server: LiveServer) -> None:
    response = _get(live_server, CONSTRUCT, None, format="xml")
    assert response.headers["Content-Type"].startswith("application/rdf+xml")


def test_results_vary_on_accept(live_server: LiveServer) -> None:
    assert "Accept" in _get(live_server, SELECT, "text/csv").headers["Vary"]


def test_nothing_acceptable_is_406(live_server: LiveServer) -> None:
    assert _get(live_server, SELECT, "image/png").status_code == 406


def test_graph_format_for_a_select_is_406(live_server: LiveServer) -> None:
    assert _get(live_server, SELECT, None, format="turtle").status_code == 406
