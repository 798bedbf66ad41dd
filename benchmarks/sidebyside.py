"""The side-by-side benchmark: ours, ``oxigraph serve`` and rdflib-endpoint on the same data.

Ours is started first; the snapshot it serves (the validated, reasoned N-Quads, named graphs and
inferred triples included) is then loaded into both peers, so all three answer over exactly the
same quads (the peers with a union default graph, as ours queries).  Each workload then runs in
rounds, the servers alternating within a round (A B C A B C), each for ``duration`` seconds
under wrk.  Before the load, every distinct request is sent once to each server: a server that
does not answer 200 is reported as not offering that workload, and result sizes are compared.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from benchmarks.loadgen import COUNTER, SUBJECT, LoadResult, Template, run_wrk
from benchmarks.servers import (
    BenchmarkError,
    Server,
    http_get,
    start_ours,
    start_oxigraph,
    start_rdflib_endpoint,
    tree_cpu,
)
from benchmarks.workloads import ExampleQuery, Workload, build_workloads

BASE_IRI = "https://w3id.org/aifactories/"
VOID_DUMP = "http://rdfs.org/ns/void#dataDump"
MAX_PAGE_SUBJECTS = 300
#: Gap between the counters of two wrk runs: no unique query is ever sent twice in a benchmark.
COUNTER_STRIDE = 10_000_000


def snapshot_file(server: Server, cache_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The N-Quads snapshot ours serves, found from ``/readyz``'s data version."""
    status, body = http_get(server.base_url + "/readyz", "application/json")
    if status != 200:
        raise BenchmarkError(f"ours /readyz answered {status}")
    ready = json.loads(body)
    path = cache_dir / "snapshots" / ready["dataVersion"] / "dataset.nq"
    if not path.is_file():
        raise BenchmarkError(f"snapshot {path} not found (has the cache layout changed?)")
    return path, ready


def page_subjects(
    server: Server, limit: int = MAX_PAGE_SUBJECTS, base: str = BASE_IRI + "id/"
) -> list[str]:
    """Typed resources under ``base``: what the pages and the unique queries vary over."""
    query = (
        f"SELECT DISTINCT ?s WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), '{base}')) }} "
        f"ORDER BY ?s LIMIT {limit}"
    )
    status, body = http_get(
        f"{server.sparql_url}?query={urllib.parse.quote(query)}", "application/sparql-results+json"
    )
    if status != 200:
        raise BenchmarkError(f"{server.name} could not list subjects ({status})")
    return [b["s"]["value"] for b in json.loads(body)["results"]["bindings"]]


def dump_path(server: Server) -> str | None:
    """A ``void:dataDump`` of ours (N-Triples or Turtle preferred), as a local path."""
    status, body = http_get(server.base_url + "/.well-known/void", "application/n-triples")
    if status != 200:
        return None
    try:
        dumps = [
            t.object.value
            for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            if t.predicate.value == VOID_DUMP
        ]
    except SyntaxError:
        return None
    dumps.sort(key=lambda d: (not d.endswith((".nt", ".ttl")), d))
    for dump in dumps:
        path = urllib.parse.urlsplit(dump).path
        local = "/" + path.split("/", 2)[2] if path.startswith("/aifactories/") else path
        if http_get(server.base_url + local)[0] == 200:
            return local
    return None


def instantiate(template: Template, subject: str, n: int) -> str:
    return template.path.replace(SUBJECT, urllib.parse.quote(subject, safe="")).replace(
        COUNTER, str(n)
    )


def result_size(body: bytes, accept: str) -> int:
    """Rows of a SPARQL JSON result, or lines of an RDF document (a rough size to compare)."""
    if accept == "application/sparql-results+json":
        try:
            data = json.loads(body)
        except ValueError:
            return -1
        return len(data["results"]["bindings"]) if "results" in data else 1
    return body.count(b"\n")


def preflight(
    server: Server, templates: Sequence[Template], subject: str
) -> tuple[str | None, list[int], list[float]]:
    """Send each distinct request once: (the first failure, or None; the result sizes; the
    seconds each took, alone: what a slow server's single request costs when wrk sees none
    finish)."""
    sizes, seconds = [], []
    for template in templates:
        started = time.perf_counter()
        status, body = http_get(
            server.base_url + instantiate(template, subject, 0), template.accept, timeout=120
        )
        seconds.append(round(time.perf_counter() - started, 4))
        if status != 200:
            return f"HTTP {status} for {urllib.parse.unquote(template.path)[:120]}", sizes, seconds
        sizes.append(result_size(body, template.accept))
    return None, sizes, seconds


