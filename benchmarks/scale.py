"""The scale benchmark: load time, memory and query latency at 10k, 100k and 1M triples.

For each size it generates synthetic data shaped like ours (:mod:`benchmarks.generate`) and
measures, on the same file:

* ``oxigraph load`` into a RocksDB folder (wall time, peak RSS);
* ``oxigraph serve`` in memory, loaded by POST (load time, RSS after load, query latency);
* pyoxigraph in-process (load time, RSS, query latency: the engine without HTTP);
* ours, ``aifactories serve --data FILE``: cold (empty snapshot cache: parse, SHACL, OWL RL,
  snapshot, engine load) with a time cap, because OWL RL on large graphs takes minutes; the
  same with validation and reasoning skipped (``AIFACTORIES_SKIP_VALIDATION=1``, raw loading);
  and warm (snapshot from the cache).  Memory is the whole process tree (granian master,
  workers, engine), as RSS and as PSS.

Latency is the median of sequential requests, each made unique by an unused ``PREFIX`` so that
our response cache cannot answer it; ``ours cached`` repeats one text to show the cache.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.generate import GENERATOR_VERSION, generate_file
from benchmarks.servers import (
    BenchmarkError,
    Server,
    http_get,
    launch_ours,
    start_oxigraph,
    venv_tool,
    wait_ready,
)
from benchmarks.workloads import EXAMPLE_QUERIES, PREFIXES, query_form

SKIP_VALIDATION_ENV = {"AIFACTORIES_SKIP_VALIDATION": "1"}
MEMORY_SETTLE_SECONDS = 2.0
COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def synthetic_file(cache: Path, triples: int) -> tuple[Path, int]:
    """The cached synthetic file for ``triples`` (generated once per generator version)."""
    path = cache / "data" / f"synth-{triples}-v{GENERATOR_VERSION}.ttl"
    count_file = path.with_suffix(".count")
    if not (path.is_file() and count_file.is_file()):
        count = generate_file(triples, path)
        count_file.write_text(str(count))
    return path, int(count_file.read_text())


def _unique(text: str, k: int) -> str:
    """The same query under a different text: an unused PREFIX changes any cache key."""
    return f"PREFIX bench{k}: <urn:benchmark:{k}>\n{text}"


def _accept(text: str) -> str:
    if query_form(text) in ("CONSTRUCT", "DESCRIBE"):
        return "application/n-triples"
    return "application/sparql-results+json"


def http_latency(url: str, text: str, reps: int, *, unique: bool, start: int) -> float:
    """Median milliseconds of ``reps`` sequential GETs (after one warm-up request)."""
    times = []
    for k in range(reps + 1):
        query = _unique(text, start + k) if unique else text
        started = time.perf_counter()
        status, _ = http_get(f"{url}?query={urllib.parse.quote(query)}", _accept(text), 120)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise BenchmarkError(f"{url} answered {status} to a scale query")
        if k:
            times.append(elapsed)
    return round(statistics.median(times) * 1000, 2)


PYOXIGRAPH_SCRIPT = """
import json, statistics, sys, time
import pyoxigraph as ox
path, reps = sys.argv[1], int(sys.argv[2])
queries = json.loads(sys.stdin.read())
started = time.perf_counter()
store = ox.Store()
store.bulk_load(path=path, format=ox.RdfFormat.TURTLE)
load = time.perf_counter() - started
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
latency = {}
for name, text in queries.items():
    times = []
    for k in range(reps + 1):
        t = time.perf_counter()
        result = store.query(text)
        if not isinstance(result, ox.QueryBoolean):
            for _ in result:
                pass
        if k:
            times.append(time.perf_counter() - t)
    latency[name] = round(statistics.median(times) * 1000, 2)
print(json.dumps({"load_s": round(load, 3), "rss_mb": round(rss / 1024, 1),
                  "triples": len(store), "latency_ms": latency}))
