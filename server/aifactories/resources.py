"""Blueprint for the dereferenceable IRIs: ``/id/{kind}/{slug}``, ``/ontology`` (and its version
IRIs) and ``/shapes``.

Following the W3C note "Cool URIs for the Semantic Web" (section 4.3, "303 URIs forwarding to
one generic document" / "to different documents"): an ``/id/`` IRI names a thing (a factory, a
country), not a document, so it answers ``303 See Other`` to the document chosen by ``Accept``:
``/id/x/y.html``, ``.ttl``, ``.jsonld``, ``.rdf`` or ``.nt``, each served ``200`` with
``Content-Location`` and ``Link: rel=alternate`` to the others.  The ontology and the shapes are
themselves documents (an ``owl:Ontology`` is an information resource), so ``/ontology`` and
``/shapes`` answer ``200`` directly, negotiated, with ``Content-Location`` naming the variant.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request

from . import bundle, describe
from .errors import NotAcceptable, NotFound
from .graph import KnowledgeGraph
from .i18n import choose_language, strings
from .negotiation import DOCUMENT_FORMATS, DOCUMENT_SUFFIXES, FORMATS, Format, choose
from .ontology_docs import (
    ontology_doc,
    parse_turtle,
    release_file,
    released_versions,
    shapes_doc,
)
from .ontology_release import build_release
from .prefixes import prefixes
from .rendering import local_path, resource_view
from .sitecache import descriptions, site_cache
from .web import current_graph, current_settings

bp = Blueprint("resources", __name__)

NEGOTIATED = DOCUMENT_FORMATS
SUFFIXES = DOCUMENT_SUFFIXES
SEGMENT = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CACHE_CONTROL = "public, max-age=300"


# ---- shared by the blueprints that serve RDF documents ---------------------------------------


def serialize(triples: Iterable[ox.Triple], fmt: Format, base_iri: str) -> bytes:
    """RDF bytes in ``fmt``, with the project's prefixes where the format has them."""
    if fmt.rdf is None:
        raise ValueError(f"{fmt.name} is not an RDF format")
    kwargs = (
        {"prefixes": prefixes(base_iri)}
        if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)
        else {}
    )
    return ox.serialize(list(triples), format=fmt.rdf, **kwargs) or b""


def not_modified(tag: str) -> Response | None:
    """A 304 when the client already holds ``tag``."""
    if request.if_none_match and request.if_none_match.contains(tag):
        response = Response(status=304)
        response.set_etag(tag)
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response
    return None


