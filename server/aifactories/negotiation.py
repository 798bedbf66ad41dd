"""Media types <-> formats, in one table, and the choice of a format for a request.

Accept parsing and q-values are werkzeug's (``MIMEAccept.best_match``); this module only says
which formats each kind of response can take and which one ``*/*`` gets.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    """A serialisation we can produce."""

    name: str
    media_type: str
    suffix: str | None = None
    aliases: tuple[str, ...] = ()
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)

    @property
    def content_type(self) -> str:
        textual = self.media_type.startswith("text/") or self.media_type.endswith(
            ("json", "xml", "turtle", "trig", "n-triples", "n-quads")
        )
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


R = ox.QueryResultsFormat
F = ox.RdfFormat

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        # SPARQL results (SELECT, ASK)
        Format(
            "json", "application/sparql-results+json", ".srj", ("application/json",), results=R.JSON
        ),
        Format(
            "xml",
            "application/sparql-results+xml",
            ".srx",
            ("application/xml", "text/xml"),
            results=R.XML,
        ),
        Format("csv", "text/csv", ".csv", results=R.CSV),
        Format("tsv", "text/tab-separated-values", ".tsv", results=R.TSV),
        # RDF (CONSTRUCT, DESCRIBE, resources, dumps)
        Format("turtle", "text/turtle", ".ttl", ("application/x-turtle",), rdf=F.TURTLE),
        Format("ntriples", "application/n-triples", ".nt", ("text/plain",), rdf=F.N_TRIPLES),
        Format("rdfxml", "application/rdf+xml", ".rdf", ("application/owl+xml",), rdf=F.RDF_XML),
        Format("jsonld", "application/ld+json", ".jsonld", rdf=F.JSON_LD),
        Format("trig", "application/trig", ".trig", rdf=F.TRIG),
        Format("nquads", "application/n-quads", ".nq", rdf=F.N_QUADS),
        # People
        Format("html", "text/html", ".html", ("application/xhtml+xml",)),
    )
}

RESULTS_FORMATS = ("json", "xml", "csv", "tsv", "html")
GRAPH_FORMATS = ("turtle", "ntriples", "rdfxml", "jsonld", "trig", "nquads", "html")
#: Documents (resources, the ontology, VoID): RDF first, so ``*/*`` gets Turtle, HTML only
#: when a browser prefers it.
DOCUMENT_FORMATS = ("turtle", "rdfxml", "jsonld", "ntriples", "html")

#: Short names accepted in ``?format=`` besides the canonical ones.
_ALIASES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "rdf": "rdfxml",
    "owl": "rdfxml",
    "xml+rdf": "rdfxml",
    "json-ld": "jsonld",
    "srj": "json",
    "srx": "xml",
    "nq": "nquads",
    "text/html": "html",
}


def by_name(name: str) -> Format | None:
    """A format from a ``format=`` value: a short name or a media type."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in FORMATS:
        return FORMATS[key]
    return next((f for f in FORMATS.values() if key in f.media_types), None)


def choose(accept: MIMEAccept, candidates: tuple[str, ...], override: str | None = None) -> Format:
    """Pick the best of ``candidates`` (format names, first = default for ``*/*``).

    ``override`` (a ``format=`` parameter) wins over the Accept header.  Raises
    :class:`NotAcceptable` when nothing the client accepts can be produced.
    """
    if override:
        chosen = by_name(override)
        if chosen is None or chosen.name not in candidates:
            raise NotAcceptable(
                f"format {override!r} is not available here; choose one of {', '.join(candidates)}"
            )
        return chosen
    if not accept:  # no Accept header at all: the default
        return FORMATS[candidates[0]]
    offered = [mt for name in candidates for mt in FORMATS[name].media_types]
    best = accept.best_match(offered)
    if best is None:
        raise NotAcceptable(
            "none of the accepted media types can be produced; available: "
            + ", ".join(FORMATS[n].media_type for n in candidates)
        )
    return next(f for f in (FORMATS[n] for n in candidates) if best in f.media_types)


@functools.lru_cache(maxsize=1024)
def choose_for_header(
    accept_header: str, candidates: tuple[str, ...], override: str | None = None
) -> Format:
    """:func:`choose` for a raw ``Accept`` header, memoised: clients send a handful of distinct
    headers, and parsing and matching one was 7 % of an uncached query's CPU."""
    return choose(parse_accept_header(accept_header, MIMEAccept), candidates, override)


#: Document suffixes, from the table (``.owl`` is RDF/XML too, as Protégé users expect).
DOCUMENT_SUFFIXES: dict[str, str] = {
    **{FORMATS[name].suffix or "": name for name in DOCUMENT_FORMATS},
    ".owl": "rdfxml",
}
