"""Blueprint for people and operators: the landing page (counts and map), the indexes (per
kind, the factories table, the countries), liveness and readiness.

Views read the request and render; the data comes from :mod:`describe` (through the store) and
is memoised per data version, so pages cost one query set per version, not per request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, jsonify, render_template, request

from . import __version__, describe
from .errors import BadRequest, NotFound
from .europe_map import Point, outline_paths, size, visible
from .graph import KnowledgeGraph
from .i18n import choose_language, strings
from .rendering import local_path
from .resources import SEGMENT, finish, not_modified
from .sitecache import site_cache
from .web import current_graph

bp = Blueprint("pages", __name__)
T = TypeVar("T")

#: Columns of the factories table (the ``?sort=`` values) -> the row field they sort on.
COLUMNS = {
    "name": "name",
    "type": "kind",
    "country": "country",
    "wave": "wave_number",
    "machines": "machines",
    "sectors": "sectors",
}
HUB_KINDS = {"AIFactory": "factory", "AIFactoryAntenna": "antenna", "AIGigafactory": "gigafactory"}


def _memo(name: str, build: Callable[[KnowledgeGraph], T]) -> T:
    """``build(graph)``, once per data version."""
    graph = current_graph()
    return site_cache().get((graph.snapshot.version, name), lambda: build(graph))


def _page(template: str, name: str, **context: object) -> Response:
    """A page in the reader's language, with its ETag (data version, page, language, query)."""
    lang = choose_language(request)
    tag = "-".join(
        (current_graph().snapshot.short_version, name, lang, request.query_string.decode())
    )
    cached = not_modified(tag)
    if cached is not None:
        return cached
    body = render_template(template, ui=strings(lang), lang=lang, **context)
    return finish(Response(body, content_type="text/html; charset=utf-8"), tag, "Accept-Language")


def hub_rows(graph: KnowledgeGraph) -> list[dict[str, object]]:
    """One row per AI hub, ready for the table and the map."""
    base = graph.settings.base_iri
    rows = []
    for r in describe.hubs(graph):
        kind = HUB_KINDS.get(r["type"].value.rsplit("#", 1)[-1], "factory")
        rows.append(
            {
                "name": r["label"].value if "label" in r else r["hub"].value,
                "href": local_path(r["hub"].value, base) or r["hub"].value,
                "kind": kind,
                "country": r["countryLabel"].value if "countryLabel" in r else "",
                "country_fr": r["countryLabelFr"].value if "countryLabelFr" in r else "",
                "country_href": local_path(r["country"].value, base) if "country" in r else None,
                "wave": r["waveLabel"].value if "waveLabel" in r else "",
                "wave_number": r["waveNumber"].value if "waveNumber" in r else "",
                "wave_href": local_path(r["wave"].value, base) if "wave" in r else None,
                "machines": r["machines"].value if "machines" in r else "",
                "sectors": r["sectors"].value if "sectors" in r else "",
                "lat": float(r["lat"].value) if "lat" in r else None,
                "long": float(r["long"].value) if "long" in r else None,
            }
        )
    return rows


@bp.get("/")
def landing() -> Response:
    graph = current_graph()
    snap = graph.snapshot
    counts = _memo("class-counts", describe.class_counts)
    hubs = _memo("hubs", hub_rows)
    aif = graph.settings.base_iri + "ontology#"
    tiles = [
        ("factory", counts.get(aif + "AIFactory", 0), "/factories"),
        ("antenna", counts.get(aif + "AIFactoryAntenna", 0), "/id/antenna/"),
        ("gigafactory", counts.get(aif + "AIGigafactory", 0), "/id/gigafactory/"),
        ("machines", counts.get(aif + "Supercomputer", 0), "/id/supercomputer/"),
        ("countries", counts.get(aif + "Country", 0), "/countries"),
        ("sources", counts.get(aif + "Source", 0), "/id/source/"),
    ]
    points = [
        Point(h["name"], h["href"], h["lat"], h["long"], h["kind"])
        for h in hubs
        if h["lat"] is not None and h["long"] is not None
    ]
    land, water = outline_paths()
    width, height = size()
    return _page(
        "landing.html",
        "landing",
        version=__version__,
        snapshot=snap,
        graphs=sorted(snap.graphs.items()),
        base_iri=graph.settings.base_iri,
        tiles=tiles,
        points=visible(points),
        unplaced=[h for h in hubs if h["lat"] is None or h["long"] is None],
        land=land,
        water=water,
        width=width,
        height=height,
    )


@bp.get("/id/")
def kinds_index() -> Response:
    return _page("kinds.html", "kinds", kinds=_memo("kinds", describe.kinds))


@bp.get("/id/<kind>/")
def kind_index(kind: str) -> Response:
    if not SEGMENT.match(kind):
        raise NotFound(f"no kind {kind!r}")
    rows = _memo(f"kind-{kind}", lambda g: describe.resources_of_kind(g, kind))
    if not rows:
        raise NotFound(f"no resources of kind {kind!r} in the knowledge graph")
    base = current_graph().settings.base_iri
    items = [
        {
            "href": local_path(r["s"].value, base),
            "label": r["label"].value if "label" in r else r["s"].value.rsplit("/", 1)[-1],
            "label_fr": r["labelFr"].value if "labelFr" in r else None,
        }
        for r in rows
    ]
    return _page("kind.html", f"kind-{kind}", kind=kind, items=items)


@bp.get("/factories")
def factories() -> Response:
    """All AI hubs in one table; ``?sort=column&dir=desc`` sorts it without JavaScript."""
    key = request.args.get("sort", "name")
    if key not in COLUMNS:
        raise BadRequest(f"sort must be one of {', '.join(COLUMNS)}, not {key!r}")
    descending = request.args.get("dir") == "desc"
    field = COLUMNS[key]
    rows = sorted(
        _memo("hubs", hub_rows),
        key=lambda r: (str(r[field]) == "", str(r[field]).lower(), str(r["name"]).lower()),
        reverse=descending,
    )
    return _page("factories.html", "factories", rows=rows, sort=key, descending=descending)


@bp.get("/countries")
def countries() -> Response:
    hubs = _memo("hubs", hub_rows)
    per_country = Counter((h["country_href"], h["kind"]) for h in hubs)
    base = current_graph().settings.base_iri
    rows = [
        {
            "href": local_path(r["s"].value, base),
            "label": r["label"].value if "label" in r else r["s"].value,
            "label_fr": r["labelFr"].value if "labelFr" in r else None,
            "factories": per_country[(local_path(r["s"].value, base), "factory")],
            "antennas": per_country[(local_path(r["s"].value, base), "antenna")],
        }
        for r in _memo("kind-country", lambda g: describe.resources_of_kind(g, "country"))
    ]
    return _page("countries.html", "countries", rows=rows)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers.  Cheap on purpose: no engine round trip."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: the data is loaded and the engine answers (503 otherwise)."""
    graph = current_graph()
    snap = graph.snapshot
    engine_ok = graph.ping()
    body = {
        "ready": engine_ok,
        "triples": snap.triples,
        "graphs": snap.graphs,
        "dataVersion": snap.version,
        "builtAt": snap.built_at,
        "loadSeconds": graph.ready_seconds,
        "snapshotFromCache": snap.from_cache,
        "store": "embedded" if graph.engine is not None else "external",
        "reloadError": graph.reload_error,
        "version": __version__,
    }
    return jsonify(body), (200 if engine_ok else 503)


@bp.app_context_processor
def _interface_defaults() -> dict[str, object]:
    """English interface strings for templates rendered without them (base.html needs them)."""
    return {"ui": strings("en"), "lang": "en"}
