"""The SPARQL 1.1 Service Description of ``/sparql``, built from the snapshot it serves.

Clients such as Comunica introspect an endpoint before querying it, so the description says
what is true of this one: SPARQL 1.1 Query only (no Update), the result formats we really
produce, the union default graph, and the default dataset with each named graph and its size.
The ``inferred`` graph holds the OWL RL closure, so it declares the OWL RDF-Based Semantics
entailment regime restricted to the OWL 2 RL profile, as the Service Description spec
suggests for a materialised closure.
"""

from __future__ import annotations

import pyoxigraph as ox

from .config import Settings
from .negotiation import Format
from .snapshot import Snapshot

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FORMATS_NS = "http://www.w3.org/ns/formats/"
OWL_RDF_BASED = "http://www.w3.org/ns/entailment/OWL-RDF-Based"
OWL_RL_PROFILE = "http://www.w3.org/ns/owl-profile/RL"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

#: The result formats advertised, as W3C format IRIs (http://www.w3.org/ns/formats/).
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "RDF_XML",
    "JSON-LD",
    "TriG",
    "N-Quads",
)

PREFIXES = {
    "sd": SD,
    "void": VOID,
    "ent": "http://www.w3.org/ns/entailment/",
    "prof": "http://www.w3.org/ns/owl-profile/",
    "formats": FORMATS_NS,
}


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def description(endpoint_url: str, snapshot: Snapshot, settings: Settings) -> list[ox.Triple]:
    """The description's triples; ``endpoint_url`` is the URL the client used (``sd:endpoint``)."""
    service = ox.NamedNode(endpoint_url)
    dataset = ox.NamedNode(settings.base_iri + "dataset")
    inferred_iri = settings.graph_iri("inferred")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("feature"), _sd("EmptyGraphs")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
    ]
    if settings.service_allowlist:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    triples += [
        ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMATS_NS + name))
        for name in RESULT_FORMATS
    ]
    default_graph = ox.BlankNode("defaultGraph")
    triples += [
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(default_graph, ox.NamedNode(VOID + "triples"), _count(snapshot.triples)),
    ]
    for index, (name, count) in enumerate(sorted(snapshot.graphs.items())):
        named = ox.BlankNode(f"namedGraph{index}")
        graph = ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(name)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), _count(count)),
        ]
        if name == inferred_iri:
            triples += [
                ox.Triple(named, _sd("entailmentRegime"), ox.NamedNode(OWL_RDF_BASED)),
                ox.Triple(named, _sd("supportedEntailmentProfile"), ox.NamedNode(OWL_RL_PROFILE)),
            ]
    return triples


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    """The description in an RDF ``fmt`` (Turtle, RDF/XML, JSON-LD, N-Triples, ...)."""
    if fmt.rdf is None:
        raise ValueError(f"{fmt.name} is not an RDF format")
    return ox.serialize(triples, format=fmt.rdf, prefixes=PREFIXES) or b""
