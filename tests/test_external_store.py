"""Scale-out: ``publish`` to a real Oxigraph server, then ``serve --store`` from it.

CI starts an ``oxigraph serve`` on loopback and names it in ``AIFACTORIES_TEST_STORE``; run
locally without it, the tests start their own.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from aifactories import bundle
from aifactories.engine import oxigraph_executable
from conftest import TINY, LiveServer, free_port, run_cli, start_server, stop_server

DATA_GRAPH = "https://w3id.org/aifactories/graph/data"


def _start_oxigraph() -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_executable(), "serve", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/query?query=ASK%7B%7D", timeout=1)
            return url, process
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("oxigraph did not start")


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[str]:
    """Base URL of a real Oxigraph server (CI's, or one started here)."""
    given = os.environ.get("AIFACTORIES_TEST_STORE")
    if given:
        yield given.rstrip("/")
        return
    url, process = _start_oxigraph()
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def published(oxigraph: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The bundled graph published to the store."""
    cache = tmp_path_factory.mktemp("publish-cache")
    result = run_cli("publish", f"{oxigraph}/store", "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def store_server(
    oxigraph: str, published: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = start_server(
        "--store", f"sparql+{oxigraph}/query", cache=tmp_path_factory.mktemp("store-cache")
    )
    yield server
    stop_server(server)


def _graph_count(oxigraph: str, graph: str) -> int:
    response = requests.post(
        f"{oxigraph}/query",
        data={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _rows(server: LiveServer, query: str) -> list[tuple[tuple[str, str], ...]]:
    response = requests.post(
        server.url + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if "boolean" in body:
        return [(("boolean", str(body["boolean"])),)]
    return sorted(
        tuple(sorted((k, v["value"]) for k, v in row.items() if v["type"] != "bnode"))
        for row in body["results"]["bindings"]
    )


def test_publish_verifies_every_graph(published: str) -> None:
    assert f"<{DATA_GRAPH}>:" in published and "triples verified" in published
    assert "graph/meta>" in published


def _dump(url: str) -> dict[str, Graph]:
    """Every named graph in the store, as rdflib graphs (compared up to blank-node renaming)."""
    names = requests.post(
        f"{url}/query",
        data={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()["results"]["bindings"]
    graphs = {}
    for row in names:
        name = row["g"]["value"]
        body = requests.get(
            f"{url}/store",
            params={"graph": name},
            timeout=30,
            headers={"Accept": "application/n-triples"},
        ).text
        graphs[name] = Graph().parse(data=body, format="nt")
    return graphs


def test_publish_twice_leaves_the_same_content(tmp_path: Path) -> None:
    url, process = _start_oxigraph()
    try:
        args = ("publish", f"{url}/store", "--data", str(TINY), "--cache-dir", str(tmp_path))
        assert run_cli(*args).returncode == 0
        first = _dump(url)
        assert run_cli(*args).returncode == 0
        second = _dump(url)
        assert sorted(second) == sorted(first) and DATA_GRAPH in first
        for name, graph in first.items():
            assert isomorphic(graph, second[name]), name
    finally:
        process.kill()
        process.wait(10)


def test_publish_to_a_store_that_is_down_exits_1(tmp_path: Path) -> None:
    result = run_cli(
        "publish",
        f"http://127.0.0.1:{free_port()}/store",
        "--data",
        str(TINY),
        "--cache-dir",
        str(tmp_path),
    )
    assert result.returncode == 1
    assert "Connection refused" in result.stderr and "Traceback" not in result.stderr


def test_publish_reports_http_errors(oxigraph: str, tmp_path: Path) -> None:
    result = run_cli(
        "publish", f"{oxigraph}/no-such-path", "--data", str(TINY), "--cache-dir", str(tmp_path)
    )
    assert result.returncode == 1
    assert "answered 4" in result.stderr


def test_store_server_reports_the_published_version(
    store_server: LiveServer, bundled_server: LiveServer
) -> None:
    external = store_server.get("/readyz").json()
    embedded = bundled_server.get("/readyz").json()
    assert external["store"] == "external"
    assert external["dataVersion"] == embedded["dataVersion"]
    assert external["graphs"] == embedded["graphs"]


def _example_queries() -> list[Path]:
    return sorted(bundle.queries_dir().glob("*.rq"))


@pytest.mark.parametrize("path", _example_queries(), ids=lambda p: p.stem)
def test_example_query_parity(
    path: Path, store_server: LiveServer, bundled_server: LiveServer
) -> None:
    query = path.read_text(encoding="utf-8")
    assert _rows(store_server, query) == _rows(bundled_server, query)


def test_replicas_give_identical_answers(
    store_server: LiveServer, oxigraph: str, tmp_path: Path
) -> None:
    replica = start_server("--store", f"sparql+{oxigraph}/query", cache=tmp_path)
    try:
        query = {"query": "SELECT ?s WHERE { ?s a ?type } ORDER BY ?s LIMIT 50"}
        first = requests.get(store_server.url + "/sparql", params=query, timeout=30)
        second = requests.get(replica.url + "/sparql", params=query, timeout=30)
        assert first.content == second.content
        assert first.headers.get("ETag") == second.headers.get("ETag")
    finally:
        stop_server(replica)


def test_store_down_gives_503_with_retry_after(tmp_path: Path) -> None:
    url, process = _start_oxigraph()
    try:
        assert (
            run_cli(
                "publish", f"{url}/store", "--data", str(TINY), "--cache-dir", str(tmp_path)
            ).returncode
            == 0
        )
        server = start_server("--store", f"sparql+{url}/query", cache=tmp_path)
    finally:
        process.kill()
        process.wait(10)
    try:
        started = time.monotonic()
        response = server.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert response.status_code == 503
        assert "Retry-After" in response.headers
        assert time.monotonic() - started < 5
        assert server.get("/readyz").status_code == 503
    finally:
        stop_server(server)


def test_data_and_store_exclude_each_other(oxigraph: str) -> None:
    result = run_cli(
        "serve", "--port", "0", "--store", f"sparql+{oxigraph}/query", "--data", str(TINY)
    )
    assert result.returncode == 2
    assert "exclude each other" in result.stderr
