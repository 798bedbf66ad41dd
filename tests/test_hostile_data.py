"""Hostile data files: RDF/XML is read, but entity declarations ("billion laughs", external
entities) are refused before any parser sees them, quickly and with a clear message, and an
external entity is never fetched."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import free_port, run_cli

REFUSAL = "DOCTYPE/ENTITY declarations are refused"
#: "Well under a second" for the refusal itself; the CLI's start-up is measured on top.
REFUSAL_SECONDS = 5.0

RDF_XML = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="http://example.org/alpha">
    <rdfs:label xml:lang="en">Alpha</rdfs:label>
  </rdf:Description>
</rdf:RDF>
"""


def billion_laughs() -> str:
    """The classic: ten levels of ten references, 10^9 copies of "lol" once expanded."""
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        ref = f"&lol{level - 1};" * 10
        entities.append(f'<!ENTITY lol{level} "{ref}">')
    doctype = "<!DOCTYPE rdf:RDF [\n  " + "\n  ".join(entities) + "\n]>\n"
    return RDF_XML.replace("Alpha</rdfs:label>", "&lol9;</rdfs:label>").replace(
        "<rdf:RDF", doctype + "<rdf:RDF", 1
    )


def external_entity(url: str) -> str:
    doctype = f'<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "{url}">]>\n'
    return RDF_XML.replace("Alpha</rdfs:label>", "&ext;</rdfs:label>").replace(
        "<rdf:RDF", doctype + "<rdf:RDF", 1
    )


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it gets."""
    seen: list[str] = []

    class Record(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"leaked")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", free_port()), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/secret", seen
    server.shutdown()
    server.server_close()


def test_rdf_xml_data_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "alpha.rdf").write_text(RDF_XML)
    result = run_cli("validate", str(tmp_path / "alpha.rdf"), "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr


def test_validate_refuses_billion_laughs_quickly(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(billion_laughs())
    started = time.monotonic()
    result = run_cli("validate", str(bomb), "--cache-dir", str(tmp_path / "c"), timeout=30)
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert f"{bomb}: {REFUSAL}" in result.stderr
    assert elapsed < REFUSAL_SECONDS


def test_refusal_happens_before_parsing(tmp_path: Path) -> None:
    """The check itself takes milliseconds: no parser ever starts expanding."""
    from aifactories.errors import HostileInputError
    from aifactories.loading import read_files

    bomb = tmp_path / "bomb.owl"
    bomb.write_text(billion_laughs())
    started = time.perf_counter()
    with pytest.raises(HostileInputError, match=REFUSAL):
        read_files([bomb])
    assert time.perf_counter() - started < 0.1


def test_serve_refuses_billion_laughs(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(billion_laughs())
    started = time.monotonic()
    options = ["--port", str(free_port()), "--data", str(bomb), "--cache-dir", str(tmp_path / "c")]
    result = subprocess.run(
        [sys.executable, "-m", "aifactories", "serve", *options],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert f"{bomb}: {REFUSAL}" in result.stderr
    assert time.monotonic() - started < REFUSAL_SECONDS


def test_external_entity_is_never_fetched(tmp_path: Path, listener: tuple[str, list[str]]) -> None:
    url, seen = listener
    xxe = tmp_path / "xxe.rdf"
    xxe.write_text(external_entity(url))
    for command in (["validate", str(xxe)], ["query", "ASK {}", "--data", str(xxe)]):
        result = run_cli(*command, "--cache-dir", str(tmp_path / "c"), timeout=60)
        assert result.returncode == 2, result.stdout
        assert REFUSAL in result.stderr
    time.sleep(0.2)
    assert seen == []


def test_listener_would_have_seen_a_fetch(listener: tuple[str, list[str]]) -> None:
    """The negative twin: the listener does record a request made to it."""
    url, seen = listener
    host, port = url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"GET /secret HTTP/1.0\r\n\r\n")
        conn.recv(1024)
    assert seen == ["/secret"]
