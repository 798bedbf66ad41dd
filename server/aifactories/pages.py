"""Blueprint for people and operators: the landing page, liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template

from . import __version__
from .web import current_graph

bp = Blueprint("pages", __name__)


@bp.get("/")
def landing() -> str:
    graph = current_graph()
    snap = graph.snapshot
    settings = graph.settings
    return render_template(
        "landing.html",
        version=__version__,
        snapshot=snap,
        graphs=sorted(snap.graphs.items()),
        base_iri=settings.base_iri,
    )


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
        "version": __version__,
    }
    return jsonify(body), (200 if engine_ok else 503)