"""


def pyoxigraph_run(path: Path, queries: dict[str, str], reps: int) -> dict[str, Any]:
    """Load and query in a fresh interpreter, so that its RSS is the engine's alone."""
    done = subprocess.run(
        [sys.executable, "-c", PYOXIGRAPH_SCRIPT, str(path), str(reps)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise BenchmarkError(f"pyoxigraph run failed: {done.stderr[-500:]}")
    return json.loads(done.stdout)


def oxigraph_load(path: Path) -> dict[str, Any]:
    """``oxigraph load --location DIR --file FILE``: wall time and peak RSS of the loader."""
    folder = Path(tempfile.mkdtemp(prefix="oxigraph-load-"))
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            [venv_tool("oxigraph"), "load", "--location", str(folder), "--file", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            raise BenchmarkError(f"oxigraph load failed with status {process.returncode}")
        return {"load_s": round(elapsed, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _stage(pid: int) -> str | None:
    """Where a server that is not ready yet spends its time (py-spy, when installed)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).is_file():
        return None
    done = subprocess.run(
        # --subprocesses: the server builds a new snapshot in a child process
        [spy, "dump", "--subprocesses", "--pid", str(pid)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    frames = [line.strip() for line in done.stdout.splitlines() if line.startswith("    ")]
    for keys in (("owlrl", "pyshacl", "aifactories/rules"), ("snapshot",)):
        interesting = [f for f in frames if any(k in f for k in keys)]
        if interesting:
            return " <- ".join(interesting[:3])
    return " <- ".join(frames[:3]) or None


def _wait_for_disk_copy(cache: Path, cap: float) -> float | None:
    """Seconds until the newest snapshot's on-disk copy exists (None: not within ``cap``)."""
    started = time.perf_counter()
    while time.perf_counter() - started < cap:
        snapshots = sorted(cache.glob("snapshots/*/dataset.nq"), key=lambda p: p.stat().st_mtime)
        if snapshots and (snapshots[-1].parent / "oxigraph").is_dir():
            return round(time.perf_counter() - started, 3)
        time.sleep(0.05)
    return None


def ours_start(
    path: Path, cache: Path, logs: Path, cap: float, env: dict[str, str] | None = None
) -> tuple[Server | None, dict[str, Any]]:
    """Start ours and wait up to ``cap`` seconds; past the cap, record its memory and what it
    is doing (the pipeline stage), stop it and return no server."""
    server = launch_ours([path], cache, logs, env)
    try:
        wait_ready(server, cap)
    except BenchmarkError:  # it refused the data (e.g. the shapes changed): say why, go on
        lines = [ln for ln in server.log_tail(2000).splitlines() if ln.strip()]
        server.stop()
        return None, {"ready_s": None, "refused": lines[-1] if lines else "exited"}
    except TimeoutError:
        memory = server.memory()
        info = {
            "ready_s": None,
            "capped_at_s": cap,
            "rss_mb": memory.rss_mb,
            "pss_mb": memory.pss_mb,
            "stage": _stage(server.process.pid),
        }
        server.stop()
        return None, info
    except BaseException:
        server.stop()
        raise
    # After it is ready the server builds the on-disk copy that long queries run on (in the
    # background, with `oxigraph load`): wait for it, so memory is measured in steady state.
    disk_copy_s = _wait_for_disk_copy(cache, cap)
    time.sleep(MEMORY_SETTLE_SECONDS)  # let granian fork its workers before measuring
    memory = server.memory()
    return server, {
        "ready_s": round(server.ready_seconds, 3),
        "disk_copy_after_ready_s": disk_copy_s,
        "rss_mb": memory.rss_mb,
        "pss_mb": memory.pss_mb,
        "processes": memory.processes,
        "by_process": memory.by_process,
    }


def _latencies(
    measure: Callable[[str, str, int], float], queries: dict[str, str], start: int
) -> dict[str, float]:
    return {
        name: measure(name, text, start + 1000 * i)
        for i, (name, text) in enumerate(queries.items())
    }


def scale_one(
    triples: int, cache: Path, logs: Path, *, cold_cap: float, reps: int
) -> dict[str, Any]:
    """Every measurement for one size; servers are stopped before returning."""
    path, count = synthetic_file(cache, triples)
    queries = {name: PREFIXES + text for name, text in EXAMPLE_QUERIES.items()}
    result: dict[str, Any] = {
        "target_triples": triples,
        "triples": count,
        "file_mb": round(path.stat().st_size / 2**20, 1),
    }
    print(f"  scale {count:,} triples: oxigraph load ...", flush=True)
    result["oxigraph_load"] = oxigraph_load(path)

    print("  ... oxigraph serve (in memory) ...", flush=True)
    oxigraph = start_oxigraph(path, logs, union_default_graph=False)
    try:
        memory = oxigraph.memory()
        status, body = http_get(
            f"{oxigraph.sparql_url}?query={urllib.parse.quote(COUNT_QUERY)}",
            "application/sparql-results+json",
        )
        served = json.loads(body)["results"]["bindings"][0]["n"]["value"] if status == 200 else 0
        if int(served) != count:
            raise BenchmarkError(f"oxigraph serve holds {served} triples, expected {count}")
        result["oxigraph_serve"] = {
            "served_triples": int(served),
            "load_s": round(oxigraph.load_seconds, 3),
            "ready_s": round(oxigraph.ready_seconds, 3),
            "rss_mb": memory.rss_mb,
            "latency_ms": _latencies(
                lambda _n, q, k: http_latency(oxigraph.sparql_url, q, reps, unique=True, start=k),
                queries,
                0,
            ),
        }
    finally:
        oxigraph.stop()

    print("  ... pyoxigraph ...", flush=True)
    result["pyoxigraph"] = pyoxigraph_run(path, queries, reps)

    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as cold_cache:
        print(f"  ... ours cold (full pipeline, cap {cold_cap:g} s) ...", flush=True)
        server, runs["cold"] = ours_start(path, Path(cold_cache), logs, cold_cap)
        if server is not None:
            server.stop()
            warm_cache = Path(cold_cache)
        else:
            print("  ... ours cold without validation/reasoning ...", flush=True)
            server, runs["cold_skip_validation"] = ours_start(
                path, Path(cold_cache), logs, 900, SKIP_VALIDATION_ENV
            )
            if server is not None:
                server.stop()
            warm_cache = Path(cold_cache)
        print("  ... ours warm ...", flush=True)
        env = SKIP_VALIDATION_ENV if runs["cold"]["ready_s"] is None else None
        server, runs["warm"] = ours_start(path, warm_cache, logs, 900, env)
        if server is not None:
            try:
                status, body = http_get(server.base_url + "/readyz", "application/json")
                runs["warm"]["served_triples"] = (
                    json.loads(body).get("triples") if status == 200 else None
                )
                runs["warm"]["latency_ms"] = _latencies(
                    lambda _n, q, k: http_latency(server.sparql_url, q, reps, unique=True, start=k),
                    queries,
                    10**6,
                )
                runs["warm"]["cached_latency_ms"] = _latencies(
                    lambda _n, q, k: http_latency(
                        server.sparql_url, q, reps, unique=False, start=k
                    ),
                    queries,
                    0,
                )
            finally:
                server.stop()
    result["ours"] = runs
    return result


def run_scale(
    sizes: Sequence[int], cache: Path, logs: Path, *, cold_cap: float, reps: int
) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        results.append(scale_one(size, cache, logs, cold_cap=cold_cap, reps=reps))
    return results
