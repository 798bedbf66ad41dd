"""Wiring of the Flask application: settings, the graph, blueprints, errors, common headers."""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, request

from . import frontcache, http_errors
from .config import Settings, load_settings
from .graph import KnowledgeGraph, open_graph

EXTENSION = "aifactories"


def build_app(config: Mapping[str, Any] | None, graph: KnowledgeGraph | None) -> Flask:
    app = Flask(__name__)
    # Upper-case keys are Flask's own (TESTING, ...), the rest are our settings.
    settings = load_settings({k: v for k, v in (config or {}).items() if not k.isupper()})
    if graph is None:
        graph = open_graph(settings)
        app.config["OWNS_GRAPH"] = True
    app.config.update(
        SETTINGS=graph.settings,
        MAX_CONTENT_LENGTH=graph.settings.max_request_bytes,
        JSON_SORT_KEYS=False,
    )
    if config and config.get("TESTING"):
        app.config["TESTING"] = True
    app.extensions[EXTENSION] = graph

    from . import catalog, limits, observability, pages, queries, resources, sitecache, sparql

    sitecache.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(queries.bp)
    http_errors.init_app(app)
    observability.init_app(app)
    app.before_request(_request_id)
    app.after_request(_common_headers)
    limits.init_app(app)  # after _request_id: a refusal carries the request id
    frontcache.install(
        app,
        max_entries=graph.settings.response_cache_entries,
        max_bytes=FRONT_CACHE_BYTES,
        max_body_bytes=FRONT_CACHE_BODY_BYTES,
        request_id=request_id,
        recorder=observability.replay_recorder(app),
        # every query must reach the per-client limits when they are on
        bypass_paths=frozenset({"/sparql"}) if limits.enabled(graph.settings) else frozenset(),
    )
    logging.getLogger("aifactories").setLevel(logging.INFO)
    return app


def close_app(app: Flask) -> None:
    """Stop the engine the app started itself (tests, ``create_app()`` without a graph)."""
    if app.config.get("OWNS_GRAPH"):
        app.extensions[EXTENSION].close()


def current_graph() -> KnowledgeGraph:
    return current_app.extensions[EXTENSION]


def current_settings() -> Settings:
    return current_app.extensions[EXTENSION].settings


#: Request ids need to be unique, not unpredictable: pid + a counter costs a fraction of
#: ``uuid4()`` (which was 6 % of a cached answer's CPU in a py-spy profile).
_REQUEST_COUNTER = itertools.count(1)
#: Where the request id is kept in the WSGI environ (Flask's ``g`` and replays read it).
REQUEST_ID = "aifactories.request_id"
#: Largest total of bodies the front cache keeps per worker process.
FRONT_CACHE_BYTES = 64_000_000
#: Largest single body it keeps (one huge CONSTRUCT must not evict everything else).
FRONT_CACHE_BODY_BYTES = 4_000_000


def request_id(environ: dict[str, Any]) -> str:
    """The client's ``X-Request-Id`` (at most 64 characters), else a new one; kept in environ."""
    rid = environ.get("HTTP_X_REQUEST_ID", "")[:64] or (
        f"{os.getpid():x}-{next(_REQUEST_COUNTER):x}"
    )
    environ[REQUEST_ID] = rid
    return rid


def _request_id() -> None:
    g.request_id = request_id(request.environ)


def _common_headers(response: Response) -> Response:
    """Open CORS for reads (with a preflight that allows SPARQL POSTs), request id, server."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "ETag, Link, Content-Location, X-Request-Id, X-SPARQL-Truncated, Retry-After"
    )
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            request.headers.get("Access-Control-Request-Headers") or "Accept, Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response
