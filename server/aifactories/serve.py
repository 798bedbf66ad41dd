"""Run the application under granian, the production server, from our own process.

Why granian: its HTTP/1.1 handling is Rust, so a Python worker only runs the application.  On
this project's two-core benchmark machine the same trivial WSGI app answered 28,747 req/s on
granian against 5,952 on gunicorn's gthread workers (whose socket writes and request parsing
were 44 % of a cached answer's CPU in a py-spy profile).

The master opens the knowledge graph (snapshot + engine) and builds the Flask app once, before
forking its workers, so workers start instantly and share both; when the master exits it stops
the engine.  SIGHUP rebuilds the graph beside the old one and swaps it in only if it conforms.
"""

from __future__ import annotations

import errno
import gc
import logging
import multiprocessing
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import MPServer

from . import create_app
from .errors import AIFactoriesError, ConfigError, ValidationFailed
from .graph import KnowledgeGraph, open_graph

log = logging.getLogger(__name__)

#: Seconds between starting a new worker and stopping the old one on reload: long enough for
#: the new one to listen (it inherits a ready app), short enough that a reload takes ~1 s.
RESPAWN_INTERVAL = 0.5
#: How soon the master acts on a signal (its handlers only raise a flag; see _PollingEvent).
SIGNAL_POLL_SECONDS = 0.2
#: Largest request head (request line + headers) accepted; SPARQL GET URLs can be long.
MAX_HEAD_BYTES = 64 * 1024


def check_port(host: str, port: int) -> None:
    """Fail early, in one line, when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is already in use") from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class _ThreadAdvice(logging.Filter):
    """Drop granian's advice against more Python threads than cores: ours mostly wait on the
    query engine, so a few per core is the point (see ``threads`` in the README)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning up to")


class _PollingEvent(threading.Event):
    """The master loop's wake-up event: an untimed ``wait()`` wakes every
    :data:`SIGNAL_POLL_SECONDS` to see whether a signal handler raised a flag (``pending``), so
    that handlers need no lock and the main thread runs them whichever thread the kernel chose.
    """

    def __init__(self, pending: Callable[[], bool]) -> None:
        super().__init__()
        self._pending = pending

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            return super().wait(timeout)
        while not super().wait(SIGNAL_POLL_SECONDS):
            if self._pending():
                return True
        return True


class Drain:
    """WSGI wrapper: once a reload has begun, an old worker answers with ``Connection: close``.

    Why: a worker being replaced closes its idle keep-alive connections when it stops, and a
    client that sends its next request on one at that instant gets no answer (13 of 49,500
    requests over 8 reloads under 16 keep-alive clients).  Telling clients to close after
    each answer, from the start of the reload, moves them to fresh connections before then.
    Each worker notes the reload generation it was born in; the master counts reloads in
    shared memory made before the first fork.
    """

    def __init__(self, generation: Any, app: Any) -> None:
        self.generation = generation
        self.born = generation.value
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.generation.value == self.born:
            return self.app(environ, start_response)

        def closing(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("Connection", "close")], exc_info)

        return self.app(environ, closing)


