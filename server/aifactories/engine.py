"""The embedded query engine: Oxigraph's own server as a supervised child process.

It listens on a free loopback port, holds one snapshot, enforces the query timeout itself, and is
killed and restarted (same port, same data) when a query outlives that timeout anyway.  Requests
reach it through :class:`aifactories.store.SparqlStore`, like any external store.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import logging
import multiprocessing
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
from pathlib import Path
from typing import IO

from .errors import StoreUnavailable
from .store import SparqlStore

log = logging.getLogger(__name__)

ENGINE_START_SECONDS = 10.0
#: How often the supervisor checks that the engine still runs.
SUPERVISE_INTERVAL_SECONDS = 0.2


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


def engine_timeout_seconds(query_timeout: float) -> int:
    """The engine's ``--timeout-s`` for ``query_timeout``: whole seconds, at least one.

    Also how long each query keeps one of the engine's threads alive (see
    :mod:`aifactories.admission`).
    """
    return max(1, round(query_timeout))


def free_port() -> int:
    """A loopback port free right now (the engine binding it may still lose a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(process: subprocess.Popen[bytes], port: int, seconds: float) -> bool:
    """Whether the child ``process`` listens on loopback ``port`` within ``seconds``; False
    at once if it exits (the caller tells the two failures apart with ``process.poll()``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), 0.2),
        ):
            return True
        time.sleep(0.005)
    return False


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the engine gets SIGTERM if the server that started it dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def disk_store_location(nquads: Path) -> Path:
    """Where :func:`build_disk_store` puts the on-disk store of a snapshot."""
    return nquads.parent / "oxigraph"


def build_disk_store(nquads: Path) -> Path:
    """The on-disk Oxigraph store of a snapshot, built beside it once (atomically) and reused."""
    location = disk_store_location(nquads)
    if location.is_dir():
        return location
    building = Path(tempfile.mkdtemp(prefix=".oxigraph.", dir=nquads.parent))
    try:
        result = subprocess.run(
            [oxigraph_executable(), "load", "--location", str(building), "--file", str(nquads)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise StoreUnavailable(f"could not build the on-disk store: {result.stderr[-300:]}")
        try:
            os.rename(building, location)
        except OSError:
            if not location.is_dir():  # not a concurrent builder's win
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return location


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
        location: Path | None = None,
    ) -> None:
        self.process = process
        self.errors = errors
        self.port = port
        self.timeout = timeout
        self.base_url = f"http://127.0.0.1:{port}"
        self.query_url = f"{self.base_url}/query"
        self.nquads = nquads
        self.expected_triples = expected_triples
        #: An on-disk store served read-only (``engine_storage = "disk"``), or None: in memory.
        self.location = location
        self.restarts = 0
        self._owner = os.getpid()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        # Workers find the loaded engine's pid here (it changes when the engine is restarted;
        # 0 while it restarts): shared memory made before they fork, read on every query
        # without a system call (a pid file cost 3 % of an uncached query's CPU).
        self._pid = multiprocessing.RawValue("q", 0)

    @classmethod
    def start(
        cls,
        nquads: Path,
        *,
        timeout: float,
        expected_triples: int | None = None,
        storage: str = "memory",
    ) -> EmbeddedEngine:
        """Start the engine, load ``nquads``, check the count and supervise it; raise
        StoreUnavailable.

        ``storage="memory"`` (the default, fastest) loads the snapshot into an in-memory server,
        which also accepts writes on its loopback port; ``"disk"`` builds an on-disk store next
        to the snapshot once per data version and serves it read-only (writes get 403), at
        about +0.6 ms per uncached example query (measured on the bundled graph).
        """
        location = build_disk_store(nquads) if storage == "disk" else None
        last_error = "did not start"
        for _ in range(3):  # the free port may be taken between our probe and the engine's bind
            engine = cls(
                None,
                free_port(),
                timeout,
                nquads=None if location else nquads,
                expected_triples=expected_triples,
                location=location,
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
                *(
                    ("serve-read-only", "--location", str(self.location))
                    if self.location
                    else ("serve",)
                ),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
                "--timeout-s",
                str(engine_timeout_seconds(self.timeout)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.errors,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )
        self._wait_until_up()
        if self.nquads is not None:
            self._load(self.nquads)
        if self.expected_triples is not None:
            self._check_count(self.expected_triples)
        self._pid.value = self.process.pid  # now it may be queried

    def _supervise(self) -> None:
        self._watcher = threading.Thread(
            target=self._watch, name="aifactories-engine-supervisor", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(SUPERVISE_INTERVAL_SECONDS):
            if self.process is None or self.process.poll() is None:
                continue
            self._pid.value = 0  # not ready until the new engine holds the data
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
        return self._pid.value or None

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
        if wait_for_port(self.process, self.port, ENGINE_START_SECONDS):
            return
        if self.process.poll() is not None:
            err = self.error_log()
            raise StoreUnavailable(
                f"engine exited with status {self.process.returncode}: {err.strip()[:300]}"
            )
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
        self._pid.value = 0
        if self.errors is not None:
            self.errors.close()

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
