"""Long queries get the rest of their time in an engine process of their own.

Why: ``oxigraph serve --timeout-s T`` keeps one thread asleep for the whole ``T`` seconds for
every query it receives, however fast the query, so the shared engine's live threads are the
queries of the last ``T`` seconds; past the machine's thread limits it aborts (see
:mod:`aifactories.admission`).  The shared engine therefore runs with a short timeout
(:data:`SHARED_TIMEOUT_SECONDS`), which lets it take ten times more queries per second at the
default 10 s ``query_timeout``; the rare query it stops at that short timeout is run again
here, with what is left of ``query_timeout``, by a read-only engine started for it alone on the
snapshot's on-disk store (about 50 ms to start) and killed when it finishes or its time is up.
A runaway query thus never holds a thread, a core or memory of the shared engine past the
short timeout, and killing its own engine touches no other query.

The on-disk store is built once per data version next to the snapshot (``oxigraph load``); in
the default in-memory mode that happens in the background after the server is ready, and until
it exists a query stopped at the short timeout is answered ``503`` as before.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from .engine import die_with_parent, free_port, oxigraph_executable, wait_for_port
from .errors import QueryTimeout
from .store import SparqlStore

log = logging.getLogger(__name__)

#: The shared engine's own timeout (Oxigraph takes whole seconds).
SHARED_TIMEOUT_SECONDS = 1
#: How long an isolated engine may take to open its port.
START_SECONDS = 5.0


def shared_timeout(query_timeout: float) -> float:
    """The shared engine's timeout for a server whose queries may run ``query_timeout``."""
    return min(float(SHARED_TIMEOUT_SECONDS), query_timeout)


class IsolatedRunner:
    """Starts one read-only engine per long query, at most ``max_running`` at a time per
    process (each may keep a core busy until its deadline)."""

    def __init__(self, location: Path, *, max_running: int) -> None:
        self.location = location
        self._slots = threading.BoundedSemaphore(max(1, max_running))

    def available(self) -> bool:
        """Whether the on-disk store exists yet (built in the background after start-up)."""
        return self.location.is_dir()

    @contextlib.contextmanager
    def store(self, seconds: float) -> Iterator[SparqlStore]:
        """A store client for a fresh engine that lives ``seconds`` at most; killed on exit.

        Raises :class:`QueryTimeout` when every slot is taken or the engine cannot start (the
        query has used its short timeout already; the client may retry).
        """
        if not self.available():
            raise QueryTimeout("the query exceeded the shared engine's time limit")
        if not self._slots.acquire(blocking=False):
            raise QueryTimeout(
                "the query needs more than the shared engine's time limit and every engine "
                "for long queries is busy; retry shortly"
            )
        process: subprocess.Popen[bytes] | None = None
        try:
            port = free_port()
            process = subprocess.Popen(
                [
                    oxigraph_executable(),
                    "serve-read-only",
                    "--location",
                    str(self.location),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--union-default-graph",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
            # The deadline is kept by killing the engine: a query never outlives its time.
            deadline = threading.Timer(seconds, process.kill)
            deadline.daemon = True
            deadline.start()
            try:
                if not wait_for_port(process, port, min(START_SECONDS, seconds)):
                    raise QueryTimeout(
                        "the engine for long queries did not start"
                        + (" in time" if process.poll() is None else "")
                        + "; retry shortly"
                    )
                store = SparqlStore(f"http://127.0.0.1:{port}/query", timeout=seconds, grace=0.0)
                try:
                    yield store
                finally:
                    store.close()
            finally:
                deadline.cancel()
        finally:
            if process is not None:
                process.kill()
                process.wait()
            self._slots.release()
