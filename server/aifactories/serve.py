"""Run the application under gunicorn, the production WSGI server, from our own process.

The master opens the knowledge graph once (snapshot + engine) before forking its workers, so
workers start instantly and share it; when the master exits it stops the engine.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from datetime import UTC, datetime
from typing import Any

from gunicorn.app.base import BaseApplication

from . import create_app
from .config import Settings
from .errors import AIFactoriesError, ConfigError, ValidationFailed
from .graph import KnowledgeGraph, open_graph

log = logging.getLogger(__name__)


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


class _Server(BaseApplication):
    """gunicorn's master, holding the current graph; SIGHUP rebuilds it beside the old one."""

    def __init__(self, graph: KnowledgeGraph, options: dict[str, Any]) -> None:
        self.graph = graph
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(graph=self.graph)

    def reload(self) -> None:
        """On SIGHUP: parse, validate and reason the data aside, and swap only if it conforms.

        gunicorn then forks new workers from this process (they get the new graph) and lets the
        old ones finish their requests on the old graph, whose engine is stopped once they are
        gone.  On failure nothing changes except that ``/readyz`` and the log say why.
        """
        super().reload()
        old = self.graph
        try:
            new = open_graph(old.settings)
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
            self.callable = None  # new workers report the failed reload
            return
        if new.snapshot.version == old.snapshot.version and old.engine is not None:
            new.close()
            old.reload_error = None
            self.callable = None
            log.info("reload: data unchanged (version %s)", old.snapshot.short_version)
            return
        self.graph = new
        self.callable = None
        log.info(
            "reload: now serving data version %s (was %s)",
            new.snapshot.short_version,
            old.snapshot.short_version,
        )
        retire = threading.Timer(self.cfg.graceful_timeout + 5, old.close)
        retire.daemon = True
        retire.start()


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return {
        "bind": f"{host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.threads,
        "preload_app": True,
        # The engine enforces the query timeout; this only catches a wedged worker.
        "timeout": int(settings.query_timeout * 3 + 30),
        "graceful_timeout": int(settings.query_timeout + 5),
        "keepalive": 5,
        "limit_request_line": 16384,
        "accesslog": "-" if settings.access_log else None,
        "control_socket_disable": True,
        "proc_name": "aifactories",
    }


def run(graph: KnowledgeGraph) -> KnowledgeGraph:
    """Serve until stopped; return the graph being served at the end (after reloads), which
    the caller closes."""
    server = _Server(graph, gunicorn_options(graph.settings))
    try:
        server.run()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    return server.graph
