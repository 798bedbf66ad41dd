"""The one place where errors become HTTP responses.

:class:`~aifactories.errors.AIFactoriesError` subclasses carry their status; werkzeug's own
HTTP exceptions (routing 404/405, 413 from ``MAX_CONTENT_LENGTH``) are rendered the same way;
anything else is a bug: logged with the request id and answered 500.
"""

from __future__ import annotations

import html
import logging

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from .errors import AIFactoriesError

log = logging.getLogger(__name__)


def render_error(
    status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Plain text for SPARQL clients and curl, JSON for JSON clients, HTML for browsers."""
    best = request.accept_mimetypes.best_match(["text/plain", "application/json", "text/html"])
    if (
        best == "text/html"
        and request.accept_mimetypes["text/html"] > request.accept_mimetypes["*/*"]
    ):
        heading = f"{status} {html.escape(title)}"
        body = (
            f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{heading}</title>"
            f"<body><h1>{heading}</h1><p>{html.escape(message)}</p>"
            "<p><a href='/'>Home</a></p></body></html>"
        )
        response = Response(body, status, mimetype="text/html")
    elif (
        best == "application/json"
        and request.accept_mimetypes["application/json"] > request.accept_mimetypes["*/*"]
    ):
        response = jsonify(
            {"status": status, "title": title, "detail": message, "requestId": g.get("request_id")}
        )
        response.status_code = status
    else:
        response = Response(f"{status} {title}: {message}\n", status, mimetype="text/plain")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(AIFactoriesError)
    def _ours(exc: AIFactoriesError) -> Response:
        g.error = exc  # for the query log and metrics
        if exc.status >= 500 and not exc.quiet:
            log.warning("request %s: %s", g.get("request_id"), exc.message)
        return render_error(exc.status, exc.title, exc.message, exc.headers)

    @app.errorhandler(HTTPException)
    def _werkzeug(exc: HTTPException) -> Response:
        headers = dict(exc.get_headers())
        headers.pop("Content-Type", None)
        return render_error(exc.code or 500, exc.name, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def _bug(exc: Exception) -> Response:
        log.exception("request %s: unhandled error", g.get("request_id"))
        return render_error(
            500,
            "Internal server error",
            f"this is a bug; please report request id {g.get('request_id')}",
        )
