"""Blueprint for ``/sparql``: the SPARQL 1.1 Protocol (queries only) over the store.

Views only read the request and choose a response; checking, running and serialising queries
are plain functions (:mod:`sparql_check`, :mod:`query`, :mod:`negotiation`).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from . import query as queries
from .errors import BadRequest, UnsupportedMediaType
from .negotiation import GRAPH_FORMATS, RESULTS_FORMATS, choose
from .sparql_check import analyse
from .store import Dataset
from .web import current_graph, current_settings

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
TRUNCATED_HEADER = "X-SPARQL-Truncated"


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"the '{name}' parameter must be given once, not {len(values)} times")
    return values[0] if values else None


def read_protocol_request() -> tuple[str | None, Dataset]:
    """The query text and dataset parameters from a GET, a form POST or a direct POST."""
    args = request.args
    if request.method == "GET":
        params = args
        query = _single(args.getlist("query"), "query")
    else:
        mimetype = request.mimetype
        if mimetype == FORM:
            params = request.form
            query = _single(request.form.getlist("query") + args.getlist("query"), "query")
            if request.form.getlist("update"):
                raise BadRequest("SPARQL Update is not supported: this endpoint is read-only")
        elif mimetype == DIRECT:
            params = args
            raw = request.get_data(cache=False)
            try:
                query = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest(f"the query is not valid UTF-8 (byte {exc.start})") from None
        elif mimetype == "application/sparql-update":
            raise BadRequest("SPARQL Update is not supported: this endpoint is read-only")
        else:
            raise UnsupportedMediaType(
                f"POST bodies must be {FORM} or {DIRECT}, not {mimetype or 'missing'}"
            )
    default_graphs = tuple(
        params.getlist("default-graph-uri")
        + (args.getlist("default-graph-uri") if params is not args else [])
    )
    named_graphs = tuple(
        params.getlist("named-graph-uri")
        + (args.getlist("named-graph-uri") if params is not args else [])
    )
    return query, Dataset(default_graphs, named_graphs)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response | str:
    query_text, dataset = read_protocol_request()
    if query_text is None:
        return service_description()
    settings = current_settings()
    info = analyse(query_text, settings.service_allowlist)
    candidates = GRAPH_FORMATS if info.form in ("CONSTRUCT", "DESCRIBE") else RESULTS_FORMATS
    fmt = choose(request.accept_mimetypes, candidates, request.values.get("format"))
    result = queries.run(
        current_graph().store(), info, query_text, max_rows=settings.max_rows, dataset=dataset
    )
    if fmt.name == "html":
        variables, rows = result.table()
        response = Response(
            render_template(
                "results.html", query=query_text, variables=variables, rows=rows, result=result
            )
        )
    else:
        response = Response(result.serialize(fmt), content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    if result.truncated:
        response.headers[TRUNCATED_HEADER] = f"true; max-rows={result.max_rows}"
    return response


def service_description() -> Response:
    """A minimal SPARQL 1.1 Service Description (Turtle)."""
    url = request.base_url
    body = f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
<{url}> a sd:Service ;
  sd:endpoint <{url}> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
    <http://www.w3.org/ns/formats/SPARQL_Results_CSV>, <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
    <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,
    <http://www.w3.org/ns/formats/RDF_XML>, <http://www.w3.org/ns/formats/JSON-LD> .
"""
    return Response(body, content_type="text/turtle; charset=utf-8")
