"""The prefixes we write in Turtle, TriG and JSON-LD output and pre-declare in the query UI."""

from __future__ import annotations


def prefixes(base_iri: str) -> dict[str, str]:
    return {
        "aif": f"{base_iri}ontology#",
        "aifsh": f"{base_iri}shapes#",
        "factory": f"{base_iri}id/factory/",
        "antenna": f"{base_iri}id/antenna/",
        "supercomputer": f"{base_iri}id/supercomputer/",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "owl": "http://www.w3.org/2002/07/owl#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dcterms": "http://purl.org/dc/terms/",
        "prov": "http://www.w3.org/ns/prov#",
        "org": "http://www.w3.org/ns/org#",
        "schema": "http://schema.org/",
        "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "void": "http://rdfs.org/ns/void#",
        "dcat": "http://www.w3.org/ns/dcat#",
    }


def sparql_prologue(base_iri: str) -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes(base_iri).items())
