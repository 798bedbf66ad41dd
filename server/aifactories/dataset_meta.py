"""The dataset's self-description: VoID statistics and the DCAT-AP 3.0.1 catalogue.

Statistics come from the store (SPARQL aggregates over the ``data`` and ``ontology`` graphs, the
graphs the asserted dumps hold); sizes, checksums and ``void:triples`` come from the dumps'
manifest, so what a harvester counts in a dump is what VoID says.  Both are computed once per
data version by the caller (:mod:`catalog` memoises them).  The text is Turtle, written out
plainly so that what harvesters get is readable here, then parsed into triples.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from . import describe
from .dumps import Dumps
from .graph import KnowledgeGraph

EU = "http://publications.europa.eu/resource/authority/"
LICENCE = EU + "licence/CC_BY_4_0"
THEME = EU + "data-theme/TECH"
#: External authorities we link to: (name, IRI prefix, the VoID dataset standing for it,
#: a more specific prefix counted by another linkset).
AUTHORITIES = (
    ("eu-countries", EU + "country/", EU + "country", None),
    (
        "eu-authorities",
        EU,
        "http://publications.europa.eu/resource/dataset/authority",
        EU + "country/",
    ),
    ("wikidata", "http://www.wikidata.org/entity/", "http://www.wikidata.org/", None),
    ("top500", "https://www.top500.org/", "https://www.top500.org/", None),
)
#: Vocabularies we report with void:vocabulary when the data uses them.
VOCABULARIES = (
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://schema.org/",
    "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "http://xmlns.com/foaf/0.1/",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#",
)
MEDIA_TYPES = {
    "turtle": ("text/turtle", "RDF_TURTLE"),
    "ntriples": ("application/n-triples", "RDF_N_TRIPLES"),
    "jsonld": ("application/ld+json", "JSON_LD"),
    "trig": ("application/trig", "RDF_TRIG"),
}


@dataclass(frozen=True)
class Statistics:
    entities: int
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    linksets: list[tuple[str, str, str, int]]  # (name, predicate, target, triples)
    countries: list[str]  # EU authority country IRIs of the countries with an AI hub
    vocabularies: list[str]


def statistics(graph: KnowledgeGraph) -> Statistics:
    settings = graph.settings
    data, onto = settings.graph_iri("data"), settings.graph_iri("ontology")
    asserted = f"FILTER(?g IN (<{data}>, <{onto}>))"
    entities = describe.select(
        graph,
        f"""SELECT (COUNT(DISTINCT ?s) AS ?n) {{ GRAPH <{data}> {{ ?s ?p ?o }}
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{settings.base_iri}id/")) }}""",
    )
    classes = describe.select(
        graph,
        f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) {{ GRAPH ?g {{ ?s a ?c }} {asserted} }} "
        "GROUP BY ?c ORDER BY ?c",
    )
    properties = describe.select(
        graph,
        f"SELECT ?p (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s ?p ?o }} {asserted} }} "
        "GROUP BY ?p ORDER BY ?p",
    )
    linksets = []  # links between resources; web addresses of documents are not linksets
    for name, prefix, target, exclude in AUTHORITIES:
        unless = f' && !STRSTARTS(STR(?o), "{exclude}")' if exclude else ""
        rows = describe.select(
            graph,
            f"""SELECT ?p (COUNT(*) AS ?n) {{ GRAPH <{data}> {{ ?s ?p ?o }}
  FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{prefix}"){unless}
         && ?p NOT IN (schema:url, foaf:homepage)) }} GROUP BY ?p ORDER BY ?p""",
        )
        linksets += [(name, r["p"].value, target, int(r["n"].value)) for r in rows]
    countries = describe.select(
        graph,
        """SELECT DISTINCT ?auth { VALUES ?t { aif:AIFactory aif:AIFactoryAntenna aif:AIGigafactory }
  ?h a ?t ; aif:country ?c . ?c aif:euAuthorityCountry ?auth } ORDER BY ?auth""",
    )
    used = {r["p"].value for r in properties} | {r["c"].value for r in classes if "c" in r}
    return Statistics(
        entities=int(entities[0]["n"].value) if entities else 0,
        classes=[(r["c"].value, int(r["n"].value)) for r in classes if "c" in r],
        properties=[(r["p"].value, int(r["n"].value)) for r in properties],
        linksets=sorted(linksets, key=lambda ls: ls[3] * -1),
        countries=[r["auth"].value for r in countries],
        vocabularies=[v for v in VOCABULARIES if any(u.startswith(v) for u in used)],
    )


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def void_turtle(graph: KnowledgeGraph, stats: Statistics, dumps: Dumps) -> str:
    """VoID: counts, partitions, endpoint, dumps, URI space, vocabularies and linksets."""
    base = graph.settings.base_iri
    ds = f"<{base}dataset>"
    lines = [
        f"{ds} a void:Dataset ;",
        f"  void:triples {dumps.asserted_triples} ;",
        f"  void:entities {stats.entities} ;",
        f"  void:classes {len(stats.classes)} ;",
        f"  void:properties {len(stats.properties)} ;",
        f"  void:sparqlEndpoint <{base}sparql> ;",
        f'  void:uriSpace "{base}id/" ;',
        f"  void:rootResource <{base}id/programme/ai-factories> ;",
        f"  void:exampleResource <{base}id/country/fi> ;",
        f"  void:vocabulary <{base}ontology#> "
        + "".join(f", <{v}>" for v in stats.vocabularies)
        + " ;",
        "  void:feature <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,"
        " <http://www.w3.org/ns/formats/JSON-LD>, <http://www.w3.org/ns/formats/TriG> ;",
    ]
    for f in dumps.files:
        if not f.inferred:
            lines.append(f"  void:dataDump <{base}download/{f.name}> ;")
    for cls, n in stats.classes:
        lines.append(f"  void:classPartition [ void:class <{cls}> ; void:entities {n} ] ;")
    for prop, n in stats.properties:
        lines.append(f"  void:propertyPartition [ void:property <{prop}> ; void:triples {n} ] ;")
    lines[-1] = lines[-1][:-1] + "."
    for name, predicate, target, n in stats.linksets:
        slug = f"{name}-{predicate.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}"
        lines += [
            f"<{base}dataset#linkset-{slug}> a void:Linkset ;",
            f"  void:subjectsTarget {ds} ;",
            f"  void:objectsTarget <{target}> ;",
            f"  void:linkPredicate <{predicate}> ;",
            f"  void:triples {n} .",
            f"{ds} void:subset <{base}dataset#linkset-{slug}> .",
        ]
    return "\n".join(lines) + "\n"


