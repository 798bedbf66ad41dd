"""Sustained load on the production server: N clients run the example queries for T seconds.

Starts ``aifactories serve`` exactly as it runs in production (granian, the embedded engine,
the bundled graph, default workers and threads) on a free loopback port, unless ``--url`` names
a running server, then runs ``--clients`` threads, each with its own keep-alive session, cycling
through ``queries/*.rq`` (each client starts at a different query) for ``--seconds``.  Reports
latency percentiles, throughput, statuses, the share of answers from the response cache, and
errors (anything but 200, or a connection failure), and checks that the data version and triple
count are the same before and after.  Exit status 1 when any request failed.

``--distinct`` makes every request a query never asked before (a ``VALUES`` clause with a
counter), so the response cache cannot answer and every request reaches the engine.
``--reload-every S`` serves a copy of the bundled data and, every S seconds, edits it and sends
``SIGHUP``: alternately a valid edit (a new data version is swapped in) and a broken file (the
reload is refused and the old data kept), to show that reloads under load lose nothing.

    python -m benchmarks.sustained_load                # 16 clients, 60 s
    python -m benchmarks.sustained_load --distinct --reload-every 15 --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
START_TIMEOUT = 120.0
REQUEST_TIMEOUT = 30.0
#: How long one reload (parse, validate, reason the bundled data) may take.
RELOAD_TIMEOUT = 120.0


@dataclass
class ClientLog:
    """What one client saw: latencies of successes, statuses, cache answers, failures."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    cache_hits: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    clients: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cache_hit_share: float
    statuses: dict[str, int]
    data_unchanged: bool
    reloads_swapped: int
    reloads_refused: int
    #: The machine's 1-minute load average at the end: other work skews the figures.
    load_average: float
    first_errors: list[str]


