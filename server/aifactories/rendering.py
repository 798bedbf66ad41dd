"""From triples to what a page shows: labels in the reader's language, links, and the view of
one resource (facts, incoming links, sources, claims, uncertainty).

Plain functions over pyoxigraph terms, so tests can call them without HTTP.  IRIs under the
public base are turned into this server's own paths (``{base}id/x/y`` -> ``/id/x/y``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from .describe import LABEL_PREDICATES
from .prefixes import prefixes

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
AIF = "ontology#"
DCT_SOURCE = "http://purl.org/dc/terms/source"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
Term = ox.NamedNode | ox.BlankNode | ox.Literal
#: Labels of common terms the ontology reuses without labelling them: (IRI, lang) -> label.
COMMON_LABELS = {
    ("http://www.w3.org/2004/02/skos/core#note", "en"): "note",
    ("http://www.w3.org/2004/02/skos/core#note", "fr"): "note",
    ("http://www.w3.org/2004/02/skos/core#editorialNote", "en"): "editorial note",
    ("http://www.w3.org/2004/02/skos/core#editorialNote", "fr"): "note éditoriale",
    ("http://www.w3.org/2004/02/skos/core#definition", "en"): "definition",
    ("http://www.w3.org/2004/02/skos/core#definition", "fr"): "définition",
    ("http://www.w3.org/2004/02/skos/core#altLabel", "en"): "also known as",
    ("http://www.w3.org/2004/02/skos/core#altLabel", "fr"): "autre nom",
    ("http://www.w3.org/2004/02/skos/core#prefLabel", "en"): "name",
    ("http://www.w3.org/2004/02/skos/core#prefLabel", "fr"): "nom",
    ("http://www.w3.org/2000/01/rdf-schema#comment", "en"): "comment",
    ("http://www.w3.org/2000/01/rdf-schema#comment", "fr"): "commentaire",
    ("http://www.w3.org/2000/01/rdf-schema#seeAlso", "en"): "see also",
    ("http://www.w3.org/2000/01/rdf-schema#seeAlso", "fr"): "voir aussi",
    ("http://purl.org/dc/terms/date", "en"): "date",
    ("http://purl.org/dc/terms/date", "fr"): "date",
    ("http://purl.org/dc/terms/title", "en"): "title",
    ("http://purl.org/dc/terms/title", "fr"): "titre",
    ("http://purl.org/dc/terms/publisher", "en"): "publisher",
    ("http://purl.org/dc/terms/publisher", "fr"): "éditeur",
    ("http://purl.org/dc/terms/language", "en"): "language",
    ("http://purl.org/dc/terms/language", "fr"): "langue",
}


def local_path(iri: str, base_iri: str) -> str | None:
    """This server's path for an IRI under the public base, else ``None``."""
    return "/" + iri[len(base_iri) :] if iri.startswith(base_iri) else None


def iri_for_path(path: str, base_iri: str) -> str:
    return base_iri + path.lstrip("/")


def compact(iri: str, base_iri: str) -> str:
    """``aif:Name`` for IRIs in a known namespace, else the IRI."""
    best = ""
    for prefix, ns in prefixes(base_iri).items():
        if iri.startswith(ns) and len(ns) > len(best) and "/" not in iri[len(ns) :]:
            best = ns
            name = f"{prefix}:{iri[len(ns) :]}"
    return name if best else iri


