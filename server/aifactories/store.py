"""The query engine behind one small interface: a SPARQL 1.1 Protocol endpoint we talk to.

Embedded mode runs Oxigraph's own server as a child process on a free loopback port, loaded with
the snapshot (:mod:`aifactories.engine`).  We chose it deliberately (see ``notes`` in the README's Performance section):
Oxigraph evaluates queries 14-300x faster than rdflib, and its server enforces a query timeout
that really cancels the work, which neither rdflib nor pyoxigraph can do in-process (pyoxigraph
holds the GIL while evaluating).  External mode (``--store sparql+http://...``) speaks the same
protocol to Fuseki, GraphDB, QLever, Virtuoso or another Oxigraph.  Either way the rest of the
server only sees :class:`SparqlStore`.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .admission import QueryBudget
from .errors import QuerySyntaxError, QueryTimeout, StoreUnavailable

log = logging.getLogger(__name__)

#: What Oxigraph's server writes into a streamed body when ``--timeout-s`` cancels a query.
CANCELLED_MARKER = b"The SPARQL operation has been cancelled"
#: Extra seconds the client waits beyond the engine's own timeout before giving up on it.
CLIENT_GRACE_SECONDS = 2.0
#: How long a query waits for a refused engine (one being restarted) before a 503.
RECONNECT_SECONDS = 5.0
RECONNECT_PAUSE_SECONDS = 0.05


@dataclass(frozen=True)
class Dataset:
    """The protocol's ``default-graph-uri`` / ``named-graph-uri`` parameters."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)

    def params(self) -> list[tuple[str, str]]:
        return [("default-graph-uri", g) for g in self.default_graphs] + [
            ("named-graph-uri", g) for g in self.named_graphs
        ]


NO_DATASET = Dataset()


class EngineOverrun(QueryTimeout):
    """The engine stayed silent past its own timeout plus a grace period: it failed to cancel
    the query (Oxigraph checks its deadline late in blocking operators such as ORDER BY)."""


class EngineResponse(Protocol):
    """A streamed response from the engine; read it line by line or whole, then close it.

    ``close(reusable=False)`` drops the connection instead of draining the rest of the body:
    for a stream cut short (``max_rows``), which may be huge.
    """

    content_type: str

    def readline(self) -> bytes: ...

    def read(self) -> bytes: ...

    def close(self, reusable: bool = True) -> None: ...


class HttpClientResponse:
    """An :class:`EngineResponse` read through :mod:`http.client` (any store, HTTPS, proxies)."""

    def __init__(
        self,
        response: http.client.HTTPResponse,
        release: Callable[[http.client.HTTPResponse, bool], None],
    ) -> None:
        self._response = response
        self._release = release
        self.content_type = response.getheader("Content-Type", "")

    def readline(self) -> bytes:
        return self._response.readline()

    def read(self) -> bytes:
        return self._response.read()

    def close(self, reusable: bool = True) -> None:
        self._release(self._response, reusable)