def finish(response: Response, tag: str, vary: str = "Accept") -> Response:
    response.set_etag(tag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = vary
    return response


def alternates(path: str, formats: Iterable[str] = NEGOTIATED) -> str:
    """A ``Link`` header value naming every variant of the document at ``path``."""
    return ", ".join(
        f'<{path}{FORMATS[name].suffix}>; rel="alternate"; type="{FORMATS[name].media_type}"'
        for name in formats
    )


def negotiate(candidates: tuple[str, ...] = NEGOTIATED) -> Format:
    """``choose`` plus the OWL API's habit of asking for plain ``application/xml``."""
    try:
        return choose(request.accept_mimetypes, candidates, request.args.get("format"))
    except NotAcceptable:
        accept = request.accept_mimetypes
        if "rdfxml" in candidates and (accept["application/xml"] or accept["text/xml"]):
            return FORMATS["rdfxml"]
        raise


def split_suffix(name: str) -> tuple[str, Format | None]:
    """``lumi.ttl`` -> (``lumi``, Turtle); a name without a known suffix is returned whole."""
    stem, dot, ext = name.rpartition(".")
    if dot and f".{ext}" in SUFFIXES:
        return stem, FORMATS[SUFFIXES[f".{ext}"]]
    return name, None


def data_tag(*parts: str) -> str:
    return "-".join((current_graph().snapshot.short_version, *parts))


# ---- /id/{kind}/{slug} ----------------------------------------------------------------------


@bp.get("/id/<kind>/<name>")
def resource(kind: str, name: str) -> Response:
    slug, fmt = split_suffix(name)
    if not SEGMENT.match(kind) or not SEGMENT.match(slug):
        raise NotFound(f"/id/{kind}/{name} is not a resource IRI of this knowledge graph")
    graph = current_graph()
    path = f"/id/{kind}/{slug}"
    iri = graph.settings.base_iri + path[1:]
    version = graph.snapshot.version
    if not descriptions().get((version, iri, "exists"), lambda: describe.exists(graph, iri)):
        raise NotFound(f"no resource {iri} in the knowledge graph")
    if fmt is None:
        chosen = negotiate()
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        response = redirect(f"{path}{chosen.suffix}{query}", 303)
        response.headers["Vary"] = "Accept, Accept-Language"
        response.headers["Link"] = alternates(path)
        return response
    lang = choose_language(request) if fmt.name == "html" else ""
    tag = data_tag(fmt.name, lang)
    cached = not_modified(tag)
    if cached is not None:
        return cached
    triples = descriptions().get((version, iri), lambda: describe.describe(graph, iri))
    if fmt.name == "html":
        body = resource_page(graph, iri, kind, triples, lang, path)
        response = Response(body, content_type=fmt.content_type)
        vary = "Accept, Accept-Language"
    else:
        response = Response(
            serialize(triples, fmt, graph.settings.base_iri), content_type=fmt.content_type
        )
        vary = "Accept"
    response.headers["Content-Location"] = f"{path}{fmt.suffix}"
    response.headers["Link"] = alternates(path)
    return finish(response, tag, vary)


def resource_page(
    graph: KnowledgeGraph, iri: str, kind: str, triples: list[ox.Triple], lang: str, path: str
) -> str:
    """The HTML page of a resource; a country's page also lists what is in the country."""
    settings = graph.settings
    term_labels = site_cache().get(
        (graph.snapshot.version, "term-labels"), lambda: describe.term_labels(graph)
    )
    view = resource_view(iri, triples, settings.base_iri, lang, term_labels)
    stated = descriptions().get(
        (graph.snapshot.version, iri, "types"), lambda: describe.asserted_types(graph, iri)
    )
    local = {local_path(t, settings.base_iri) or t for t in stated}
    view.types = [t for t in view.types if t["href"] in local] or view.types
    members = []
    if kind == "country":
        members = [
            {
                "href": local_path(r["s"].value, settings.base_iri) or r["s"].value,
                "label": r["label"].value if "label" in r else r["s"].value,
                "type": term_labels.get((r["type"].value, lang)) if "type" in r else "",
            }
            for r in describe.in_country(graph, iri)
        ]
    jsonld = serialize(triples, FORMATS["jsonld"], settings.base_iri).decode()
    return render_template(
        "resource.html",
        view=view,
        ui=strings(lang),
        lang=lang,
        path=path,
        formats=[FORMATS[n] for n in NEGOTIATED],
        jsonld=jsonld.replace("</", "<\\/"),
        members=members,
    )


# ---- /ontology and /shapes ------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A file served as RDF: its triples (for the HTML view) and its serialiser."""

    triples: list[ox.Triple]
    rdf: Callable[[Format], bytes]


def ontology_document(path: Path) -> Document:
    """The ontology release of ``path``: version IRI stamped, the source's prefixes kept."""
    release = build_release(path)
    return Document(list(release.triples), lambda fmt: release.serialize(fmt.name))


def shapes_document(path: Path) -> Document:
    triples = parse_turtle(path)
    return Document(triples, lambda fmt: serialize(triples, fmt, current_settings().base_iri))


def _document(
    path: Path,
    fmt: Format,
    served_at: str,
    load: Callable[[Path], Document],
    html: Callable[[list[ox.Triple], str], str],
) -> Response:
    content = path.read_bytes()
    lang = choose_language(request) if fmt.name == "html" else ""
    digest = hashlib.sha256(content).hexdigest()[:16]
    tag = f"{digest}-{served_at.rsplit('/', 1)[-1]}-{fmt.name}-{lang}"
    cached = not_modified(tag)
    if cached is not None:
        return cached
    document = site_cache().get(("document", str(path), digest), lambda: load(path))
    if fmt.name == "html":
        body = html(document.triples, lang)
    else:
        body = site_cache().get(
            ("document", str(path), digest, fmt.name), lambda: document.rdf(fmt)
        )
    response = Response(body, content_type=fmt.content_type)
    response.headers["Content-Location"] = f"{served_at}{fmt.suffix}"
    response.headers["Link"] = alternates(served_at)
    return finish(response, tag, "Accept, Accept-Language")


def _ontology_html(triples: list[ox.Triple], lang: str) -> str:
    settings = current_settings()
    doc = ontology_doc(triples, settings.ontology_iri)
    return render_template(
        "ontology.html",
        doc=doc,
        ui=strings(lang),
        lang=lang,
        path="/ontology",
        formats=[FORMATS[n] for n in NEGOTIATED],
        releases=released_versions(),
        base_iri=settings.base_iri,
        jsonld=json.dumps(
            {
                "@context": "https://schema.org/",
                "@type": "DefinedTermSet",
                "@id": settings.ontology_iri,
                "name": doc.title.get("en", ""),
                "version": doc.version,
                "license": doc.license,
            }
        ).replace("</", "<\\/"),
    )


def _shapes_html(triples: list[ox.Triple], lang: str) -> str:
    return render_template(
        "shapes.html",
        shapes=shapes_doc(triples),
        ui=strings(lang),
        lang=lang,
        path="/shapes",
        formats=[FORMATS[n] for n in NEGOTIATED],
    )


@bp.get("/ontology")
@bp.get("/ontology.<ext>")
def ontology(ext: str | None = None) -> Response:
    fmt = _suffix_or_negotiated(ext)
    return _document(bundle.ontology_file(), fmt, "/ontology", ontology_document, _ontology_html)


@bp.get("/ontology/<name>")
def ontology_version(name: str) -> Response:
    """A version IRI: the current file if its ``owl:versionInfo`` matches, else a release."""
    version, fmt = _split_version(name)
    current = bundle.ontology_file()
    current_version = site_cache().get(
        ("ontology-version", current.stat().st_mtime), lambda: build_release(current).version
    )
    path = current if version == current_version else release_file(version)
    if path is None:
        known = ", ".join(sorted({*released_versions(), current_version or ""} - {""}))
        raise NotFound(f"no ontology version {version!r}; versions served: {known}")
    return _document(path, fmt, f"/ontology/{version}", ontology_document, _ontology_html)


@bp.get("/shapes")
@bp.get("/shapes.<ext>")
def shapes(ext: str | None = None) -> Response:
    fmt = _suffix_or_negotiated(ext)
    path = bundle.shapes_file()
    if not path.is_file():
        raise NotFound(
            "the SHACL shapes are not published yet: ontology/aifactories.shapes.ttl is missing"
        )
    return _document(path, fmt, "/shapes", shapes_document, _shapes_html)


def _suffix_or_negotiated(ext: str | None) -> Format:
    if ext is None:
        return negotiate()
    name = SUFFIXES.get(f".{ext}")
    if name is None:
        raise NotFound(f"no variant .{ext}; suffixes: {', '.join(SUFFIXES)}")
    return FORMATS[name]


def _split_version(name: str) -> tuple[str, Format]:
    match = re.match(r"^(\d+\.\d+\.\d+)(?:\.([a-z]+))?$", name)
    if match is None:
        raise NotFound(f"/ontology/{name} is not a version IRI (expected /ontology/X.Y.Z)")
    version, ext = match.groups()
    return version, _suffix_or_negotiated(ext)
