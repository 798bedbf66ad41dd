"""The ontology release: the one edit source, stamped and serialised.

As in the OBO Ontology Development Kit, ``ontology/aifactories.ttl`` is the only file people
edit; every released form (Turtle, RDF/XML, JSON-LD, N-Triples, OWL functional syntax) is
generated from it, so the forms cannot drift apart.  The build stamps ``owl:versionIRI`` from
``owl:versionInfo`` (``{ontology IRI}/{X.Y.Z}``): the version is written in one place.  A
hand-written ``owl:versionIRI`` in the source must agree with it, or no release is produced:
the source is also what ``/ontology`` serves, and a stale version IRI there would contradict
the release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import bundle
from .errors import AIFactoriesError, InputError
from .loading import FORMATS as FILE_FORMATS
from .loading import SourceFile, read_files

OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
OWL_ONTOLOGY = ox.NamedNode(OWL + "Ontology")
OWL_VERSION_IRI = ox.NamedNode(OWL + "versionIRI")
OWL_VERSION_INFO = ox.NamedNode(OWL + "versionInfo")

#: A release number: three dot-separated integers (semantic versioning, no suffixes).
VERSION_PATTERN = re.compile(r"\d+\.\d+\.\d+")

#: Released RDF forms: format name (as in :mod:`aifactories.negotiation`) -> Oxigraph format.
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "ntriples": ox.RdfFormat.N_TRIPLES,
}
#: OWL functional syntax, written by py-horned-owl when it is installed.
FUNCTIONAL = "ofn"
RELEASE_FORMATS = (*RDF_FORMATS, FUNCTIONAL)


@dataclass(frozen=True)
class Release:
    """The stamped ontology: its triples in source order and the prefixes the source declares."""

    ontology_iri: str
    version: str
    triples: tuple[ox.Triple, ...]
    prefixes: tuple[tuple[str, str], ...]

    @property
    def version_iri(self) -> str:
        return f"{self.ontology_iri}/{self.version}"

    def serialize(self, format_name: str) -> bytes:
        """The release in one of :data:`RELEASE_FORMATS`.

        RDF forms keep the source's prefixes: besides readability, RDF/XML then writes
        ``<owl:Ontology>`` rather than ``<Ontology xmlns=...>``, which owlready2 takes for OWL/XML.
        """
        if format_name == FUNCTIONAL:
            return self._functional_syntax().encode("utf-8")
        try:
            rdf_format = RDF_FORMATS[format_name]
        except KeyError:
            raise InputError(
                f"the ontology is released as {', '.join(RELEASE_FORMATS)}, not {format_name!r}"
            ) from None
        return ox.serialize(self.triples, format=rdf_format, prefixes=dict(self.prefixes))

    def _functional_syntax(self) -> str:
        try:
            import pyhornedowl
        except ImportError:
            raise AIFactoriesError(
                "OWL functional syntax is written by py-horned-owl: pip install py-horned-owl"
            ) from None
        rdfxml = self.serialize("rdfxml").decode("utf-8")
        return pyhornedowl.open_ontology_from_string(rdfxml, "rdf").save_to_string("ofn")


def build_release(source: Path | None = None) -> Release:
    """Read the edit source (default: the bundled ontology) and stamp its version IRI.

    Raises :class:`InputError` when the file does not declare exactly one ``owl:Ontology`` with
    an IRI and exactly one ``owl:versionInfo`` of the form ``X.Y.Z``, or when it states an
    ``owl:versionIRI`` other than the stamped one.
    """
    path = source or bundle.ontology_file()
    if FILE_FORMATS.get(path.suffix) not in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        raise InputError(f"{path}: the ontology's edit source must be Turtle (.ttl) or N-Triples")
    (file,) = read_files([path])
    triples, prefixes = _parse(file)
    ontology = _ontology_node(triples, path)
    version = _version(triples, ontology, path)
    stamped = ox.Triple(ontology, OWL_VERSION_IRI, ox.NamedNode(f"{ontology.value}/{version}"))
    stale = [
        t.object.value
        for t in triples
        if t.subject == ontology and t.predicate == OWL_VERSION_IRI and t != stamped
    ]
    if stale:
        raise InputError(
            f"{path}: owl:versionIRI <{stale[0]}> disagrees with owl:versionInfo {version!r}: "
            f"write <{stamped.object.value}> or leave owl:versionIRI out (the release stamps it)"
        )
    return Release(
        ontology_iri=ontology.value,
        version=version,
        triples=_stamp(triples, ontology, stamped),
        prefixes=tuple(prefixes.items()),
    )


def _parse(file: SourceFile) -> tuple[list[ox.Triple], dict[str, str]]:
    parser = ox.parse(file.content, format=file.format, base_iri=file.path.as_uri())
    try:
        triples = [quad.triple for quad in parser]
    except SyntaxError as exc:
        raise InputError(f"{file.path}:{exc.lineno}: {exc.msg}") from None
    return triples, dict(parser.prefixes)


def _ontology_node(triples: list[ox.Triple], path: Path) -> ox.NamedNode:
    found = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object == OWL_ONTOLOGY}
    named = [s for s in found if isinstance(s, ox.NamedNode)]
    if len(found) != 1 or len(named) != 1:
        raise InputError(f"{path}: expected one owl:Ontology with an IRI, found {len(found)}")
    return named[0]


def _version(triples: list[ox.Triple], ontology: ox.NamedNode, path: Path) -> str:
    values = [
        t.object for t in triples if t.subject == ontology and t.predicate == OWL_VERSION_INFO
    ]
    if len(values) != 1 or not isinstance(values[0], ox.Literal):
        raise InputError(f"{path}: expected one owl:versionInfo literal, found {len(values)}")
    version = values[0].value.strip()
    if not VERSION_PATTERN.fullmatch(version):
        raise InputError(f"{path}: owl:versionInfo {version!r} is not a release number X.Y.Z")
    return version


def _stamp(
    triples: list[ox.Triple], ontology: ox.NamedNode, stamped: ox.Triple
) -> tuple[ox.Triple, ...]:
    """Put ``stamped`` where the source has its version IRI, or else after ``a owl:Ontology``."""
    if stamped in triples:
        return tuple(triples)
    out: list[ox.Triple] = []
    placed = False
    for triple in triples:
        out.append(triple)
        if not placed and triple.subject == ontology and triple.object == OWL_ONTOLOGY:
            out.append(stamped)
            placed = True
    return tuple(out)
