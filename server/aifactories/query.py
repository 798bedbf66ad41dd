"""Run one SPARQL query through the store, with our limits, into any result format.

The engine is always asked for a line-oriented transport format (TSV for SELECT, N-Triples for
CONSTRUCT/DESCRIBE) so that we can stop reading after ``max_rows`` and say so, detect a query
the engine cancelled mid-stream, and then re-serialise into what the client asked for with
Oxigraph's (Rust) serialisers.  Results are plain bytes: cacheable and identical across workers.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pyoxigraph as ox

from .errors import QueryTimeout, StoreUnavailable
from .isolated import IsolatedRunner
from .negotiation import Format
from .sparql_check import QueryInfo
from .store import (
    CANCELLED_MARKER,
    NO_DATASET,
    Dataset,
    EngineOverrun,
    EngineResponse,
    SparqlStore,
    iter_lines,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

TSV = "text/tab-separated-values"
NTRIPLES = "application/n-triples"
BOOLEAN = "application/sparql-results+json"
#: A query stopped by the shared engine with less time than this left is not run again.
MIN_SECOND_CHANCE_SECONDS = 0.2


@dataclass(frozen=True)
class QueryResult:
    """A finished query: its form, the capped transport bytes and whether rows were cut."""

    form: str
    transport: bytes
    rows: int
    truncated: bool
    max_rows: int

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def solutions(self) -> ox.QuerySolutions | ox.QueryBoolean:
        fmt = ox.QueryResultsFormat.JSON if self.form == "ASK" else ox.QueryResultsFormat.TSV
        return ox.parse_query_results(self.transport, format=fmt)

    def triples(self) -> list[ox.Triple]:
        return [q.triple for q in ox.parse(self.transport, format=ox.RdfFormat.N_TRIPLES)]

    def table(
        self,
    ) -> tuple[list[str], list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]]:
        """Variables and rows, for HTML and text tables (triples as subject/predicate/object)."""
        if self.is_graph:
            return ["subject", "predicate", "object"], [
                [t.subject, t.predicate, t.object] for t in self.triples()
            ]
        results = self.solutions()
        if isinstance(results, ox.QueryBoolean):
            return ["boolean"], [
                [
                    ox.Literal(
                        str(bool(results)).lower(),
                        datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"),
                    )
                ]
            ]
        names = [v.value for v in results.variables]
        return names, [[solution[name] for name in names] for solution in results]

    def serialize(self, fmt: Format, prefixes: dict[str, str] | None = None) -> bytes:
        """The result in ``fmt`` (a results format for SELECT/ASK, an RDF one for graphs);
        ``prefixes`` abbreviate IRIs in the formats that have them (Turtle, TriG, JSON-LD)."""
        if self.is_graph:
            if fmt.rdf is None:
                raise ValueError(f"{fmt.name} is not an RDF format")
            if fmt.rdf == ox.RdfFormat.N_TRIPLES:
                return self.transport
            return ox.serialize(self.triples(), format=fmt.rdf, prefixes=prefixes) or b""
        if fmt.results is None:
            raise ValueError(f"{fmt.name} is not a SPARQL results format")
        if fmt.results == ox.QueryResultsFormat.TSV and self.form == "SELECT":
            return self.transport
        return self.solutions().serialize(format=fmt.results) or b""


def run(
    store: SparqlStore,
    info: QueryInfo,
    query: str,
    *,
    max_rows: int,
    dataset: Dataset = NO_DATASET,
    on_overrun: Callable[[], None] | None = None,
    isolated: IsolatedRunner | None = None,
    time_limit: float | None = None,
) -> QueryResult:
    """Execute ``query`` (already checked by :func:`sparql_check.analyse`) and cap its rows.

    Raises :class:`QueryTimeout` when the engine cancels the query or goes silent for longer
    than the store's timeout; in that second case the engine failed to stop the work itself
    (a blocking operator such as ORDER BY checks its deadline late), and ``on_overrun`` (e.g.
    :meth:`EmbeddedEngine.kill_runaway`) is called so that the CPU is really freed.

    With ``isolated``, ``store`` is the shared engine with a short timeout, and a query it
    stops gets the rest of ``time_limit`` in an engine of its own (:mod:`aifactories.isolated`).
    """
    if not dataset:
        if info.from_graphs or info.from_named:  # the query's own FROM / FROM NAMED
            dataset = Dataset(info.from_graphs, info.from_named)
        elif store.default_dataset is not None:
            dataset = store.default_dataset
    started = time.monotonic()
    try:
        return _run(store, info, query, max_rows, dataset)
    except EngineOverrun:
        if on_overrun is not None:
            on_overrun()
        if isolated is None:
            raise
    except QueryTimeout:
        if isolated is None:
            raise
    limit = time_limit if time_limit is not None else store.timeout
    remaining = limit - (time.monotonic() - started)
    if remaining < MIN_SECOND_CHANCE_SECONDS or not isolated.available():
        raise QueryTimeout(timeout_message(limit))
    log.info(
        "query stopped by the shared engine after %.1f s; running it alone for %.1f s more",
        time.monotonic() - started,
        remaining,
    )
    with isolated.store(remaining) as own:
        try:
            return _run(own, info, query, max_rows, dataset)
        except (QueryTimeout, StoreUnavailable):  # its engine was killed at the deadline
            raise QueryTimeout(timeout_message(limit)) from None


def _run(
    store: SparqlStore, info: QueryInfo, query: str, max_rows: int, dataset: Dataset
) -> QueryResult:
    if info.form == "ASK":
        response = store.execute(query, BOOLEAN, dataset)
        body = _guarded(response, response.read, store.timeout)
        response.close()
        _raise_if_cancelled(body)
        return QueryResult(info.form, body, 1, False, max_rows)
    graph = info.form in ("CONSTRUCT", "DESCRIBE")
    response = store.execute(query, NTRIPLES if graph else TSV, dataset)
    # header + max_rows + one to detect the cut
    lines = _guarded(response, lambda: list(iter_lines(response, max_rows + 2)), store.timeout)
    header = [] if graph else lines[:1]
    rows = lines if graph else lines[1:]
    truncated = len(rows) > max_rows
    if truncated:
        rows = rows[:max_rows]
        response.close(reusable=False)  # stop the engine's stream; don't drain it
    else:
        response.close()
    if rows and rows[-1].startswith(CANCELLED_MARKER):
        raise QueryTimeout(timeout_message(store.timeout))
    body = b"".join(header + rows)
    if not _looks_complete(body, graph):
        _check_parses(body, graph)
    return QueryResult(info.form, body, len(rows), truncated, max_rows)


def timeout_message(seconds: float) -> str:
    return (
        f"the query exceeded the {seconds:g} s time limit and was stopped; "
        "narrow it (more specific patterns, a LIMIT) and try again"
    )


def _guarded(response: EngineResponse, read: Callable[[], T], timeout: float) -> T:
    """Read from the engine; a silent or broken stream becomes our own error, never a 500."""
    try:
        return read()
    except TimeoutError:
        response.close(reusable=False)
        raise EngineOverrun(timeout_message(timeout)) from None
    except (OSError, http.client.HTTPException) as exc:
        response.close(reusable=False)
        raise StoreUnavailable(f"the query engine broke off its answer: {exc}") from None


def _raise_if_cancelled(body: bytes) -> None:
    if CANCELLED_MARKER in body:
        raise QueryTimeout("the query was cancelled by the engine: it exceeded the time limit")


def _looks_complete(body: bytes, graph: bool) -> bool:
    """A cheap check (a few byte counts in C) that a transport body was not broken off.

    The engine writes an error after the 200 (a cancellation, say) into the body without a
    final newline, so a body whose lines are all whole, and whole N-Triples statements or TSV
    rows as wide as the header (neither format allows a raw tab or newline inside a term), was
    not broken off.  Anything else gets the full parse of :func:`_check_parses`, which also
    accepts valid bodies this check does not recognise (another store's spacing, CRLF).
    Parsing every body cost as much as the query's whole HTTP round trip.
    """
    if not body:
        return True
    if not body.endswith(b"\n"):
        return False
    lines = body.count(b"\n")
    if graph:
        return body.count(b" .\n") == lines
    return body.count(b"\t") == body[: body.index(b"\n")].count(b"\t") * lines


def _check_parses(body: bytes, graph: bool) -> None:
    """A body the engine broke off mid-stream (an error after the 200) must not pass as data."""
    try:
        if graph:
            for _ in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
                pass
        else:
            for _ in ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV):
                pass
    except SyntaxError as exc:
        _raise_if_cancelled(body)
        raise StoreUnavailable(f"the query engine broke off its answer: {exc}") from None