@dataclass
class SparqlStore:
    """A client for one SPARQL endpoint, with one keep-alive connection per thread."""

    query_url: str
    timeout: float
    headers: dict[str, str] = field(default_factory=dict)
    #: Whether the engine holds its data (an embedded engine being restarted does not yet).
    ready: Callable[[], bool] | None = None
    #: The dataset of a query that names none: every graph of the snapshot, as default graph
    #: (their merge) and as named graphs.  Sent explicitly, so that any SPARQL 1.1 store gives
    #: the same answers as our embedded engine, whatever its own default-graph setting.  None
    #: for the embedded engine, whose default graph is already that union.
    default_dataset: Dataset | None = None
    #: POST the query as ``application/sparql-query`` (the dataset in the URL) instead of a
    #: form: no URL-encoding of the query in Python.  Every SPARQL 1.1 store must accept it; we
    #: use it with the embedded engine, where it is tested.
    direct_post: bool = False
    #: Counts queries sent to the embedded engine and refuses those past its budget.
    admission: QueryBudget | None = None
    #: Seconds past ``timeout`` the client waits for an engine that enforces the timeout
    #: itself (it checks its deadline late in blocking operators); 0 for one we kill ourselves.
    grace: float = CLIENT_GRACE_SECONDS
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.query_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) SPARQL endpoint: {self.query_url!r}")
        self._parts = parts
        self._path = parts.path or "/"
        self._content_type = (
            "application/sparql-query" if self.direct_post else "application/x-www-form-urlencoded"
        )

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if self._parts.scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(self._parts.hostname, self._parts.port, timeout=self.timeout + self.grace)
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _request(self, query: str, dataset: Dataset | None) -> tuple[str, bytes]:
        """The request's path and body for ``query`` over ``dataset``."""
        if self.direct_post:
            path = self._path
            if dataset:
                path += "?" + urllib.parse.urlencode(dataset.params())
            return path, query.encode()
        params = dataset.params() if dataset else []
        return self._path, urllib.parse.urlencode([("query", query), *params]).encode()

    def execute(
        self, query: str, accept: str, dataset: Dataset | None = None, *, admit: bool = True
    ) -> EngineResponse:
        """POST the query and return the streamed response.

        ``admit=False`` skips the admission budget: for the rare health check, which must say
        whether the engine answers, not whether the budget has room.

        Raises :class:`QuerySyntaxError` for the engine's 400 (its message has the position),
        :class:`QueryTimeout` when the engine or the socket gives up,
        :class:`StoreUnavailable` when the engine cannot be reached and
        :class:`~aifactories.errors.EngineBusy` when it already holds its budget of queries.
        """
        if admit and self.admission is not None:
            self.admission.admit()
        path, body = self._request(query, dataset)
        headers = {"Content-Type": self._content_type, "Accept": accept}
        if self.headers:
            headers.update(self.headers)
        # A kept-alive connection may have been closed by the engine: retry at once.  A refused
        # or reset connection may be an engine being restarted by its supervisor: retry for a
        # moment.  (Queries are read-only, so sending one again is harmless.)
        deadline = time.monotonic() + RECONNECT_SECONDS
        attempt = 0
        while True:
            attempt += 1
            try:
                status, response = self._exchange(path, body, headers, deadline)
                break
            except TimeoutError:
                self._drop_connection()
                raise EngineOverrun(
                    f"the query did not finish within its {self.timeout:g} s time limit"
                ) from None
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self._drop_connection()
                # refused or reset: maybe an embedded engine being replaced by its supervisor
                # (an external store that is down is reported at once)
                transient = self.ready is not None and isinstance(exc, ConnectionError)
                if attempt > 1 and not (transient and time.monotonic() < deadline):
                    raise StoreUnavailable(f"query engine unreachable: {exc}") from None
                if attempt > 1:
                    time.sleep(RECONNECT_PAUSE_SECONDS)
        if status == 400:
            message = response.read().decode("utf-8", "replace").strip()
            raise QuerySyntaxError(message or "the query engine refused the query")
        if status >= 300:
            message = response.read().decode("utf-8", "replace").strip()[:500]
            if status in (408, 503, 504):
                raise QueryTimeout(message or f"query engine answered {status}")
            raise StoreUnavailable(f"query engine answered {status}: {message}")
        return response

    def _exchange(
        self, path: str, body: bytes, headers: dict[str, str], deadline: float
    ) -> tuple[int, EngineResponse]:
        """Send one request on this thread's connection; its status and streamed response.

        Raises what the socket or :mod:`http.client` raises; :meth:`execute` maps it.
        """
        conn = self._connection()
        if conn.sock is None:
            self._wait_until_ready(deadline)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, HttpClientResponse(response, self._release)

    def _wait_until_ready(self, deadline: float) -> None:
        """Before a new connection: wait while the engine reloads its data (never query an
        empty store that happens to listen already)."""
        while self.ready is not None and not self.ready():
            if time.monotonic() >= deadline:
                raise StoreUnavailable("the query engine is restarting; try again shortly")
            time.sleep(RECONNECT_PAUSE_SECONDS)

    def _release(self, response: http.client.HTTPResponse, reusable: bool) -> None:
        if reusable and not response.isclosed():
            try:
                response.read()
            except (OSError, http.client.HTTPException):
                reusable = False
        if not reusable:
            self._drop_connection()

    def close(self) -> None:
        self._drop_connection()


def store_url(url: str) -> str:
    """``sparql+http://host/path`` (the CLI's spelling) -> ``http://host/path``."""
    return url.split("+", 1)[1] if url.startswith(("sparql+http://", "sparql+https://")) else url


def iter_lines(response: EngineResponse, limit: int) -> Iterator[bytes]:
    """Yield at most ``limit`` lines of a streamed body."""
    for _ in range(limit):
        line = response.readline()
        if not line:
            return
        yield line
