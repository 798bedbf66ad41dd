"""Blueprint for harvesters: the VoID + DCAT description (``/dataset``, ``/.well-known/void``),
the DCAT-AP catalogue (``/catalog``), the dumps (``/download/``), ``robots.txt`` and the sitemap.

Everything here is computed once per data version (statistics through the store, dumps into the
cache folder) and revalidated by ``ETag``: a harvester polling daily gets 304s until the data
changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, send_file

from . import describe, dumps
from .dataset_meta import Statistics, dcat_turtle, parse, statistics, void_turtle
from .errors import NotFound
from .i18n import choose_language, strings
from .negotiation import FORMATS
from .rendering import local_path
from .resources import (
    CACHE_CONTROL,
    NEGOTIATED,
    SUFFIXES,
    alternates,
    data_tag,
    finish,
    negotiate,
    not_modified,
    serialize,
)
from .sitecache import site_cache
from .web import current_graph

bp = Blueprint("catalog", __name__)


@dataclass(frozen=True)
class Description:
    """The dataset's description for one data version."""

    stats: Statistics
    dumps: dumps.Dumps
    void: list[ox.Triple]
    dcat: list[ox.Triple]


def description() -> Description:
    graph = current_graph()

    def build() -> Description:
        stats = statistics(graph)
        built = dumps.ensure(graph.snapshot, graph.settings)
        return Description(
            stats,
            built,
            parse(void_turtle(graph, stats, built)),
            parse(dcat_turtle(graph, stats, built)),
        )

    return site_cache().get((graph.snapshot.version, "dataset-description"), build)


def _rdf_document(
    path: str, name: str, ext: str | None, triples_of: Callable[[Description], list[ox.Triple]]
) -> Response:
    """A description document, negotiated (or by suffix), with ETag and alternates."""
    if ext is None:
        fmt = negotiate()
    elif f".{ext}" in SUFFIXES:
        fmt = FORMATS[SUFFIXES[f".{ext}"]]
    else:
        raise NotFound(f"no variant .{ext} of {path}")
    lang = choose_language(request) if fmt.name == "html" else ""
    tag = data_tag(name, fmt.name, lang)
    cached = not_modified(tag)
    if cached is not None:
        return cached
    desc = description()
    base = current_graph().settings.base_iri
    if fmt.name == "html":
        body = render_template(
            "dataset.html",
            ui=strings(lang),
            lang=lang,
            desc=desc,
            path=path,
            formats=[FORMATS[n] for n in NEGOTIATED],
            base_iri=base,
            local=lambda iri: local_path(iri, base) or iri,
        )
        response = Response(body, content_type=fmt.content_type)
    else:
        response = Response(serialize(triples_of(desc), fmt, base), content_type=fmt.content_type)
    response.headers["Content-Location"] = f"{path}{fmt.suffix}"
    response.headers["Link"] = alternates(path)
    return finish(response, tag, "Accept, Accept-Language")


@bp.get("/dataset")
@bp.get("/dataset.<ext>")
def dataset(ext: str | None = None) -> Response:
    """VoID and DCAT in one description, as VoID's discovery rules expect at the dataset IRI."""
    return _rdf_document("/dataset", "dataset", ext, lambda d: d.void + d.dcat)


@bp.get("/.well-known/void")
def well_known_void() -> Response:
    return _rdf_document("/dataset", "dataset", None, lambda d: d.void + d.dcat)


@bp.get("/catalog")
@bp.get("/catalog.<ext>")
def catalog(ext: str | None = None) -> Response:
    """The DCAT-AP 3.0.1 catalogue a portal harvests."""
    return _rdf_document("/catalog", "catalog", ext, lambda d: d.dcat)


@bp.get("/download/")
def downloads() -> Response:
    return _rdf_document("/dataset", "dataset", "html", lambda d: d.void + d.dcat)


@bp.get("/download/<name>")
def download(name: str) -> Response:
    desc = description()
    entry = desc.dumps.get(name)
    if entry is None:
        raise NotFound(f"no dump {name!r}; dumps: {', '.join(f.name for f in desc.dumps.files)}")
    mimetype = "application/gzip" if entry.gzip else FORMATS[entry.format].content_type
    response = send_file(
        desc.dumps.folder / entry.name,
        mimetype=mimetype,
        etag=data_tag(name),
        conditional=True,
        max_age=300,
        download_name=entry.name,
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    root = request.url_root
    body = f"User-agent: *\nAllow: /\nDisallow: /sparql\nSitemap: {root}sitemap.xml\n"
    return Response(body, content_type="text/plain; charset=utf-8")


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    tag = data_tag("sitemap")
    cached = not_modified(tag)
    if cached is not None:
        return cached
    graph = current_graph()
    iris = site_cache().get(
        (graph.snapshot.version, "all-resources"), lambda: describe.all_resources(graph)
    )
    root = request.url_root.rstrip("/")
    pages = [
        "/",
        "/factories",
        "/countries",
        "/id/",
        "/ontology",
        "/dataset",
        "/catalog",
        "/queries",
    ]
    pages += [f"{local_path(i, graph.settings.base_iri)}.html" for i in iris]
    lastmod = graph.snapshot.built_at[:10]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(
            f"<url><loc>{escape(root + p)}</loc><lastmod>{lastmod}</lastmod></url>\n" for p in pages
        )
        + "</urlset>\n"
    )
    return finish(Response(body, content_type="application/xml; charset=utf-8"), tag, "Accept")