class _Server(MPServer):
    """granian's master, holding the current graph and app; SIGHUP rebuilds them aside."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        settings = graph.settings
        super().__init__(
            "aifactories",
            address=settings.host,
            port=settings.port,
            interface=Interfaces.WSGI,
            workers=settings.workers,
            # Python threads per worker: the engine does the query work, so a few threads
            # keep a worker busy while others wait on the engine.
            blocking_threads=settings.threads,
            backpressure=settings.threads * 16,
            http=HTTPModes.http1,
            websockets=False,
            http1_settings=HTTP1Settings(max_buffer_size=MAX_HEAD_BYTES),
            log_level=LogLevels.warning,
            log_access=settings.access_log,
            respawn_failed_workers=True,
            respawn_interval=RESPAWN_INTERVAL,
            # A reload or stop waits for requests in flight, at most one query timeout.
            workers_kill_timeout=int(settings.query_timeout + 5),
        )
        logging.getLogger("_granian").addFilter(_ThreadAdvice())
        self.graph = graph
        self.app = create_app(graph=graph)
        self._retired: list[KnowledgeGraph] = []
        self._generation = multiprocessing.RawValue("q", 0)
        self.main_loop_interrupt = _PollingEvent(
            lambda: self.interrupt_signal or self.reload_signal
        )
        self.on_reload(self._rebuild)
        _freeze_heap()

    # Signals.  granian's own handlers call ``Event.set()``, which takes a lock: a handler
    # that runs while the main thread holds it (inside the previous signal's handler: Ctrl-C
    # twice, or ``timeout`` forwarding a SIGTERM the master also got) waits for itself forever,
    # and a signal the kernel hands to another thread never wakes a main thread blocked in an
    # untimed wait.  Both were seen: masters hung after SIGTERMs.  Here handlers only set a
    # flag, and the main loop's event polls for it (:class:`_PollingEvent`).

    def signal_handler_interrupt(self, *_args: Any) -> None:
        self.interrupt_signal = True

    def signal_handler_reload(self, *_args: Any) -> None:
        self.reload_signal = True

    def run(self) -> None:
        # Workers are forked: the loader runs in each of them and returns the master's app.
        self.serve(target_loader=self._current_app, wrap_loader=False)

    def _current_app(self) -> Drain:
        """In each new worker: the current app, behind this worker's own drain switch."""
        return Drain(self._generation, self.app)

    def _rebuild(self) -> None:
        """On SIGHUP: rebuild the graph aside (:meth:`_swap`); then, right before granian
        replaces the workers, the old ones start closing their connections (:class:`Drain`)."""
        try:
            self._swap()
        finally:
            self._generation.value += 1

    def _swap(self) -> None:
        """On SIGHUP: parse, validate and reason the data aside, and swap only if it conforms.

        granian then forks new workers from this process (they get the new graph) and stops
        the old ones once they have finished their requests; the old graph's engine is stopped
        after that (:meth:`_reload`).  On failure nothing changes except that ``/readyz`` and
        the log say why.
        """
        old = self.graph
        try:
            new = open_graph(old.settings, serving=True)
        except AIFactoriesError as exc:
            reason = exc.message
            if isinstance(exc, ValidationFailed) and exc.report is not None:
                reason += "\n" + exc.report.as_text()
            old.reload_error = f"{datetime.now(UTC).isoformat(timespec='seconds')}: {reason}"
            log.error(
                "reload refused; still serving data version %s: %s",
                old.snapshot.short_version,
                reason,
            )
            return  # the respawned workers report the failed reload
        if new.snapshot.version == old.snapshot.version and old.engine is not None:
            new.close()
            old.reload_error = None
            log.info("reload: data unchanged (version %s)", old.snapshot.short_version)
            return
        self.graph = new
        self.app = create_app(graph=new)
        self._retired.append(old)
        _freeze_heap()
        log.info(
            "reload: now serving data version %s (was %s)",
            new.snapshot.short_version,
            old.snapshot.short_version,
        )

    def _reload(self, spawn_target: Any, target_loader: Any) -> None:
        super()._reload(spawn_target, target_loader)  # returns once the old workers are gone
        while self._retired:
            self._retired.pop().close()


def _freeze_heap() -> None:
    """Before forking workers: collect, then move every object the master holds out of the
    garbage collector's reach (``gc.freeze``).

    Workers inherit the master's heap (the app, parsed data, validation leftovers).  Without
    this, each worker's first full collections walk all of it, which both stalls requests
    (the worst 1 % of a benchmark round took 77-410 ms, against 5 ms in the next round) and
    writes to every page it touches, undoing copy-on-write sharing.  On reload the old heap is
    unfrozen first so that the replaced graph can be freed.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def run(graph: KnowledgeGraph) -> KnowledgeGraph:
    """Serve until stopped; return the graph being served at the end (after reloads), which
    the caller closes."""
    server = _Server(graph)
    try:
        server.run()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    return server.graph
