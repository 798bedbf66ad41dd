"""The query engine behind one small interface: a SPARQL 1.1 Protocol endpoint we talk to.

Embedded mode runs Oxigraph's own server as a child process on a free loopback port, loaded with
the snapshot.  We chose it deliberately (see ``notes`` in the README's Performance section):
Oxigraph evaluates queries 14-300x faster than rdflib, and its server enforces a query timeout
that really cancels the work, which neither rdflib nor pyoxigraph can do in-process (pyoxigraph
holds the GIL while evaluating).  External mode (``--store sparql+http://...``) speaks the same
protocol to Fuseki, GraphDB, QLever, Virtuoso or another Oxigraph.  Either way the rest of the
server only sees :class:`SparqlStore`.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .errors import QuerySyntaxError, QueryTimeout, StoreUnavailable

log = logging.getLogger(__name__)

#: What Oxigraph's server writes into a streamed body when ``--timeout-s`` cancels a query.
CANCELLED_MARKER = b"The SPARQL operation has been cancelled"
#: Extra seconds the client waits beyond the engine's own timeout before giving up on it.
CLIENT_GRACE_SECONDS = 2.0
ENGINE_START_SECONDS = 10.0
#: How long a query waits for a refused engine (one being restarted) before a 503.
RECONNECT_SECONDS = 5.0
RECONNECT_PAUSE_SECONDS = 0.05
#: How often the supervisor checks that the engine still runs.
SUPERVISE_INTERVAL_SECONDS = 0.2


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


class EngineResponse:
    """A streamed response from the engine; read it line by line or whole, then close it."""

    def __init__(self, response: http.client.HTTPResponse, release: callable) -> None:
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
    #: the same answers as our embedded engine, whatever its own default-graph setting.
    default_dataset: Dataset | None = None
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.query_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) SPARQL endpoint: {self.query_url!r}")
        self._parts = parts

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if self._parts.scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(
                self._parts.hostname, self._parts.port, timeout=self.timeout + CLIENT_GRACE_SECONDS
            )
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def execute(self, query: str, accept: str, dataset: Dataset | None = None) -> EngineResponse:
        """POST the query (form-encoded) and return the streamed response.

        Raises :class:`QuerySyntaxError` for the engine's 400 (its message has the position),
        :class:`QueryTimeout` when the engine or the socket gives up, and
        :class:`StoreUnavailable` when the engine cannot be reached.
        """
        params = dataset.params() if dataset else []
        body = urllib.parse.urlencode([("query", query), *params]).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": accept,
            **self.headers,
        }
        path = self._parts.path or "/"
        # A kept-alive connection may have been closed by the engine: retry at once.  A refused
        # or reset connection may be an engine being restarted by its supervisor: retry for a
        # moment.  (Queries are read-only, so sending one again is harmless.)
        deadline = time.monotonic() + RECONNECT_SECONDS
        attempt = 0
        while True:
            attempt += 1
            conn = self._connection()
            if conn.sock is None:
                self._wait_until_ready(deadline)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
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
        if response.status == 400:
            message = response.read().decode("utf-8", "replace").strip()
            raise QuerySyntaxError(message or "the query engine refused the query")
        if response.status >= 300:
            message = response.read().decode("utf-8", "replace").strip()[:500]
            if response.status in (408, 503, 504):
                raise QueryTimeout(message or f"query engine answered {response.status}")
            raise StoreUnavailable(f"query engine answered {response.status}: {message}")
        return EngineResponse(response, self._release)

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


# ---- the embedded engine --------------------------------------------------------------------


def oxigraph_executable() -> str:
    """The ``oxigraph`` server binary installed with the ``oxigraph`` package."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / "oxigraph",
        Path(sys.executable).parent / "oxigraph",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise StoreUnavailable("the 'oxigraph' server is not installed (pip install oxigraph)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the engine gets SIGTERM if the server that started it dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedEngine:
    """An Oxigraph server child process holding one snapshot, bound to 127.0.0.1 only.

    The process that starts it (the ``serve`` master, before forking its workers) also runs a
    small supervisor thread: if the engine exits, it is started again on the same port with the
    same snapshot.  That makes :meth:`kill_runaway` safe to call from any worker: the last
    resort against a query the engine failed to cancel is to kill the engine, whose
    replacement holds the data again within a second (measured 0.05-0.3 s).  Queries that were
    streaming from the old engine get a 503 with ``Retry-After``; new ones wait for the new
    engine (:attr:`SparqlStore.ready`), so they never see it half-loaded.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes] | None,
        port: int,
        timeout: float,
        errors: IO[bytes] | None = None,
        *,
        nquads: Path | None = None,
        expected_triples: int | None = None,
    ) -> None:
        self.process = process
        self.errors = errors
        self.port = port
        self.timeout = timeout
        self.base_url = f"http://127.0.0.1:{port}"
        self.query_url = f"{self.base_url}/query"
        self.nquads = nquads
        self.expected_triples = expected_triples
        self.restarts = 0
        self._owner = os.getpid()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        # Workers find the current engine's pid here (it changes when the engine is restarted).
        fd, pid_file = tempfile.mkstemp(prefix="aifactories-engine-", suffix=".pid")
        os.close(fd)
        self.pid_file = Path(pid_file)

    @classmethod
    def start(
        cls, nquads: Path, *, timeout: float, expected_triples: int | None = None
    ) -> EmbeddedEngine:
        """Start the engine, load ``nquads``, check the count and supervise it; raise
        StoreUnavailable."""
        last_error = "did not start"
        for _ in range(3):  # the free port may be taken between our probe and the engine's bind
            engine = cls(
                None, _free_port(), timeout, nquads=nquads, expected_triples=expected_triples
            )
            try:
                engine._spawn()
            except StoreUnavailable as exc:
                last_error = str(exc)
                engine.stop()
                continue
            engine._supervise()
            return engine
        raise StoreUnavailable(f"could not start the embedded Oxigraph engine: {last_error}")

    def _spawn(self) -> None:
        """Start the server process on ``self.port`` and load the snapshot into it."""
        if self.errors is not None:
            self.errors.close()
        # A file, not a pipe: a full pipe would stall the engine.  Closed in stop().
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                oxigraph_executable(),
                "serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
                "--timeout-s",
                str(max(1, round(self.timeout))),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.errors,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self._wait_until_up()
        if self.nquads is not None:
            self._load(self.nquads)
        if self.expected_triples is not None:
            self._check_count(self.expected_triples)
        self.pid_file.write_text(str(self.process.pid))  # now it may be queried

    def _supervise(self) -> None:
        self._watcher = threading.Thread(
            target=self._watch, name="aifactories-engine-supervisor", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(SUPERVISE_INTERVAL_SECONDS):
            if self.process is None or self.process.poll() is None:
                continue
            self.pid_file.write_text("")  # not ready until the new engine holds the data
            log.warning(
                "query engine exited (status %s); restarting it on port %d",
                self.process.returncode,
                self.port,
            )
            started = time.monotonic()
            try:
                self._spawn()
            except StoreUnavailable as exc:
                log.error("could not restart the query engine (will retry): %s", exc)
                self._terminate()  # so that the next round sees it gone and tries again
                continue
            self.restarts += 1
            log.warning("query engine restarted in %.2f s", time.monotonic() - started)
            if self._stopping.is_set():  # stop() ran while we were restarting
                self._terminate()

    def is_ready(self) -> bool:
        """Whether an engine holding the snapshot is running (any process may ask)."""
        return self.current_pid() is not None

    def current_pid(self) -> int | None:
        """The loaded engine's pid as its supervisor recorded it; None while it restarts."""
        try:
            return int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None

    def kill_runaway(self, pid: int | None = None) -> None:
        """Kill the engine (from any process): its supervisor starts a fresh one.

        ``pid`` is the engine the runaway query was sent to; if it has already been replaced
        (two runaways overran together), the fresh engine is left alone.
        """
        current = self.current_pid()
        if current is None or (pid is not None and pid != current):
            return
        try:
            cmdline = Path(f"/proc/{current}/cmdline").read_bytes()
        except OSError:
            return
        if b"oxigraph" in cmdline and f"127.0.0.1:{self.port}".encode() in cmdline:
            log.warning("killing query engine pid %d: it did not cancel a query in time", current)
            with contextlib.suppress(ProcessLookupError):
                os.kill(current, signal.SIGKILL)

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + ENGINE_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.error_log()
                raise StoreUnavailable(
                    f"engine exited with status {self.process.returncode}: {err.strip()[:300]}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.02)
        raise StoreUnavailable("engine did not open its port in time")

    def _load(self, nquads: Path) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            with open(nquads, "rb") as body:
                conn.request(
                    "POST",
                    "/store",
                    body=body,
                    headers={
                        "Content-Type": "application/n-quads",
                        "Content-Length": str(nquads.stat().st_size),
                    },
                )
                response = conn.getresponse()
                detail = response.read().decode("utf-8", "replace")
            if response.status >= 300:
                raise StoreUnavailable(
                    f"engine refused the data ({response.status}): {detail[:300]}"
                )
        except OSError as exc:
            raise StoreUnavailable(f"could not load the data into the engine: {exc}") from None
        finally:
            conn.close()

    def _check_count(self, expected: int) -> None:
        store = SparqlStore(self.query_url, timeout=60)
        response = store.execute(
            "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", "text/tab-separated-values"
        )
        lines = response.read().splitlines()
        store.close()
        got = int(lines[1].split(b"^^")[0].strip(b'"')) if len(lines) > 1 else -1
        if got != expected:
            raise StoreUnavailable(f"engine holds {got} quads, expected {expected}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the engine for good (only the process that started it can)."""
        self._stopping.set()
        if os.getpid() != self._owner:
            return
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(ENGINE_START_SECONDS)
        self._terminate()
        if self.errors is not None:
            self.errors.close()
        self.pid_file.unlink(missing_ok=True)

    def _terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def error_log(self) -> str:
        """What the engine wrote to stderr (startup failures, cancelled streams)."""
        if self.errors is None or self.errors.closed:
            return ""
        self.errors.seek(0)
        return self.errors.read().decode("utf-8", "replace")


def iter_lines(response: EngineResponse, limit: int) -> Iterator[bytes]:
    """Yield at most ``limit`` lines of a streamed body."""
    for _ in range(limit):
        line = response.readline()
        if not line:
            return
        yield line


def stop_all(engines: Sequence[EmbeddedEngine]) -> None:
    for engine in engines:
        engine.stop()
