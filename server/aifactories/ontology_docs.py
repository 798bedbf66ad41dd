"""The ontology and the shapes as documents: which file holds a version, its triples, and the
documentation model (classes, properties, the model at a glance) the HTML page shows.

The current ontology is ``ontology/aifactories.ttl`` of the bundle (its ``owl:versionInfo`` names
the version it answers for); released versions live in ``ontology/releases/X.Y.Z/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import bundle

VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def parse_turtle(path: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]


def version_info(triples: list[ox.Triple]) -> str | None:
    for t in triples:
        if t.predicate.value == OWL + "versionInfo":
            return t.object.value
    return None


def release_file(version: str) -> Path | None:
    """The Turtle file of a released version, if ``ontology/releases/{version}/`` holds one."""
    if not VERSION_PATTERN.match(version):
        return None
    folder = bundle.root() / "ontology" / "releases" / version
    if not folder.is_dir():
        return None
    preferred = folder / "aifactories.ttl"
    if preferred.is_file():
        return preferred
    candidates = sorted(p for p in folder.glob("*.ttl") if "shapes" not in p.name)
    return candidates[0] if candidates else None


def released_versions() -> list[str]:
    folder = bundle.root() / "ontology" / "releases"
    if not folder.is_dir():
        return []
    return sorted(
        (p.name for p in folder.iterdir() if release_file(p.name) is not None),
        key=lambda v: tuple(int(x) for x in v.split(".")),
    )


@dataclass
class Term:
    iri: str
    anchor: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    parents: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)


@dataclass
class OntologyDoc:
    iri: str
    title: dict[str, str]
    description: dict[str, str]
    version: str | None
    version_iri: str | None
    license: str | None
    classes: list[Term]
    properties: list[Term]
    #: Labels of every IRI the file labels, its own terms and the reused ones: IRI -> lang -> label.
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def children(self, iri: str | None) -> list[Term]:
        """Classes directly under ``iri`` (``None``: the top of the ontology's own hierarchy)."""
        own = {c.iri for c in self.classes}
        if iri is None:
            return [c for c in self.classes if not any(p in own for p in c.parents)]
        return [c for c in self.classes if iri in c.parents]

    def label(self, iri: str, lang: str) -> str:
        labels = self.labels.get(iri, {})
        return labels.get(lang) or labels.get("en") or iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _by_lang(values: list[ox.Term]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        if isinstance(v, ox.Literal):
            out.setdefault(v.language or "en", v.value)
    return out


def ontology_doc(triples: list[ox.Triple], ontology_iri: str) -> OntologyDoc:
    """Classes and properties defined by the ontology (``rdfs:isDefinedBy`` it, or in its
    namespace), with labels and definitions per language, parents, domains and ranges."""
    out: dict[str, dict[str, list[ox.Term]]] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            out.setdefault(t.subject.value, {}).setdefault(t.predicate.value, []).append(t.object)
    namespace = ontology_iri + "#"
    kinds = {
        OWL + "Class": "class",
        OWL + "ObjectProperty": "object property",
        OWL + "DatatypeProperty": "datatype property",
        OWL + "AnnotationProperty": "annotation property",
    }
    classes, properties = [], []
    for iri, props in out.items():
        if not iri.startswith(namespace):
            continue
        types = [k for k in (v.value for v in props.get(RDF_TYPE, [])) if k in kinds]
        if not types:
            continue
        term = Term(
            iri=iri,
            anchor=iri[len(namespace) :],
            kind=kinds[types[0]],
            labels=_by_lang(props.get(RDFS + "label", [])),
            definitions=_by_lang(
                props.get(SKOS + "definition", []) or props.get(RDFS + "comment", [])
            ),
            parents=[
                v.value
                for v in props.get(RDFS + "subClassOf", []) + props.get(RDFS + "subPropertyOf", [])
                if isinstance(v, ox.NamedNode)
            ],
            domain=[v.value for v in props.get(RDFS + "domain", []) if isinstance(v, ox.NamedNode)],
            range=[v.value for v in props.get(RDFS + "range", []) if isinstance(v, ox.NamedNode)],
        )
        (classes if term.kind == "class" else properties).append(term)
    head = out.get(ontology_iri, {})
    version_iri = head.get(OWL + "versionIRI", [None])[0]
    licence = head.get("http://purl.org/dc/terms/license", [None])[0]
    return OntologyDoc(
        iri=ontology_iri,
        title=_by_lang(head.get("http://purl.org/dc/terms/title", [])),
        description=_by_lang(head.get("http://purl.org/dc/terms/description", [])),
        version=version_info(triples),
        version_iri=version_iri.value if version_iri is not None else None,
        license=licence.value if licence is not None else None,
        classes=sorted(classes, key=lambda t: t.anchor.lower()),
        properties=sorted(properties, key=lambda t: t.anchor.lower()),
        labels={iri: _by_lang(props.get(RDFS + "label", [])) for iri, props in out.items()},
    )


@dataclass
class ShapeDoc:
    iri: str
    targets: list[str]
    paths: list[tuple[str, str]]


def shapes_doc(triples: list[ox.Triple]) -> list[ShapeDoc]:
    """Node shapes with their targets and the paths (with a short constraint summary)."""
    out: dict[str, dict[str, list[ox.Term]]] = {}
    for t in triples:
        key = t.subject.value if isinstance(t.subject, ox.NamedNode) else "_:" + t.subject.value
        out.setdefault(key, {}).setdefault(t.predicate.value, []).append(t.object)

    def key(term: ox.Term) -> str:
        return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value

    shapes = []
    for iri, props in out.items():
        if not any(v.value == SH + "NodeShape" for v in props.get(RDF_TYPE, [])):
            continue
        paths = []
        for prop in props.get(SH + "property", []):
            p = out.get(key(prop), {})
            path = p.get(SH + "path", [None])[0]
            summary = ", ".join(
                f"{name.rsplit('#', 1)[-1]} {v.value.rsplit('#', 1)[-1]}"
                for name in (SH + "minCount", SH + "maxCount", SH + "datatype", SH + "class")
                for v in p.get(name, [])
            )
            paths.append(
                (path.value if isinstance(path, ox.NamedNode) else "(complex path)", summary)
            )
        shapes.append(
            ShapeDoc(
                iri=iri,
                targets=[v.value for v in props.get(SH + "targetClass", [])],
                paths=sorted(paths),
            )
        )
    return sorted(shapes, key=lambda s: s.iri)
