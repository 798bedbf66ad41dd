"""The queries behind the linked-data site: what the store says about one resource, and the
few listings the pages need (resources of a kind, factories, countries, map points, counts).

Everything goes through the store (:meth:`KnowledgeGraph.store` and :func:`query.run`), never
through the files, so the same pages work in front of an external engine (``--store``).
A resource's description is: its own triples (asserted and inferred, minus OWL RL's trivial
``owl:sameAs`` to itself and ``owl:Thing`` types), the triples of blank nodes it points to, its
incoming links, the full descriptions of its sources and of the claims about it, and the labels
of every IRI in all of that.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from . import query as queries
from .graph import KnowledgeGraph
from .prefixes import sparql_prologue
from .sparql_check import analyse

#: Upper bound of a resource's description (a source cited everywhere has many incoming links).
DESCRIBE_MAX_TRIPLES = 50_000
#: Rows a listing may return (every resource of the graph fits many times over).
LIST_MAX_ROWS = 100_000
LABEL_PREDICATES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
    "http://schema.org/name",
    "http://xmlns.com/foaf/0.1/name",
)
_LABELS = " ".join(f"<{p}>" for p in LABEL_PREDICATES)

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _run(graph: KnowledgeGraph, text: str, max_rows: int = LIST_MAX_ROWS) -> queries.QueryResult:
    query = sparql_prologue(graph.settings.base_iri) + text
    return graph.run(analyse(query), query, max_rows=max_rows)


def select(graph: KnowledgeGraph, text: str) -> list[dict[str, Term]]:
    """Run a SELECT (prefixes of :mod:`prefixes` pre-declared); rows as name -> term dicts."""
    variables, rows = _run(graph, text).table()
    return [
        {name: value for name, value in zip(variables, row, strict=True) if value is not None}
        for row in rows
    ]


def construct(graph: KnowledgeGraph, text: str, max_rows: int = LIST_MAX_ROWS) -> list[ox.Triple]:
    return _run(graph, text, max_rows).triples()


def exists(graph: KnowledgeGraph, iri: str) -> bool:
    """A resource is known when it is the subject of an asserted triple."""
    data = graph.settings.graph_iri("data")
    result = _run(graph, f"ASK {{ GRAPH <{data}> {{ <{iri}> ?p ?o }} }}")
    return bool(result.solutions())


def describe(graph: KnowledgeGraph, iri: str) -> list[ox.Triple]:
    """The resource's description, incoming links, sources, claims and labels (see module doc)."""
    settings = graph.settings
    data, inferred = settings.graph_iri("data"), settings.graph_iri("inferred")
    body = construct(
        graph,
        f"""CONSTRUCT {{
  ?r ?p ?o . ?b ?bp ?bo . ?s ?ip ?r . ?src ?sp ?so . ?c ?cp ?co .
}} WHERE {{
  VALUES ?r {{ <{iri}> }}
  {{ GRAPH ?g {{ ?r ?p ?o }} FILTER(?g IN (<{data}>, <{inferred}>))
     FILTER(!(?p = owl:sameAs && ?o = ?r) && ?o != owl:Thing && ?o != rdfs:Resource) }}
  UNION {{ GRAPH ?g {{ ?r ?p0 ?b }} FILTER(?g = <{data}> && isBlank(?b)) GRAPH ?g {{ ?b ?bp ?bo }} }}
  UNION {{ GRAPH ?g {{ ?s ?ip ?r }} FILTER(?g IN (<{data}>, <{inferred}>) && ?s != ?r) }}
  UNION {{ GRAPH <{data}> {{ ?r dcterms:source ?src . ?src ?sp ?so }} }}
  UNION {{ GRAPH <{data}> {{ ?c aif:concerns ?r . ?c ?cp ?co }} }}
}}""",
        DESCRIBE_MAX_TRIPLES,
    )
    return body + labels(graph, _iris_in(body, skip=iri))


def _iris_in(triples: Iterable[ox.Triple], skip: str) -> list[str]:
    seen: dict[str, None] = {}
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode) and term.value != skip:
                seen[term.value] = None
    return list(seen)


def labels(graph: KnowledgeGraph, iris: list[str]) -> list[ox.Triple]:
    """The label triples (every language) of ``iris``, from any graph."""
    out: list[ox.Triple] = []
    chunk = 400  # keeps each query text small
    for start in range(0, len(iris), chunk):
        values = " ".join(f"<{i}>" for i in iris[start : start + chunk])
        out += construct(
            graph,
            f"CONSTRUCT {{ ?x ?lp ?l }} WHERE {{ VALUES ?x {{ {values} }} "
            f"VALUES ?lp {{ {_LABELS} }} ?x ?lp ?l }}",
        )
    return list(dict.fromkeys(out))


def resources_of_kind(graph: KnowledgeGraph, kind: str) -> list[dict[str, Term]]:
    """Subjects whose IRI is under ``{base}id/{kind}/``, with their labels and types."""
    prefix = f"{graph.settings.base_iri}id/{kind}/"
    data = graph.settings.graph_iri("data")
    return select(
        graph,
        f"""SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?lfr) AS ?labelFr) WHERE {{
  {{ SELECT DISTINCT ?s {{ GRAPH <{data}> {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), "{prefix}")) }} }}
  OPTIONAL {{ ?s rdfs:label|skos:prefLabel ?l FILTER(LANG(?l) = "en" || LANG(?l) = "") }}
  OPTIONAL {{ ?s rdfs:label|skos:prefLabel ?lfr FILTER(LANG(?lfr) = "fr") }}
}} GROUP BY ?s ORDER BY ?s""",
    )


