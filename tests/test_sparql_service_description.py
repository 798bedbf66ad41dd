"""The service description at GET /sparql: RDF for machines, the query UI for browsers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import VOID

from conftest import LiveServer

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
BASE = "https://w3id.org/aifactories/"


def _description(server: LiveServer, accept: str, fmt: str) -> Graph:
    response = server.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(accept)
    assert "Accept" in response.headers["Vary"]
    if fmt == "jsonld":  # rdflib's JSON-LD parser warns (ConjunctiveGraph); read it with Oxigraph
        nt = ox.serialize(
            ox.parse(response.content, format=ox.RdfFormat.JSON_LD), format=ox.RdfFormat.N_TRIPLES
        )
        return Graph().parse(data=nt, format="nt")
    return Graph().parse(data=response.content, format=fmt)


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "jsonld")],
)
def test_service_description_formats(live_server: LiveServer, accept: str, fmt: str) -> None:
    graph = _description(live_server, accept, fmt)
    service = URIRef(live_server.url + "/sparql")
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (
        service,
        SD.resultFormat,
        URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON"),
    ) in graph


def test_no_update_language_is_advertised(live_server: LiveServer) -> None:
    graph = _description(live_server, "text/turtle", "turtle")
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) not in graph


def test_default_dataset_lists_the_named_graphs_with_sizes(live_server: LiveServer) -> None:
    graph = _description(live_server, "text/turtle", "turtle")
    dataset = graph.value(URIRef(live_server.url + "/sparql"), SD.defaultDataset)
    names = {}
    for named in graph.objects(dataset, SD.namedGraph):
        triples = graph.value(graph.value(named, SD.graph), VOID.triples)
        names[str(graph.value(named, SD.name))] = int(triples)
    assert set(names) == {BASE + "graph/data", BASE + "graph/ontology", BASE + "graph/inferred"}
    readyz = live_server.get("/readyz").json()
    assert names == readyz["graphs"]


def test_inferred_graph_declares_the_owl_rl_regime(live_server: LiveServer) -> None:
    graph = _description(live_server, "text/turtle", "turtle")
    inferred = graph.value(predicate=SD.name, object=URIRef(BASE + "graph/inferred"))
    assert graph.value(inferred, SD.entailmentRegime) == URIRef(
        "http://www.w3.org/ns/entailment/OWL-RDF-Based"
    )
    assert graph.value(inferred, SD.supportedEntailmentProfile) == URIRef(
        "http://www.w3.org/ns/owl-profile/RL"
    )


def test_any_type_gets_turtle(live_server: LiveServer) -> None:
    response = live_server.get("/sparql", headers={"Accept": "*/*"})
    assert response.headers["Content-Type"].startswith("text/turtle")


def test_browsers_get_the_query_ui(live_server: LiveServer) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = live_server.get("/sparql", headers={"Accept": accept})
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<form id="query-form"' in response.text
    assert "PREFIX aif: &lt;https://w3id.org/aifactories/ontology#&gt;" in response.text
