"""Smoke tests of the benchmark harness's parts (the benchmark itself runs on demand:
``python benchmarks/run.py``).  They check that the synthetic data is shaped like ours, that the
load generator's script sends what we mean, and that the harness starts, measures and stops the
real servers on loopback.
"""

from __future__ import annotations

import io
import shutil
import socket
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # plain ``pytest`` (not ``python -m pytest``) does not add it
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from benchmarks.loadgen import COUNTER, SUBJECT, run_wrk, sparql_template  # noqa: E402
from benchmarks.servers import Server, start_ours, start_oxigraph  # noqa: E402
from benchmarks.sidebyside import instantiate, page_subjects, snapshot_file  # noqa: E402
from benchmarks.workloads import UNIQUE_CHEAP, builtin_examples  # noqa: E402

from aifactories import snapshot  # noqa: E402
from aifactories.config import load_settings  # noqa: E402
from conftest import TINY  # noqa: E402

AIF = "https://w3id.org/aifactories/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SOURCE = "http://purl.org/dc/terms/source"
SMALL = 1_500


def _generated(triples: int) -> tuple[str, int]:
    out = io.StringIO()
    count = generate(triples, out)
    return out.getvalue(), count


@pytest.fixture(scope="module")
def synthetic() -> tuple[list[ox.Triple], int]:
    text, count = _generated(SMALL)
    return [q.triple for q in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)], count


def test_generator_writes_the_triple_count_it_reports(synthetic) -> None:
    triples, count = synthetic
    assert len(set(triples)) == count >= SMALL


def test_generator_is_deterministic() -> None:
    assert _generated(800) == _generated(800)


def test_generated_data_has_our_resource_kinds(synthetic) -> None:
    triples, _ = synthetic
    types = {t.object.value for t in triples if t.predicate.value == RDF_TYPE}
    for cls in (
        "AIFactory",
        "AIFactoryAntenna",
        "Supercomputer",
        "ComputeProvision",
        "Funding",
        "PerformanceMeasurement",
        "Country",
        "City",
        "Source",
    ):
        assert AIF + cls in types
    assert "http://www.w3.org/ns/org#Organization" in types


def test_every_generated_resource_has_a_source_and_labels_in_both_languages(synthetic) -> None:
    triples, _ = synthetic
    typed = {t.subject for t in triples if t.predicate.value == RDF_TYPE}
    sourced = {t.subject for t in triples if t.predicate.value == SOURCE}
    assert typed <= sourced
    hubs = {
        t.subject
        for t in triples
        if t.predicate.value == RDF_TYPE and t.object.value == AIF + "AIFactory"
    }
    languages = {
        (t.subject, t.object.language)
        for t in triples
        if t.predicate.value == LABEL and t.subject in hubs
    }
    assert {(h, lang) for h in hubs for lang in ("en", "fr")} <= languages


def test_generated_data_conforms_to_our_shapes(tmp_path: Path) -> None:
    data = tmp_path / "synthetic.ttl"
    # Large enough for every kind of cluster (antennas, partner countries, several waves).
    data.write_text(_generated(2_500)[0], encoding="utf-8")
    settings = load_settings({"cache_dir": str(tmp_path), "data": [str(data)]}, environ={})
    report, _inferred, _quads = snapshot.check(snapshot.read_inputs(settings), settings)
    assert report.conforms, report.as_text()[-2000:]


def test_sparql_template_keeps_the_placeholders_for_wrk() -> None:
    template = sparql_template("/sparql", UNIQUE_CHEAP[0], "application/sparql-results+json")
    path = instantiate(template, "https://w3id.org/aifactories/id/factory/x", 7)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["query"][0]
    assert SUBJECT not in query and COUNTER not in query
    assert "<https://w3id.org/aifactories/id/factory/x>" in query
    assert query.endswith("LIMIT 17")


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Our production server on the tiny fixture, started by the harness."""
    logs, cache = tmp_path_factory.mktemp("bench-logs"), tmp_path_factory.mktemp("bench-cache")
    server = start_ours([TINY], cache, logs, ready_timeout=120)
    server.extra["cache"] = cache
    yield server
    server.stop()


def test_harness_starts_our_server_as_production_does(ours: Server) -> None:
    ready = requests.get(ours.base_url + "/readyz", timeout=10).json()
    assert ready["ready"] and ready["triples"] > 0
    # server master, two workers and the Oxigraph engine (the second worker may still be
    # forking when the first answers /readyz)
    deadline = time.monotonic() + 10
    while (memory := ours.memory()).processes < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert memory.processes >= 4 and memory.rss_mb > memory.pss_mb > 0


def test_harness_loads_our_snapshot_into_oxigraph_serve(
    ours: Server, tmp_path_factory: pytest.TempPathFactory
) -> None:
    nquads, ready = snapshot_file(ours, Path(ours.extra["cache"]))
    peer = start_oxigraph(nquads, tmp_path_factory.mktemp("oxigraph-logs"))
    try:
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        answer = requests.get(
            peer.sparql_url, params={"query": count}, headers={"Accept": "application/json"}
        )
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == ready["triples"]
        assert "http://example.org/alpha" in page_subjects(peer, base="http://example.org/")
    finally:
        peer.stop()
    assert peer.process.poll() is not None


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (apt-get install wrk)")
def test_wrk_drives_unique_queries_without_errors(ours: Server) -> None:
    templates = [
        sparql_template(ours.sparql_path, q, "application/sparql-results+json")
        for q in UNIQUE_CHEAP
    ]
    result = run_wrk(
        ours.base_url,
        templates,
        duration=1,
        connections=2,
        subjects=["http://example.org/alpha", "http://example.org/beta"],
    )
    assert result.requests > 10 and result.errors == 0
    assert result.p50_ms <= result.p99_ms


def test_builtin_examples_run_on_our_server(ours: Server) -> None:
    for example in builtin_examples():
        answer = requests.get(
            ours.sparql_url, params={"query": example.text}, headers={"Accept": example.accept}
        )
        assert answer.status_code == 200, (example.name, answer.text[:300])


def test_stopped_server_frees_its_port(tmp_path: Path) -> None:
    server = start_ours([TINY], tmp_path / "cache", tmp_path, ready_timeout=120)
    server.stop()
    port = urllib.parse.urlsplit(server.base_url).port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
