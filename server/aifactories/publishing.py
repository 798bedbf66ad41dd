"""Push the validated graph to a SPARQL 1.1 Graph Store Protocol endpoint and verify it.

Each named graph is replaced whole with ``PUT ?graph=IRI`` (idempotent: publishing twice leaves
the same content), then read back with ``GET ?graph=IRI`` and its triples counted.  Credentials
come from the environment only (``AIFACTORIES_STORE_TOKEN`` for a bearer token, or
``AIFACTORIES_STORE_USER`` / ``AIFACTORIES_STORE_PASSWORD`` for basic auth), never argv.
"""

from __future__ import annotations

import base64
import http.client
import os
import urllib.parse
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from .config import Settings
from .errors import EXIT_NONCONFORMANT, AIFactoriesError
from .external import meta_graph, meta_triples
from .snapshot import Snapshot
from .store import store_url

TIMEOUT_SECONDS = 120


class PublishError(AIFactoriesError):
    """The store refused a graph or holds something else than what we sent."""

    status = 502
    exit_code = EXIT_NONCONFORMANT
    title = "Publishing failed"


@dataclass(frozen=True)
class Published:
    graph: str
    sent: int
    found: int


def auth_headers(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    token = environ.get("AIFACTORIES_STORE_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user = environ.get("AIFACTORIES_STORE_USER")
    if user:
        secret = f"{user}:{environ.get('AIFACTORIES_STORE_PASSWORD', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(secret).decode()}
    return {}


def _request(
    url: str, method: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    try:
        path = parts.path + ("?" + parts.query if parts.query else "")
        conn.request(method, path or "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError as exc:
        raise PublishError(f"{method} {url}: {exc}") from None
    finally:
        conn.close()


def publish(
    snapshot: Snapshot, settings: Settings, target: str, environ: Mapping[str, str] = os.environ
) -> list[Published]:
    """Replace every named graph of the snapshot in the store at ``target`` and verify counts."""
    base = store_url(target)
    if not base.startswith(("http://", "https://")):
        raise PublishError(f"not an http(s) Graph Store Protocol URL: {target!r}")
    by_graph: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in snapshot.quads():
        by_graph[quad.graph_name.value].append(quad.triple)
    graphs = sorted(by_graph.items())
    # The metadata graph goes last: a replica that sees the new version finds all its data.
    graphs.append((meta_graph(settings), meta_triples(snapshot, settings)))
    headers = auth_headers(environ)
    separator = "&" if "?" in base else "?"
    done = []
    for graph, triples in graphs:
        url = f"{base}{separator}graph={urllib.parse.quote(graph, safe='')}"
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        status, answer = _request(
            url, "PUT", body, {**headers, "Content-Type": "application/n-triples"}
        )
        if status >= 300:
            raise PublishError(
                f"PUT {url} answered {status}: {answer[:300].decode('utf-8', 'replace')}"
            )
        status, answer = _request(url, "GET", None, {**headers, "Accept": "application/n-triples"})
        if status >= 300:
            raise PublishError(f"GET {url} answered {status} when verifying")
        found = len(list(ox.parse(answer, format=ox.RdfFormat.N_TRIPLES)))
        sent = len(set(triples))
        if found != sent:
            raise PublishError(f"graph <{graph}>: sent {sent} triples, the store holds {found}")
        done.append(Published(graph, sent, found))
    return done
