"""Blueprint for ``/sparql``: the SPARQL 1.1 Protocol (queries only) over the store.

Views only read the request and choose a response; checking, running and serialising queries
are plain functions (:mod:`sparql_check`, :mod:`query`, :mod:`negotiation`,
:mod:`service_description`), and finished responses are kept in a per-process
:class:`~aifactories.cache.ResponseCache`.

Truncation signal: when ``max_rows`` cuts a result, every format gets the header
``X-SPARQL-Truncated: true; max-rows=N`` and a ``Warning: 199`` header; the HTML table also
says so in the page.  The JSON/XML/CSV/TSV bodies stay exactly as their specs define them
(an extra JSON member would break strict parsers), so the signal lives in the headers.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, g, render_template, request
from werkzeug.datastructures import MultiDict

from . import query as queries
from . import service_description as sd
from .cache import CachedResponse, ResponseCache, response_key
from .errors import BadRequest, ForbiddenQuery, NotAcceptable, PayloadTooLarge, UnsupportedMediaType
from .negotiation import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    Format,
    by_name,
    choose,
    choose_for_header,
)
from .prefixes import prefixes, sparql_prologue
from .queries import CONTENT_SECURITY_POLICY, example_queries
from .sparql_check import QueryInfo, analyse, with_prefixes
from .store import Dataset
from .web import EXTENSION, current_graph, current_settings

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
TRUNCATED_HEADER = "X-SPARQL-Truncated"
CACHE_EXTENSION = "aifactories.response_cache"
CACHE_CONTROL = "public, max-age=300"
#: Says whether the per-process response cache answered (for operators and tests).
CACHE_HEADER = "X-Cache"
SD_FORMATS = ("turtle", "rdfxml", "jsonld", "ntriples", "html")
#: Literal datatypes the results table does not spell out.
PLAIN_TYPES = frozenset(
    {
        "http://www.w3.org/2001/XMLSchema#string",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
    }
)
#: ``format=`` values that mean a different format for graph results than for solutions.
GRAPH_FORMAT_ALIASES = {"xml": "rdfxml", "json": "jsonld", "n3": "turtle", "rdf+xml": "rdfxml"}


@bp.record_once
def _make_cache(state) -> None:  # type: ignore[no-untyped-def]
    app: Flask = state.app
    size = app.extensions[EXTENSION].settings.response_cache_entries
    app.extensions[CACHE_EXTENSION] = ResponseCache(size)


@bp.app_template_filter("sparql_href")
def sparql_href(iri: str, base_iri: str) -> str | None:
    """Where a result IRI links: our own IRIs to this server's pages (they work before the
    w3id.org redirects do), other http(s) IRIs as they are, anything else (``javascript:``,
    ``data:``, which a query can mint with ``IRI()``) nowhere."""
    if iri.startswith(base_iri):
        return "/" + iri[len(base_iri) :]
    return iri if iri.startswith(("http://", "https://")) else None


@bp.app_template_filter("sparql_compact")
def compact(iri: str, known: dict[str, str]) -> str:
    """``prefix:local`` for an IRI under a known namespace, else the IRI itself."""
    for prefix, namespace in known.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def response_cache() -> ResponseCache:
    return current_app.extensions[CACHE_EXTENSION]


@dataclass(frozen=True)
class ProtocolRequest:
    """What a GET, form POST or direct POST asked for."""

    query: str | None
    dataset: Dataset
    formats: tuple[str, ...]


def _strict_pairs(raw: bytes, where: str) -> MultiDict[str, str]:
    """Decode ``a=b&c=d`` bytes; percent-escapes must decode to UTF-8 (the protocol says so)."""
    try:
        text = raw.decode("utf-8")
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the {where} is not valid UTF-8 (byte {exc.start})") from None
    return MultiDict(pairs)


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"the '{name}' parameter must be given once, not {len(values)} times")
    return values[0] if values else None


def _body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    data = request.get_data(cache=False)
    if request.content_length is None and len(data) >= limit:  # chunked: werkzeug stops at limit
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    return data


def read_protocol_request(max_bytes: int) -> ProtocolRequest:
    """The query, dataset and ``format=`` values from a GET, a form POST or a direct POST."""
    args = _strict_pairs(request.query_string, "query string")
    params = args
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == FORM:
            body = _strict_pairs(_body(max_bytes), "form body")
            params = MultiDict([*args.items(multi=True), *body.items(multi=True)])
        elif mimetype == DIRECT:
            charset = request.mimetype_params.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                raise BadRequest(f"the query must be sent as UTF-8, not {charset}")
            try:
                direct = _body(max_bytes).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest(f"the query is not valid UTF-8 (byte {exc.start})") from None
            if args.getlist("query"):
                raise BadRequest("a direct POST carries the query in its body, not in the URL")
            params = MultiDict([*args.items(multi=True), ("query", direct)])
        elif mimetype == UPDATE:
            raise ForbiddenQuery("SPARQL Update is not supported: this endpoint is read-only")
        else:
            raise UnsupportedMediaType(
                f"POST bodies must be {FORM} or {DIRECT}, not {mimetype or 'missing'}"
            )
    if params.getlist("update"):
        raise ForbiddenQuery("SPARQL Update is not supported: this endpoint is read-only")
    return ProtocolRequest(
        query=_single(params.getlist("query"), "query"),
        dataset=Dataset(
            tuple(params.getlist("default-graph-uri")), tuple(params.getlist("named-graph-uri"))
        ),
        formats=tuple(params.getlist("format")),
    )


def _override(values: tuple[str, ...], candidates: tuple[str, ...], graph: bool) -> str | None:
    """The first ``format=`` value we can honour; several values are tolerated (SPARQLWrapper
    sends both a short name and a media type).  None if there is none."""
    if not values:
        return None
    for value in values:
        key = value.strip().lower()
        if graph:
            key = GRAPH_FORMAT_ALIASES.get(key, key)
        found = by_name(key)
        if found is not None and found.name in candidates:
            return found.name
    raise NotAcceptable(
        f"format {values[0]!r} is not available here; choose one of {', '.join(candidates)}"
    )


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    settings = current_settings()
    protocol = read_protocol_request(settings.max_request_bytes)
    if protocol.query is None:
        return service_description(protocol.formats)
    g.query_text = protocol.query  # for the query log (observability)
    kg = current_graph()
    cache = response_cache()
    # Fast path: a request spelt exactly as an earlier one (query text, dataset, Accept,
    # format=) gets the same response, without the lexer, negotiation or the engine.
    request_key = response_key(
        kg.snapshot.version,
        protocol.query,
        protocol.dataset.params(),
        "\n".join((request.headers.get("Accept", ""), *protocol.formats)),
    )
    cached = cache.get(request_key)
    hit = cached is not None
    if cached is None:
        info = g.query_info = analyse(protocol.query, settings.service_allowlist)
        fmt = _format(protocol, info)
        # FROM / FROM NAMED are part of the normalised text; query.run applies them.
        dataset = protocol.dataset
        key = response_key(kg.snapshot.version, info.normalised, dataset.params(), fmt.name)
        if _not_modified(key):
            return _finish(Response(status=304), key)
        cached = cache.get(key)
        hit = cached is not None
        if cached is None:
            cached = _answer(protocol.query, info, fmt, dataset, key)
            cache.put(key, cached)
        cache.put(request_key, cached)
    if _not_modified(cached.etag):
        return _finish(Response(status=304), cached.etag)
    response = Response(cached.body, content_type=cached.content_type)
    for name, value in cached.headers:
        response.headers[name] = value
    response.headers[CACHE_HEADER] = "hit" if hit else "miss"
    return _finish(response, cached.etag)


def _format(protocol: ProtocolRequest, info: QueryInfo) -> Format:
    graph_form = info.form in ("CONSTRUCT", "DESCRIBE")
    candidates = GRAPH_FORMATS if graph_form else RESULTS_FORMATS
    return choose_for_header(
        request.headers.get("Accept", ""),
        candidates,
        _override(protocol.formats, candidates, graph_form),
    )


def _answer(
    query_text: str, info: QueryInfo, fmt: Format, dataset: Dataset, key: str
) -> CachedResponse:
    """Run the query on the engine and render it in ``fmt``, ready to cache."""
    settings = current_settings()
    kg = current_graph()
    known = prefixes(settings.base_iri)
    result = kg.run(
        info, with_prefixes(query_text, info, known), max_rows=settings.max_rows, dataset=dataset
    )
    g.query_rows = result.rows
    headers: tuple[tuple[str, str], ...] = ()
    if result.truncated:
        headers = (
            (TRUNCATED_HEADER, f"true; max-rows={result.max_rows}"),
            ("Warning", f'199 aifactories "results truncated to the first {result.max_rows} rows"'),
        )
    if fmt.name == "html":
        body = _results_page(query_text, result).encode("utf-8")
    else:
        body = result.serialize(fmt, known)
    return CachedResponse(body, fmt.content_type, headers, etag=key)


def _not_modified(key: str) -> bool:
    return request.if_none_match.contains(key) or request.if_none_match.star_tag


@bp.after_request
def _html_policy(response: Response) -> Response:
    """The UI loads everything from this server; say so, and no injected script can run."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _finish(response: Response, key: str) -> Response:
    response.headers["ETag"] = f'"{key}"'
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _results_page(query_text: str, result: queries.QueryResult) -> str:
    variables, rows = result.table()
    return render_template(
        "sparql.html", **_ui_context(query_text), result=result, variables=variables, rows=rows
    )


