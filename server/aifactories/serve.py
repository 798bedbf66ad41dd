"""Run the application under gunicorn, the production WSGI server, from our own process.

The master opens the knowledge graph once (snapshot + engine) before forking its workers, so
workers start instantly and share it; when the master exits it stops the engine.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from gunicorn.app.base import BaseApplication

from . import create_app
from .config import Settings
from .errors import ConfigError
from .graph import KnowledgeGraph


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
        "accesslog": "-",
        "control_socket_disable": True,
        "proc_name": "aifactories",
    }


def run(graph: KnowledgeGraph) -> None:
    """Serve until stopped; the caller closes the graph afterwards."""
    _Server(graph, gunicorn_options(graph.settings)).run()