class Index:
    """Triples indexed by subject and by object, plus label lookup in a preferred language."""

    def __init__(
        self,
        triples: Iterable[ox.Triple],
        base_iri: str,
        lang: str,
        term_labels: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.base_iri, self.lang = base_iri, lang
        self.term_labels = term_labels or {}
        self.out: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        self.into: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            s = _key(t.subject)
            if t.object not in self.out[s][t.predicate.value]:
                self.out[s][t.predicate.value].append(t.object)
            if isinstance(t.object, ox.NamedNode | ox.BlankNode):
                self.into[_key(t.object)][t.predicate.value].append(t.subject)

    def values(self, subject: Term, predicate: str) -> list[Term]:
        return self.out.get(_key(subject), {}).get(predicate, [])

    def first(self, subject: Term, predicate: str) -> Term | None:
        found = self.values(subject, predicate)
        return found[0] if found else None

    def label(self, term: Term) -> str:
        """The best label: reader's language, then English, then untagged, then any."""
        if isinstance(term, ox.Literal):
            return term.value
        literals = [
            v for p in LABEL_PREDICATES for v in self.values(term, p) if isinstance(v, ox.Literal)
        ]
        for wanted in (self.lang, "en", ""):
            for lit in literals:
                if (lit.language or "") == wanted:
                    return lit.value
        if literals:
            return literals[0].value
        if isinstance(term, ox.BlankNode):
            return "…"
        for wanted in (self.lang, "en", ""):
            for table in (self.term_labels, COMMON_LABELS):
                if (term.value, wanted) in table:
                    return table[(term.value, wanted)]
        return compact(term.value, self.base_iri)

    def link(self, term: Term) -> dict[str, str | None]:
        """What a template needs to show a term: text, href and a language or datatype note."""
        if isinstance(term, ox.Literal):
            text = term.value
            if term.datatype.value == XSD_BOOLEAN:
                text = {"true": "✓", "false": "✗"}.get(text, text)
            return {"text": text, "href": None, "note": term.language or None}
        if isinstance(term, ox.BlankNode):
            inner = "; ".join(
                f"{self.label(ox.NamedNode(p))}: {', '.join(self.label(v) for v in vs)}"
                for p, vs in self.out.get(_key(term), {}).items()
                if p != RDF_TYPE
            )
            return {"text": inner or "…", "href": None, "note": None}
        href = local_path(term.value, self.base_iri) or term.value
        return {"text": self.label(term), "href": href, "note": None}


def _key(term: Term) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


@dataclass
class ResourceView:
    """Everything the resource page shows, in the reader's language."""

    iri: str
    title: str
    types: list[dict[str, str | None]]
    facts: list[tuple[dict[str, str | None], list[dict[str, str | None]]]]
    incoming: list[tuple[dict[str, str | None], list[dict[str, str | None]]]]
    sources: list[dict[str, object]]
    claims: list[dict[str, object]]
    uncertain: bool = False
    uncertainty_notes: list[str] = field(default_factory=list)
    description: str | None = None


def resource_view(
    iri: str,
    triples: list[ox.Triple],
    base_iri: str,
    lang: str,
    term_labels: Mapping[tuple[str, str], str],
) -> ResourceView:
    index = Index(triples, base_iri, lang, term_labels)
    me = ox.NamedNode(iri)
    aif = base_iri + AIF
    shown_apart = {
        RDF_TYPE,
        DCT_SOURCE,
        aif + "uncertain",
        aif + "uncertaintyNote",
        *LABEL_PREDICATES,
    }
    facts = []
    for predicate, objects in index.out.get(iri, {}).items():
        if predicate in shown_apart:
            continue
        values = sorted((index.link(o) for o in _prefer_lang(objects, lang)), key=_text)
        facts.append((index.link(ox.NamedNode(predicate)), values))
    facts.sort(key=lambda f: str(f[0]["text"]).lower())
    incoming = []
    for predicate, subjects in index.into.get(iri, {}).items():
        if predicate in (aif + "concerns",):
            continue
        links = sorted((index.link(s) for s in dict.fromkeys(subjects)), key=_text)
        incoming.append((index.link(ox.NamedNode(predicate)), links))
    incoming.sort(key=lambda f: str(f[0]["text"]).lower())
    sources = [_source(index, s, aif) for s in index.values(me, DCT_SOURCE)]
    sources.sort(key=lambda s: str(s["title"]).lower())
    claims = [_claim(index, c, aif) for c in index.into.get(iri, {}).get(aif + "concerns", [])]
    flags = index.values(me, aif + "uncertain")
    description = next(
        (
            v.value
            for p in (
                "http://purl.org/dc/terms/description",
                "http://www.w3.org/2000/01/rdf-schema#comment",
            )
            for v in _prefer_lang(index.values(me, p), lang)
        ),
        None,
    )
    return ResourceView(
        iri=iri,
        title=index.label(me),
        types=[index.link(t) for t in index.values(me, RDF_TYPE)],
        facts=facts,
        incoming=incoming,
        sources=sources,
        claims=claims,
        uncertain=any(isinstance(f, ox.Literal) and f.value == "true" for f in flags),
        uncertainty_notes=[
            v.value for v in _prefer_lang(index.values(me, aif + "uncertaintyNote"), lang)
        ],
        description=description,
    )


def _text(link: dict[str, str | None]) -> str:
    return str(link["text"]).lower()


def _prefer_lang(values: list[Term], lang: str) -> list[Term]:
    """Of several language versions of a literal, keep the reader's (or English); keep the rest."""
    tagged = [v for v in values if isinstance(v, ox.Literal) and v.language]
    if not tagged:
        return values
    langs = {v.language for v in tagged}
    keep = lang if lang in langs else ("en" if "en" in langs else None)
    if keep is None:
        return values
    return [
        v for v in values if not (isinstance(v, ox.Literal) and v.language and v.language != keep)
    ]


def _source(index: Index, source: Term, aif: str) -> dict[str, object]:
    url = index.first(source, "http://schema.org/url")
    reliability = index.first(source, aif + "reliability")
    return {
        "link": index.link(source),
        "title": index.label(source),
        "url": url.value if isinstance(url, ox.NamedNode | ox.Literal) else None,
        "date": _value(index.first(source, "http://purl.org/dc/terms/date")),
        "publisher": _value(index.first(source, "http://purl.org/dc/terms/publisher"), index),
        "reliability": index.label(reliability) if reliability is not None else None,
    }


def _claim(index: Index, claim: Term, aif: str) -> dict[str, object]:
    source = index.first(claim, DCT_SOURCE)
    assessment = index.first(claim, aif + "assessment")
    return {
        "link": index.link(claim),
        "quotation": _value(index.first(claim, aif + "quotation")),
        "assessment": index.label(assessment) if assessment is not None else None,
        "correction": _value(
            next(iter(_prefer_lang(index.values(claim, aif + "correction"), index.lang)), None)
        ),
        "source": index.link(source) if source is not None else None,
        "seed": source is not None and source.value.endswith("/id/source/seed-article"),
        "evidence": [index.link(e) for e in index.values(claim, aif + "evidence")],
    }


def _value(term: Term | None, index: Index | None = None) -> str | None:
    if term is None:
        return None
    if index is not None:
        return index.label(term)
    return term.value