def kinds(graph: KnowledgeGraph) -> list[tuple[str, int]]:
    """Every ``{kind}`` of the ``id/`` space with its number of resources."""
    prefix = f"{graph.settings.base_iri}id/"
    data = graph.settings.graph_iri("data")
    rows = select(
        graph,
        f"""SELECT ?kind (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  GRAPH <{data}> {{ ?s ?p ?o }} FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{prefix}"))
  BIND(STRBEFORE(STRAFTER(STR(?s), "{prefix}"), "/") AS ?kind)
}} GROUP BY ?kind ORDER BY ?kind""",
    )
    return [(r["kind"].value, int(r["n"].value)) for r in rows if r.get("kind") and r["kind"].value]


def class_counts(graph: KnowledgeGraph) -> dict[str, int]:
    """Asserted and inferred instances per class (IRI -> count)."""
    rows = select(graph, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c")
    return {r["c"].value: int(r["n"].value) for r in rows if isinstance(r.get("c"), ox.NamedNode)}


def hubs(graph: KnowledgeGraph) -> list[dict[str, Term]]:
    """AI Factories and Antennas with country, wave, machines and sectors (for table and map).

    Coordinates are the hub's own, else those of the place it is located in.
    """
    return select(
        graph,
        """SELECT ?hub ?type (SAMPLE(?l) AS ?label) (SAMPLE(?c) AS ?country)
       (SAMPLE(?cl) AS ?countryLabel) (SAMPLE(?clfr) AS ?countryLabelFr) (SAMPLE(?w) AS ?wave) (SAMPLE(?wn) AS ?waveNumber)
       (SAMPLE(?wl) AS ?waveLabel)
       (GROUP_CONCAT(DISTINCT ?ml; separator=" · ") AS ?machines)
       (GROUP_CONCAT(DISTINCT ?sl; separator=" · ") AS ?sectors)
       (SAMPLE(?lat0) AS ?lat) (SAMPLE(?long0) AS ?long) WHERE {
  VALUES ?type { aif:AIFactory aif:AIFactoryAntenna aif:AIGigafactory }
  ?hub a ?type .
  OPTIONAL { ?hub rdfs:label ?l FILTER(LANG(?l) = "en" || LANG(?l) = "") }
  OPTIONAL { ?hub aif:country ?c . OPTIONAL { ?c rdfs:label ?cl FILTER(LANG(?cl) = "en") }
             OPTIONAL { ?c rdfs:label ?clfr FILTER(LANG(?clfr) = "fr") } }
  OPTIONAL { ?hub aif:selectedIn ?w . OPTIONAL { ?w aif:waveNumber ?wn }
             OPTIONAL { ?w rdfs:label ?wl FILTER(LANG(?wl) = "en" || LANG(?wl) = "") } }
  OPTIONAL { ?hub aif:usesSupercomputer|(aif:computeProvision/aif:providedBy) ?m .
             ?m rdfs:label ?ml FILTER(LANG(?ml) = "en" || LANG(?ml) = "") }
  OPTIONAL { ?hub aif:focusSector ?s . ?s skos:prefLabel|rdfs:label ?sl FILTER(LANG(?sl) = "en") }
  OPTIONAL { { ?hub geo:lat ?lat0 ; geo:long ?long0 }
             UNION { ?hub aif:locatedIn ?place . ?place geo:lat ?lat0 ; geo:long ?long0 } }
} GROUP BY ?hub ?type ORDER BY ?label""",
    )


def in_country(graph: KnowledgeGraph, country: str) -> list[dict[str, Term]]:
    """Resources located in or related to ``country`` (aif:country), with type and label."""
    return select(
        graph,
        f"""SELECT ?s (SAMPLE(?t) AS ?type) (SAMPLE(?l) AS ?label) WHERE {{
  ?s aif:country <{country}> .
  OPTIONAL {{ GRAPH <{graph.settings.graph_iri("data")}> {{ ?s a ?t }} }}
  OPTIONAL {{ ?s rdfs:label ?l FILTER(LANG(?l) = "en" || LANG(?l) = "") }}
}} GROUP BY ?s ORDER BY ?type ?label""",
    )


def term_labels(graph: KnowledgeGraph) -> dict[tuple[str, str], str]:
    """Labels of every class and property of the ontology graph: (IRI, lang) -> label."""
    onto = graph.settings.graph_iri("ontology")
    rows = select(graph, f"SELECT ?t ?l {{ GRAPH <{onto}> {{ ?t rdfs:label ?l }} }}")
    return {
        (r["t"].value, r["l"].language or ""): r["l"].value
        for r in rows
        if isinstance(r.get("t"), ox.NamedNode) and isinstance(r.get("l"), ox.Literal)
    }


def all_resources(graph: KnowledgeGraph) -> list[str]:
    """Every IRI of the ``id/`` space that is the subject of an asserted triple."""
    prefix = f"{graph.settings.base_iri}id/"
    data = graph.settings.graph_iri("data")
    rows = select(
        graph,
        f"""SELECT DISTINCT ?s {{ GRAPH <{data}> {{ ?s ?p ?o }}
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{prefix}")) }} ORDER BY ?s""",
    )
    return [r["s"].value for r in rows]


def asserted_types(graph: KnowledgeGraph, iri: str) -> list[str]:
    """The classes stated in the data (the page shows these, not every inferred superclass)."""
    data = graph.settings.graph_iri("data")
    return [
        r["t"].value for r in select(graph, f"SELECT ?t {{ GRAPH <{data}> {{ <{iri}> a ?t }} }}")
    ]