def _combine(runs: list[LoadResult]) -> dict[str, Any]:
    requests = sum(r.requests for r in runs)
    seconds = sum(r.seconds for r in runs)
    return {
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "requests": requests,
        "errors": sum(r.errors for r in runs),
        "p50_ms": round(sorted(r.p50_ms for r in runs)[len(runs) // 2], 2),
        "p99_ms": round(max(r.p99_ms for r in runs), 2),
        "rounds": [asdict(r) for r in runs],
    }


def run_side_by_side(
    data: Sequence[Path],
    examples: Sequence[ExampleQuery],
    cache_dir: Path,
    logs: Path,
    *,
    duration: float,
    rounds: int,
    connections: int,
    ours_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Start the three servers, run every workload, stop them; return the results."""
    servers: dict[str, Server] = {}
    try:
        print("  starting ours ...", flush=True)
        servers["ours"] = start_ours(data, cache_dir, logs, env=ours_env)
        nquads, ready = snapshot_file(servers["ours"], cache_dir)
        print(f"  snapshot: {ready['triples']:,} quads; starting oxigraph serve ...", flush=True)
        servers["oxigraph"] = start_oxigraph(nquads, logs)
        print("  starting rdflib-endpoint ...", flush=True)
        servers["rdflib-endpoint"] = start_rdflib_endpoint(nquads, logs)
        startup = {
            name: {"ready_s": round(s.ready_seconds, 3), "load_s": round(s.load_seconds, 3)}
            for name, s in servers.items()
        }
        subjects = page_subjects(servers["oxigraph"])
        if not subjects:
            raise BenchmarkError("the data has no typed resources under {base}id/")
        workloads = build_workloads(
            examples,
            ours_sparql=servers["ours"].sparql_path,
            peer_sparql="{sparql}",
            page_subjects=subjects,
            base_iri=BASE_IRI,
            dump_path=dump_path(servers["ours"]),
        )
        starts = itertools.count(COUNTER_STRIDE, COUNTER_STRIDE)
        results = {
            w.name: _run_workload(
                w,
                servers,
                subjects,
                starts,
                duration=duration,
                rounds=rounds,
                connections=connections,
            )
            for w in workloads
        }
        memory = {name: asdict(s.memory()) for name, s in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    return {
        "data": [str(p) for p in data] or ["bundled"],
        "quads": ready["triples"],
        "data_version": ready["dataVersion"],
        "subjects": len(subjects),
        "startup": startup,
        "memory_after": memory,
        "workloads": results,
    }


def _for_server(templates: list[Template], server: Server) -> list[Template]:
    return [Template(t.path.replace("{sparql}", server.sparql_path), t.accept) for t in templates]


def _run_workload(
    workload: Workload,
    servers: dict[str, Server],
    subjects: list[str],
    starts: Iterator[int],
    *,
    duration: float,
    rounds: int,
    connections: int,
) -> dict[str, Any]:
    """Preflight each server, then run the rounds, alternating the servers within each."""
    print(f"  workload {workload.name}: {workload.description}", flush=True)
    plan: dict[str, list[Template]] = {}
    entry: dict[str, Any] = {
        "group": workload.group,
        "description": workload.description,
        "unique": workload.unique,
        "servers": {},
    }
    for name, server in servers.items():
        templates = workload.templates(name)
        if templates is None:
            entry["servers"][name] = {"offered": False, "why": "no equivalent"}
            continue
        templates = _for_server(templates, server)
        failure, sizes, seconds = preflight(server, templates[:50], subjects[0])
        if failure:
            entry["servers"][name] = {"offered": False, "why": failure}
            continue
        plan[name] = templates
        entry["servers"][name] = {
            "offered": True,
            "result_sizes": sizes[:20],
            "single_request_ms": round(1000 * statistics.median(seconds), 2),
        }
    runs: dict[str, list[LoadResult]] = {name: [] for name in plan}
    cpu: dict[str, dict[int, float]] = {name: {} for name in plan}
    for _ in range(rounds):
        for name, templates in plan.items():
            before = tree_cpu(servers[name].process.pid)
            runs[name].append(
                run_wrk(
                    servers[name].base_url,
                    templates,
                    duration=duration,
                    connections=connections,
                    subjects=subjects,
                    start=next(starts),
                )
            )
            for pid, seconds in tree_cpu(servers[name].process.pid).items():
                used = seconds - before.get(pid, seconds)
                cpu[name][pid] = cpu[name].get(pid, 0.0) + used
    for name, server_runs in runs.items():
        entry["servers"][name].update(_combine(server_runs))
        entry["servers"][name]["cpu"] = _cpu_per_request(
            cpu[name], servers[name], sum(r.requests for r in server_runs)
        )
    return entry


def _cpu_per_request(used: dict[int, float], server: Server, requests: int) -> dict[str, Any]:
    """Server CPU per request, and how it splits between its processes: for ours, the
    granian workers (Python) and the Oxigraph engine; the busiest process's share shows
    whether the load spread over the workers."""
    if not requests:
        return {}
    roles: dict[str, float] = {}
    for pid, seconds in used.items():
        roles[_role(pid, server)] = roles.get(_role(pid, server), 0.0) + seconds
    total = sum(used.values())
    return {
        "total_ms": round(1000 * total / requests, 3),
        "by_role_ms": {role: round(1000 * s / requests, 3) for role, s in sorted(roles.items())},
        "busiest_process_share": round(max(used.values()) / total, 2) if total else None,
        "process_seconds": {str(pid): round(s, 2) for pid, s in sorted(used.items())},
    }


def _role(pid: int, server: Server) -> str:
    if pid == server.process.pid:
        return "main"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv0 = fh.read().split(b"\0", 1)[0]
    except OSError:
        return "exited"
    return "engine" if argv0.endswith(b"oxigraph") else "worker"