def dcat_turtle(graph: KnowledgeGraph, stats: Statistics, dumps: Dumps) -> str:
    """DCAT-AP 3.0.1: the catalogue, the dataset, its distributions and the SPARQL service."""
    base = graph.settings.base_iri
    snap = graph.snapshot
    issued = "2026-11-25"
    modified = snap.built_at
    ds, cat = f"<{base}dataset>", f"<{base}catalog>"
    publisher, contact = f"<{base}catalog#publisher>", f"<{base}catalog#contact>"
    service = f"<{base}dataset#sparql-service>"
    spatial = "".join(f", <{c}>" for c in stats.countries)[2:]
    out = [
        f"""{cat} a dcat:Catalog ;
  dcterms:title "EU AI Factories Knowledge Graph catalogue"@en , "Catalogue du graphe de connaissances des AI Factories de l'UE"@fr ;
  dcterms:description "The datasets and data services of the EU AI Factories Knowledge Graph."@en , "Les jeux de données et services de données du graphe de connaissances des AI Factories de l'UE."@fr ;
  dcterms:publisher {publisher} ;
  dcterms:license <{LICENCE}> ;
  dcterms:language <{EU}language/ENG> , <{EU}language/FRA> ;
  dcterms:issued "{issued}"^^xsd:date ;
  dcterms:modified "{modified}"^^xsd:dateTime ;
  foaf:homepage <{base}> ;
  dcat:themeTaxonomy <{EU}data-theme> ;
  dcat:dataset {ds} ;
  dcat:service {service} .
{publisher} a foaf:Agent ;
  foaf:name "EU AI Factories Knowledge Graph project"@en ;
  dcterms:type <{EU}corporate-body-classification/NON_PROFIT_ORG> .
<{EU}corporate-body-classification/NON_PROFIT_ORG> a skos:Concept ; skos:prefLabel "Non-profit organisation"@en .
<{base}> a foaf:Document .
<{base}sparql> a rdfs:Resource .
spdx:checksumAlgorithm_sha256 a spdx:ChecksumAlgorithm .
{contact} a vcard:Organization , vcard:Kind ;
  vcard:fn "EU AI Factories Knowledge Graph contributors" ;
  vcard:hasURL <{base}> .
<{LICENCE}> a dcterms:LicenseDocument ; dcterms:type <http://purl.org/adms/licencetype/Attribution> .
<http://purl.org/adms/licencetype/Attribution> a skos:Concept ; skos:prefLabel "Attribution"@en .
<{EU}data-theme> a skos:ConceptScheme ; dcterms:title "Data theme"@en .
<{THEME}> a skos:Concept ; skos:prefLabel "Science and technology"@en ; skos:inScheme <{EU}data-theme> .
<{EU}language/ENG> a dcterms:LinguisticSystem .
<{EU}language/FRA> a dcterms:LinguisticSystem .
{ds} a dcat:Dataset ;
  dcterms:title "EU AI Factories Knowledge Graph"@en , "Graphe de connaissances des AI Factories de l'UE"@fr ;
  dcterms:description "An open, sourced knowledge graph of the EuroHPC Joint Undertaking's AI Factories, AI Factory Antennas and AI Gigafactories: host supercomputers, hosting organisations, sites, countries, focus sectors, selection waves and funding, every fact tied to its sources."@en ,
    "Un graphe de connaissances ouvert et sourcé des AI Factories, antennes d'AI Factory et AI Gigafactories de l'entreprise commune EuroHPC."@fr ;
  dcterms:identifier "{base}dataset" ;
  dcterms:publisher {publisher} ;
  dcat:contactPoint {contact} ;
  dcterms:license <{LICENCE}> ;
  dcat:theme <{THEME}> ;
  dcat:keyword "AI Factories"@en , "EuroHPC"@en , "supercomputing"@en , "artificial intelligence"@en , "knowledge graph"@en , "usines d'IA"@fr ;
  dcterms:language <{EU}language/ENG> , <{EU}language/FRA> ;
  dcterms:issued "{issued}"^^xsd:date ;
  dcterms:modified "{modified}"^^xsd:dateTime ;
  dcterms:conformsTo <{base}ontology> ;
  dcat:landingPage <{base}> ;
  owl:versionInfo "{snap.short_version}" ;
  dcat:version "{snap.short_version}" """
        + (f";\n  dcterms:spatial {spatial} " if spatial else "")
        + "".join(
            f";\n  dcat:distribution <{base}dataset#{_dist_id(f.name)}> " for f in dumps.files
        )
        + f";\n  dcat:distribution <{base}dataset#sparql> .",
        f'<{base}ontology> a dcterms:Standard ; dcterms:title "EU AI Factories Ontology"@en .',
    ]
    out += [f"<{c}> a dcterms:Location ." for c in stats.countries]
    for f in dumps.files:
        media, filetype = MEDIA_TYPES[f.format]
        title = f"{'TriG dump with the OWL RL inferences' if f.inferred else media + ' dump'}"
        out.append(
            f"""<{base}dataset#{_dist_id(f.name)}> a dcat:Distribution ;
  dcterms:title {_lit(title)}@en ;
  dcat:accessURL <{base}download/> ;
  dcat:downloadURL <{base}download/{f.name}> ;
  dcat:mediaType <https://www.iana.org/assignments/media-types/{media}> ;
  dcterms:format <{EU}file-type/{filetype}> ;
  {"dcat:compressFormat <https://www.iana.org/assignments/media-types/application/gzip> ;" if f.gzip else ""}
  dcat:byteSize "{f.size}"^^xsd:nonNegativeInteger ;
  spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                  spdx:checksumValue "{f.sha256}"^^xsd:hexBinary ] ;
  dcterms:modified "{f.modified}"^^xsd:dateTime ;
  dcterms:license <{LICENCE}> ."""
        )
        out.append(f"<https://www.iana.org/assignments/media-types/{media}> a dcterms:MediaType .")
        out.append(f"<{EU}file-type/{filetype}> a dcterms:MediaTypeOrExtent .")
    out.append(
        f"""<https://www.iana.org/assignments/media-types/application/gzip> a dcterms:MediaType .
<{base}dataset#sparql> a dcat:Distribution ;
  dcterms:title "SPARQL 1.1 endpoint"@en ;
  dcat:accessURL <{base}sparql> ;
  dcat:accessService {service} ;
  dcterms:license <{LICENCE}> .
{service} a dcat:DataService ;
  dcterms:title "EU AI Factories Knowledge Graph SPARQL endpoint"@en ;
  dcterms:description "SPARQL 1.1 Protocol, read-only, over the knowledge graph and its OWL RL inferences."@en ;
  dcat:endpointURL <{base}sparql> ;
  dcat:endpointDescription <{base}sparql> ;
  dcat:servesDataset {ds} ;
  dcterms:conformsTo <https://www.w3.org/TR/sparql11-protocol/> ;
  dcterms:publisher {publisher} ;
  dcat:contactPoint {contact} ;
  dcterms:license <{LICENCE}> ;
  dcat:theme <{THEME}> .
<https://www.w3.org/TR/sparql11-protocol/> a dcterms:Standard ."""
    )
    return "\n".join(out) + "\n"


def _dist_id(name: str) -> str:
    return "dump-" + name.replace(".", "-")


PREFIXES = """@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def parse(turtle: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(PREFIXES + turtle, format=ox.RdfFormat.TURTLE)]
