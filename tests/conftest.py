"""Shared fixtures: settings, an opened graph, the Flask app and client, a live server.

Tests about HTTP behaviour use ``live_server``: the real ``aifactories serve`` (granian and the
embedded engine) on a free loopback port.  Tests about views use ``client``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
import requests

from aifactories import bundle, create_app
from aifactories.config import Settings, load_settings
from aifactories.graph import KnowledgeGraph, open_graph

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny.ttl"
START_TIMEOUT = 120.0
#: Headless Chromium kept offline: no sync, no component updates, no QUIC, no first-run work.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cache(tmp_path: Path) -> list[str]:
    """``--cache-dir`` arguments for a CLI run with a cache of its own."""
    return ["--cache-dir", str(tmp_path / "cache")]


@pytest.fixture(scope="session")
def ontology() -> rdflib.Graph:
    """The ontology's edit source, parsed with rdflib."""
    return rdflib.Graph().parse(bundle.ontology_file())


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def settings(cache_dir: Path) -> Settings:
    """Settings for the tiny fixture graph (fast; independent of the bundled data)."""
    return load_settings({"cache_dir": str(cache_dir), "data": [str(TINY)]}, environ={})


@pytest.fixture(scope="session")
def graph(settings: Settings) -> Iterator[KnowledgeGraph]:
    opened = open_graph(settings)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def bundled_graph(cache_dir: Path) -> Iterator[KnowledgeGraph]:
    """The real, bundled knowledge graph."""
    opened = open_graph(load_settings({"cache_dir": str(cache_dir)}, environ={}))
    yield opened
    opened.close()


@pytest.fixture
def app(graph: KnowledgeGraph):
    app = create_app({"TESTING": True}, graph=graph)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def bundled_client(bundled_graph: KnowledgeGraph):
    return create_app({"TESTING": True}, graph=bundled_graph).test_client()


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m aifactories`` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "aifactories", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def banner(self) -> str:
        """The first line the server printed (its URL)."""
        return self.output().splitlines()[0]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)


def server_workers(master: int) -> list[int]:
    """The master's children that are server workers (not the query engine)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == master and b"aifactories" in cmdline and b"serve" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def start_server(*args: str, cache: Path, port: int | None = None) -> LiveServer:
    """Start ``aifactories serve`` and wait until ``/readyz`` answers.

    Its output goes to a file, never an unread pipe: a full pipe would block the server.
    """
    port = port or free_port()
    cache.mkdir(parents=True, exist_ok=True)
    log = cache / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aifactories",
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
                "--cache-dir",
                str(cache),
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {server.output()}")
        try:
            if requests.get(server.url + "/readyz", timeout=2).status_code == 200:
                return server
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not become ready: {server.output()}")


def stop_server(server: LiveServer) -> int:
    server.process.terminate()
    try:
        return server.process.wait(30)
    finally:
        if server.process.poll() is None:
            server.process.kill()


@pytest.fixture(scope="session")
def live_server(cache_dir: Path) -> Iterator[LiveServer]:
    """The production server on the tiny fixture graph."""
    server = start_server("--data", str(TINY), cache=cache_dir)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def bundled_server(cache_dir: Path) -> Iterator[LiveServer]:
    """The production server on the bundled knowledge graph, as the README starts it."""
    server = start_server(cache=cache_dir)
    yield server
    stop_server(server)
