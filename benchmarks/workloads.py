"""What the benchmark asks: the example queries, unique queries and linked-data requests.

* (a) ``repeated``: the example queries of ``queries/*.rq`` (or, while that folder is empty, the
  built-in :data:`EXAMPLE_QUERIES` written against the ontology's shapes), re-run as researchers
  re-run them: the same texts again and again, so a response cache may answer them;
* (b) ``unique-cheap`` and ``unique-aggregate``: queries whose text never repeats in a benchmark
  run (a subject constant and a LIMIT drawn from a counter), so no cache can answer them;
* (c) ``pages-turtle``, ``pages-html`` and ``dump``: our linked-data documents; the peers get the
  nearest SPARQL equivalent (``DESCRIBE`` of the same resource, ``CONSTRUCT`` of everything).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.loadgen import COUNTER, SUBJECT, Template, sparql_template

PREFIXES = """PREFIX aif: <https://w3id.org/aifactories/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

#: Representative research questions over the ontology's shapes (also the scale benchmark's
#: "example query shapes"): joins with language filters, aggregates, a qualified relation, a
#: CONSTRUCT.  They need the OWL RL inferences (aif:AIHub) that the snapshot carries.
EXAMPLE_QUERIES: dict[str, str] = {
    "hubs-per-country": """SELECT ?country ?label (COUNT(?hub) AS ?hubs) WHERE {
  ?hub a aif:AIHub ; aif:country ?country .
  OPTIONAL { ?country rdfs:label ?label FILTER(lang(?label) = "en") }
} GROUP BY ?country ?label ORDER BY DESC(?hubs) ?label""",
    "factories-machines": """SELECT ?factory ?name ?machine ?machineName ?host WHERE {
  ?factory a aif:AIFactory ; rdfs:label ?name ; aif:usesSupercomputer ?machine ; aif:hostedBy ?host .
  ?machine rdfs:label ?machineName .
  FILTER(lang(?name) = "en" && lang(?machineName) = "en")
} ORDER BY ?name LIMIT 100""",
    "machines-by-performance": """SELECT ?machine ?label ?value ?unit WHERE {
  ?machine a aif:Supercomputer ; rdfs:label ?label ; aif:performance ?m .
  ?m schema:value ?value ; schema:unitText ?unit .
  FILTER(lang(?label) = "en")
} ORDER BY DESC(?value) LIMIT 20""",
    "funding-by-wave": """SELECT ?wave (SUM(?value) AS ?total) (COUNT(DISTINCT ?hub) AS ?hubs) WHERE {
  ?hub aif:selectedIn ?wave ; aif:hasFunding ?funding .
  ?funding schema:value ?value .
} GROUP BY ?wave ORDER BY ?wave""",
    "antennas-and-factories": """SELECT ?antenna ?antennaName ?factory ?factoryName WHERE {
  ?antenna a aif:AIFactoryAntenna ; aif:linkedFactory ?factory ; rdfs:label ?antennaName .
  ?factory rdfs:label ?factoryName .
  FILTER(lang(?antennaName) = "en" && lang(?factoryName) = "en")
} ORDER BY ?antennaName LIMIT 100""",
    "hubs-per-sector": """SELECT ?sector ?label (COUNT(DISTINCT ?hub) AS ?hubs) WHERE {
  ?hub aif:focusSector ?sector .
  OPTIONAL { ?sector skos:prefLabel ?label FILTER(lang(?label) = "en") }
} GROUP BY ?sector ?label ORDER BY DESC(?hubs)""",
    "sources-by-reliability": """SELECT ?reliability (COUNT(?source) AS ?n) WHERE {
  ?source a aif:Source ; aif:reliability ?reliability .
} GROUP BY ?reliability ORDER BY DESC(?n)""",
    "factories-construct": """CONSTRUCT { ?f rdfs:label ?l ; aif:country ?c } WHERE {
  ?f a aif:AIFactory ; rdfs:label ?l ; aif:country ?c .
} LIMIT 500""",
}

#: (b) cheap: one resource's description or incoming links; the LIMIT is larger than any
#: answer, so it changes the text (and any cache key) but not the result.
UNIQUE_CHEAP = (
    f"SELECT ?p ?o WHERE {{ <{SUBJECT}> ?p ?o }} LIMIT 1{COUNTER}",
    f"SELECT ?s ?p WHERE {{ ?s ?p <{SUBJECT}> }} LIMIT 1{COUNTER}",
)
#: (b) aggregates over the whole graph, with a constant that varies per request.
UNIQUE_AGGREGATE = (
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type ; ?p ?o . "
    f"FILTER(?o != <{SUBJECT}>) }} GROUP BY ?type ORDER BY DESC(?n) LIMIT 1{COUNTER}",
    "SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects) WHERE { ?s ?p ?o "
    f"FILTER(?s != <{SUBJECT}>) }} GROUP BY ?p ORDER BY DESC(?n) LIMIT 1{COUNTER}",
)

SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "text/turtle"


@dataclass(frozen=True)
class ExampleQuery:
    name: str
    text: str

    @property
    def accept(self) -> str:
        return GRAPH_ACCEPT if query_form(self.text) in ("CONSTRUCT", "DESCRIBE") else SELECT_ACCEPT


def query_form(text: str) -> str:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    match = re.search(r"\b(SELECT|CONSTRUCT|DESCRIBE|ASK)\b", body, re.IGNORECASE)
    return match.group(1).upper() if match else "SELECT"


def builtin_examples() -> list[ExampleQuery]:
    return [ExampleQuery(name, PREFIXES + text) for name, text in EXAMPLE_QUERIES.items()]


def example_queries(queries_dir: Path) -> tuple[list[ExampleQuery], str]:
    """The ``*.rq`` files of ``queries_dir`` (not ``checks/``), or the built-in set; and which."""
    files = sorted(queries_dir.glob("*.rq")) if queries_dir.is_dir() else []
    if files:
        return [ExampleQuery(f.stem, f.read_text(encoding="utf-8")) for f in files], str(
            queries_dir
        )
    return builtin_examples(), "built-in (queries/ has no *.rq yet)"


@dataclass(frozen=True)
class Workload:
    """One named workload: per server, the request templates (``None``: not offered)."""

    name: str
    group: str
    description: str
    unique: bool
    ours: list[Template] | None
    peers: list[Template] | None

    def templates(self, server: str) -> list[Template] | None:
        return self.ours if server == "ours" else self.peers


def _sparql(path: str, texts: Sequence[str], accept: str = SELECT_ACCEPT) -> list[Template]:
    return [sparql_template(path, t, accept) for t in texts]


def _page_paths(subjects: Sequence[str], base_iri: str, suffix: str) -> list[str]:
    return [s[len(base_iri) - 1 :] + suffix for s in subjects if s.startswith(base_iri + "id/")]


def build_workloads(
    examples: Sequence[ExampleQuery],
    *,
    ours_sparql: str,
    peer_sparql: str,
    page_subjects: Sequence[str],
    base_iri: str,
    dump_path: str | None,
) -> list[Workload]:
    """The workloads for one benchmark run; peers use ``peer_sparql`` (their endpoint path)."""

    def repeated(path: str) -> list[Template]:
        return [sparql_template(path, q.text, q.accept) for q in examples]

    describe = [f"DESCRIBE <{s}>" for s in page_subjects]
    everything = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    workloads = [
        Workload(
            "repeated",
            "a",
            f"the {len(examples)} example queries, re-run in turn",
            False,
            repeated(ours_sparql),
            repeated(peer_sparql),
        ),
        Workload(
            "unique-cheap",
            "b",
            "one resource's triples or incoming links; subject and LIMIT vary per request",
            True,
            _sparql(ours_sparql, UNIQUE_CHEAP),
            _sparql(peer_sparql, UNIQUE_CHEAP),
        ),
        Workload(
            "unique-aggregate",
            "b",
            "GROUP BY over the whole graph; a FILTER constant and LIMIT vary per request",
            True,
            _sparql(ours_sparql, UNIQUE_AGGREGATE),
            _sparql(peer_sparql, UNIQUE_AGGREGATE),
        ),
        Workload(
            "pages-turtle",
            "c",
            f"{len(page_subjects)} resources as Turtle: ours /id/….ttl, peers DESCRIBE",
            False,
            [Template(p, GRAPH_ACCEPT) for p in _page_paths(page_subjects, base_iri, ".ttl")],
            _sparql(peer_sparql, describe, GRAPH_ACCEPT),
        ),
        Workload(
            "pages-html",
            "c",
            f"{len(page_subjects)} resources as HTML pages (ours only)",
            False,
            # The .html document itself: the bare IRI answers 303 (Cool URIs), not the page.
            [Template(p, "text/html") for p in _page_paths(page_subjects, base_iri, ".html")],
            None,
        ),
        Workload(
            "dump",
            "c",
            "the whole graph: ours a /download/ dump, peers CONSTRUCT of everything",
            False,
            [Template(dump_path, "*/*")] if dump_path else None,
            _sparql(peer_sparql, [everything], "application/n-triples"),
        ),
    ]
    return workloads