def _ui_context(query_text: str | None) -> dict[str, object]:
    base = current_settings().base_iri
    known = prefixes(base)
    return {
        "query": query_text,
        "default_query": sparql_prologue(base)
        + "\nSELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n} LIMIT 25\n",
        "examples": example_queries(),
        "prefixes": known,
        "base_iri": base,
        "plain_types": PLAIN_TYPES,
        "encoded": urllib.parse.urlencode({"query": query_text}) if query_text else "",
    }


def service_description(formats: tuple[str, ...]) -> Response:
    """The Service Description for RDF clients; the query UI for browsers."""
    fmt: Format = choose(request.accept_mimetypes, SD_FORMATS, _override(formats, SD_FORMATS, True))
    if fmt.name == "html":
        page = Response(render_template("sparql.html", **_ui_context(None)), mimetype="text/html")
        page.headers["Vary"] = "Accept"
        return page
    kg = current_graph()
    url = request.base_url
    key = response_key(kg.snapshot.version, "service-description " + url, [], fmt.name)
    if _not_modified(key):
        return _finish(Response(status=304), key)
    cache = response_cache()
    cached = cache.get(key)
    if cached is None:
        body = sd.serialize(sd.description(url, kg.snapshot, kg.settings), fmt)
        cached = CachedResponse(body, fmt.content_type, etag=key)
        cache.put(key, cached)
    return _finish(Response(cached.body, content_type=cached.content_type), key)
