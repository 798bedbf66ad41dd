"""One JSON log line per query and Prometheus metrics, from the real server: the counters are
summed over every worker process, the gauges match /readyz, and the log line holds no query."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from aifactories.observability import LineHandler
from aifactories.sparql_check import analyse
from conftest import TINY, LiveServer, start_server, stop_server

THINGS = "SELECT ?s WHERE { ?s a <http://example.org/Thing> } # marker-7f3a"
MAX_ROWS = 2
LOG_WAIT = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("obs")
    config = folder / "settings.toml"
    config.write_text(f"max_rows = {MAX_ROWS}\n")
    live = start_server("--data", str(TINY), "--config", str(config), cache=folder)
    yield live
    stop_server(live)


def query(server: LiveServer, text: str, **headers: str) -> tuple[str, requests.Response]:
    """Run ``text`` on a fresh connection (so requests spread over the workers)."""
    request_id = headers.pop("request_id", uuid.uuid4().hex[:16])
    response = requests.get(
        server.url + "/sparql",
        params={"query": text},
        headers={"X-Request-Id": request_id, "Connection": "close", **headers},
        timeout=30,
    )
    return request_id, response


def log_line(log: Path, request_id: str) -> dict[str, object]:
    deadline = time.monotonic() + LOG_WAIT
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"requestId":"{request_id}"' in line:
                return json.loads(line)
        time.sleep(0.1)
    raise AssertionError(f"no log line for request {request_id}")


def scrape(server: LiveServer) -> dict[str, float]:
    """Every sample of /metrics, keyed by name and sorted labels."""
    response = requests.get(server.url + "/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


SPARQL_OK = "aifactories_http_requests_total{method=GET,route=/sparql,status=200}"


def test_a_query_gets_one_json_log_line(server: LiveServer) -> None:
    request_id, response = query(server, THINGS, Accept="text/csv")
    assert response.status_code == 200
    line = log_line(server.log, request_id)
    assert line["event"] == "query"
    assert line["queryHash"] == hashlib.sha256(analyse(THINGS).normalised.encode()).hexdigest()
    assert line["form"] == "SELECT"
    assert line["status"] == 200
    assert line["rows"] == MAX_ROWS and line["truncated"] is True
    assert line["cache"] == "miss"
    assert isinstance(line["durationMs"], float) and line["durationMs"] > 0
    assert line["client"] == "127.0.0.1"


def test_the_hash_ignores_comments_and_spacing(server: LiveServer) -> None:
    first, _ = query(server, "ASK { ?s ?p ?o }")
    second, _ = query(server, "# the same query\nASK   {\n  ?s ?p ?o\n}")
    assert log_line(server.log, first)["queryHash"] == log_line(server.log, second)["queryHash"]


def test_a_malformed_query_is_logged_with_its_error(server: LiveServer) -> None:
    request_id, response = query(server, "SELECT WHERE {")
    assert response.status_code == 400
    line = log_line(server.log, request_id)
    assert line["status"] == 400 and line["error"] == "Malformed query"


def test_the_log_line_holds_no_query_text(server: LiveServer) -> None:
    request_id, _ = query(server, THINGS)
    assert "marker-7f3a" not in json.dumps(log_line(server.log, request_id))


def test_counters_sum_every_worker(server: LiveServer) -> None:
    before = scrape(server).get(SPARQL_OK, 0.0)
    for i in range(20):
        assert query(server, f"ASK {{ FILTER({i} >= 0) }}")[1].status_code == 200
    assert scrape(server)[SPARQL_OK] == before + 20


def test_truncation_and_cache_are_counted(server: LiveServer) -> None:
    before = scrape(server)
    text = "SELECT ?p WHERE { ?s ?p ?o } # truncated"
    for _ in range(6):  # at least one miss, and hits once each worker has it
        requests.get(server.url + "/sparql", params={"query": text}, timeout=30)
    after = scrape(server)
    key = "aifactories_query_truncations_total{}"
    assert after[key] == before.get(key, 0.0) + 6
    hits = after.get("aifactories_query_cache_total{result=hit}", 0.0)
    misses = after.get("aifactories_query_cache_total{result=miss}", 0.0)
    assert hits > 0 and misses > 0


def test_query_durations_histogram(server: LiveServer) -> None:
    query(server, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1")
    samples = scrape(server)
    count = samples["aifactories_query_duration_seconds_count{form=CONSTRUCT}"]
    assert count >= 1
    assert samples["aifactories_query_duration_seconds_bucket{form=CONSTRUCT,le=+Inf}"] == count


def test_gauges_match_readyz(server: LiveServer) -> None:
    ready = server.get("/readyz").json()
    samples = scrape(server)
    assert samples["aifactories_engine_up{}"] == 1.0
    assert samples["aifactories_data_triples{}"] == ready["triples"]
    assert samples["aifactories_reload_failed{}"] == 0.0
    info = [k for k in samples if k.startswith("aifactories_data_info{")]
    assert info == [
        f"aifactories_data_info{{built_at={ready['builtAt']},version={ready['dataVersion']}}}"
    ]


def test_in_process_app_has_its_own_metrics(client) -> None:
    """Without worker processes (tests, embedding) the counters are per app, still exposed."""
    client.get("/sparql", query_string={"query": "ASK {}"})
    body = client.get("/metrics").get_data(as_text=True)
    assert 'aifactories_http_requests_total{method="GET",route="/sparql",status="200"}' in body


def test_log_lines_from_many_threads_never_interleave(tmp_path: Path) -> None:
    """The query log's handler writes without a lock; each line must still arrive whole."""
    path = tmp_path / "log"
    with open(path, "a", encoding="utf-8") as stream:
        logger = logging.getLogger("aifactories.test-lines")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(LineHandler(stream))

        def write(n: int) -> None:
            for i in range(300):
                logger.info(json.dumps({"thread": n, "i": i, "pad": "x" * 200}))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8 * 300
    assert {(r["thread"], r["i"]) for r in map(json.loads, lines)} == {
        (n, i) for n in range(8) for i in range(300)
    }


def test_unknown_methods_are_counted_as_other(client) -> None:
    """A client may send any method name; the metrics must not grow with them."""
    for method in ("BREW", "PROPFIND", "X-ANYTHING"):
        client.open("/sparql", method=method)
    body = client.get("/metrics").get_data(as_text=True)
    assert 'method="other"' in body
    assert "BREW" not in body and "PROPFIND" not in body
