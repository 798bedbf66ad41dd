"""Serialising the whole graph or the ontology release, for ``export`` and the dumps."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import IO

import pyoxigraph as ox

from .config import Settings
from .errors import InputError
from .negotiation import FORMATS, Format
from .ontology_release import FUNCTIONAL, RELEASE_FORMATS, build_release
from .prefixes import prefixes
from .snapshot import Snapshot

EXPORT_FORMATS = ("turtle", "ntriples", "rdfxml", "jsonld", "trig", "nquads")


def graph_quads(snapshot: Snapshot, settings: Settings, *, inferred: bool) -> list[ox.Quad]:
    """The asserted named graphs, plus the inferred graph when asked."""
    skip = None if inferred else settings.graph_iri("inferred")
    return [q for q in snapshot.quads() if q.graph_name.value != skip]


def ontology_quads(settings: Settings) -> list[ox.Quad]:
    """The ontology release (version IRI stamped by :mod:`.ontology_release`).

    In the default graph: a release is one RDF graph, and a JSON-LD or TriG reader that takes
    the default graph (Protégé, rdflib's ``Graph``, FOOPS!) must find the ontology there.
    """
    return [ox.Quad(t.subject, t.predicate, t.object) for t in build_release().triples]


def write(quads: Iterable[ox.Quad], fmt: Format, output: IO[bytes], settings: Settings) -> None:
    """Write quads; graph names are dropped for formats that hold a single graph."""
    if fmt.rdf is None:
        raise ValueError(f"{fmt.name} is not an RDF format")
    items: Iterable[ox.Quad | ox.Triple] = quads
    if not fmt.rdf.supports_datasets:
        items = list(dict.fromkeys(q.triple for q in quads))
    kwargs = (
        {"prefixes": prefixes(settings.base_iri)}
        if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)
        else {}
    )
    ox.serialize(items, output, format=fmt.rdf, **kwargs)


def ontology_document(format_name: str, settings: Settings) -> bytes:
    """The ontology release as ``export --ontology`` writes it.

    The released forms come from :mod:`.ontology_release` (with the edit source's prefixes);
    TriG and N-Quads hold the same triples in the default graph.
    """
    if format_name in RELEASE_FORMATS:
        return build_release().serialize(format_name)
    buffer = io.BytesIO()
    write(ontology_quads(settings), export_format(format_name), buffer, settings)
    return buffer.getvalue()


def export_format(name: str) -> Format:
    if name == FUNCTIONAL:
        raise InputError("--format ofn (OWL functional syntax) is for the ontology: add --ontology")
    return FORMATS[name]