def example_queries() -> list[str]:
    return [p.read_text() for p in sorted(QUERIES.glob("*.rq"))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cache: Path, data: Path | None) -> tuple[str, subprocess.Popen[bytes]]:
    """``aifactories serve`` on the bundled graph (or ``data``); output to a file."""
    port = _free_port()
    cache.mkdir(parents=True, exist_ok=True)
    log = open(cache / "server.log", "wb")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "aifactories", "serve", "--port", str(port)]
    if data is not None:
        command += ["--data", str(data)]
    process = subprocess.Popen(
        [*command, "--cache-dir", str(cache)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited; see {cache / 'server.log'}")
        try:
            if requests.get(url + "/readyz", timeout=2).status_code == 200:
                return url, process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not become ready")


def _client(
    url: str, queries: list[str], offset: int, stop_at: float, distinct: bool, out: ClientLog
) -> None:
    session = requests.Session()
    i = offset
    while time.monotonic() < stop_at:
        query = queries[i % len(queries)]
        if distinct:  # joins with one unused variable: same answers plus a column, new text
            query += f"\nVALUES ?load_nonce {{ {offset * 10_000_000 + i} }}"
        i += 1
        started = time.perf_counter()
        try:
            response = session.get(
                url + "/sparql",
                params={"query": query},
                headers={"Accept": "application/sparql-results+json, application/n-triples"},
                timeout=REQUEST_TIMEOUT,
            )
            elapsed = time.perf_counter() - started
            out.statuses[str(response.status_code)] += 1
            if response.status_code == 200:
                out.latencies.append(elapsed)
                out.cache_hits += response.headers.get("X-Cache") == "hit"
            else:
                out.failures.append(f"{response.status_code}: {response.text[:120]}")
        except requests.RequestException as exc:
            out.statuses["connection-error"] += 1
            out.failures.append(repr(exc)[:160])


def _data_state(url: str) -> tuple[str, int]:
    body = requests.get(url + "/readyz", timeout=REQUEST_TIMEOUT).json()
    return body["dataVersion"], body["triples"]


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Reloader:
    """Every ``every`` seconds: edit the served data and SIGHUP the server, alternately a valid
    edit and a broken file, and count what the server made of each (from ``/readyz``)."""

    def __init__(self, url: str, server: subprocess.Popen[bytes], data: Path, every: float):
        self.url, self.server, self.data, self.every = url, server, data, every
        self.swapped = self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def __enter__(self) -> Reloader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        broken = self.data / "zz-broken.ttl"
        edited = next(iter(sorted(self.data.rglob("*.ttl"))))
        n = 0
        while not self._stop.wait(self.every):
            n += 1
            before = requests.get(self.url + "/readyz", timeout=REQUEST_TIMEOUT).json()
            if n % 2:
                broken.unlink(missing_ok=True)
                with open(edited, "a") as fh:
                    fh.write(f"\n# load-test edit {n}\n")
            else:
                broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
            self.server.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + RELOAD_TIMEOUT
            while time.monotonic() < deadline and not self._stop.is_set():
                now = requests.get(self.url + "/readyz", timeout=REQUEST_TIMEOUT).json()
                if now["dataVersion"] != before["dataVersion"]:
                    self.swapped += 1
                    break
                if now["reloadError"] and now["reloadError"] != before["reloadError"]:
                    self.refused += 1
                    break
                time.sleep(0.2)
        broken.unlink(missing_ok=True)


def run(
    url: str, clients: int, seconds: float, distinct: bool, reloader: Reloader | None
) -> Report:
    queries = example_queries()
    before = _data_state(url)
    logs = [ClientLog() for _ in range(clients)]
    started = time.monotonic()
    stop_at = started + seconds
    threads = [
        threading.Thread(target=_client, args=(url, queries, i, stop_at, distinct, logs[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    if reloader is not None:
        with reloader:
            for thread in threads:
                thread.join()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = [x for log in logs for x in log.latencies]
    statuses: Counter[str] = Counter()
    for log in logs:
        statuses.update(log.statuses)
    failures = [f for log in logs for f in log.failures]
    total = sum(statuses.values())
    return Report(
        clients=clients,
        seconds=round(elapsed, 1),
        requests=total,
        errors=len(failures),
        rps=round(total / elapsed, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        p90_ms=round(_percentile(latencies, 0.90) * 1000, 1),
        p99_ms=round(_percentile(latencies, 0.99) * 1000, 1),
        max_ms=round(max(latencies, default=0.0) * 1000, 1),
        cache_hit_share=round(sum(log.cache_hits for log in logs) / max(1, len(latencies)), 3),
        statuses=dict(statuses),
        data_unchanged=_data_state(url) == before,
        reloads_swapped=reloader.swapped if reloader else 0,
        reloads_refused=reloader.refused if reloader else 0,
        load_average=round(os.getloadavg()[0], 1),
        first_errors=failures[:5],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="a running server (default: start one on loopback)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--distinct", action="store_true", help="bypass the response cache")
    parser.add_argument("--reload-every", type=float, metavar="S", help="SIGHUP every S s")
    args = parser.parse_args(argv)
    if args.reload_every and args.url:
        parser.error("--reload-every needs the server this script starts (no --url)")
    process = None
    with tempfile.TemporaryDirectory(prefix="aifactories-load-") as scratch:
        url, data = args.url, None
        if args.reload_every:
            from aifactories.bundle import data_dir

            data = Path(scratch) / "data"
            shutil.copytree(data_dir(), data)
        if url is None:
            # The cache beside the data, never above it (files under the cache are skipped).
            url, process = start_server(Path(scratch) / "cache", data)
        reloader = None
        if args.reload_every and process is not None and data is not None:
            reloader = Reloader(url, process, data, args.reload_every)
        try:
            report = run(url.rstrip("/"), args.clients, args.seconds, args.distinct, reloader)
        finally:
            if process is not None:
                process.terminate()
                process.wait(60)
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print(
            f"{report.clients} clients, {report.seconds} s, {os.cpu_count()} CPUs: "
            f"{report.requests} requests ({report.rps}/s), {report.errors} errors; "
            f"p50 {report.p50_ms} ms, p90 {report.p90_ms} ms, p99 {report.p99_ms} ms, "
            f"max {report.max_ms} ms; cache hits {report.cache_hit_share:.0%}; "
            f"statuses {report.statuses}; data unchanged: {report.data_unchanged}; "
            f"reloads swapped {report.reloads_swapped}, refused {report.reloads_refused}; "
            f"load average {report.load_average}"
        )
        for failure in report.first_errors:
            print("  error:", failure)
    return 1 if report.errors or (not report.data_unchanged and reloader is None) else 0


if __name__ == "__main__":
    sys.exit(main())
