"""Run the whole benchmark from one command and save its results.

    python benchmarks/run.py                 # full run (about 10 minutes on 2 cores)
    python benchmarks/run.py --duration 3    # shorter load runs
    python benchmarks/run.py --smoke         # a quick check that every part works

It prints the machine, the side-by-side table (ours, ``oxigraph serve``, rdflib-endpoint), the
scale tables and the targets of issue 8, and writes everything to
``benchmarks/results/<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report
from benchmarks.loadgen import wrk_executable
from benchmarks.scale import SKIP_VALIDATION_ENV, run_scale, synthetic_file
from benchmarks.servers import BenchmarkError, start_ours
from benchmarks.sidebyside import run_side_by_side
from benchmarks.workloads import example_queries

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results"
FULL_SIZES = (10_000, 100_000, 1_000_000)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Side-by-side and scale benchmarks.")
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of A B C per workload (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument(
        "--data",
        default="bundled",
        help="side-by-side data: 'bundled', 'synthetic:N' or a file/folder (default bundled)",
    )
    parser.add_argument(
        "--sizes", default=",".join(map(str, FULL_SIZES)), help="scale sizes, comma-separated"
    )
    parser.add_argument(
        "--cold-cap", type=float, default=90, help="seconds to wait for a cold start (90)"
    )
    parser.add_argument("--skip-side", action="store_true", help="skip the side-by-side part")
    parser.add_argument("--skip-scale", action="store_true", help="skip the scale part")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and 1 s runs")
    parser.add_argument("--output", type=Path, help="results JSON (default benchmarks/results/)")
    return parser


def side_data(spec: str) -> list[Path]:
    if spec == "bundled":
        return [REPO / "data"]
    if spec.startswith("synthetic:"):
        return [synthetic_file(CACHE, int(spec.split(":", 1)[1]))[0]]
    return [Path(spec)]


def bundled_ready(logs: Path) -> dict[str, Any]:
    """Cold (empty snapshot cache) and warm start of ours on the bundled graph."""
    with tempfile.TemporaryDirectory(prefix="bench-bundled-") as cache:
        out: dict[str, Any] = {}
        for key in ("cold_s", "warm_s"):
            try:
                server = start_ours([], Path(cache), logs, ready_timeout=300)
            except (BenchmarkError, TimeoutError) as exc:
                out["error"] = str(exc).splitlines()[-1][:300]
                out[key] = None
                return out
            out[key] = round(server.ready_seconds, 3)
            server.stop()
        return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    wrk_executable()  # fail early, with the install hint
    if args.smoke:
        args.duration, args.rounds, args.sizes, args.cold_cap = 1, 1, "2000", 60
        if args.data == "bundled":
            args.data = "synthetic:2000"
    CACHE.mkdir(exist_ok=True)
    logs = Path(tempfile.mkdtemp(prefix="aifactories-bench-"))
    started = time.perf_counter()
    examples, examples_from = example_queries(REPO / "queries")
    results: dict[str, Any] = {
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:]),
        "started": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": report.machine(),
        "settings": {
            "duration_s": args.duration,
            "rounds": args.rounds,
            "connections": args.connections,
            "examples": examples_from,
            "logs": str(logs),
        },
    }
    print(report.machine_line(results["machine"]), flush=True)
    if not args.skip_side:
        print(f"side by side ({args.data}; example queries: {examples_from})", flush=True)
        common = dict(duration=args.duration, rounds=args.rounds, connections=args.connections)
        try:
            side = run_side_by_side(side_data(args.data), examples, CACHE / "ours", logs, **common)
        except BenchmarkError as exc:
            if args.data != "bundled":
                raise
            reason = str(exc).strip().splitlines()[-1][:300]
            print(
                f"  ours refused the bundled graph ({reason}); serving it unvalidated", flush=True
            )
            # Its own cache: snapshot versions do not record that validation was skipped.
            side = run_side_by_side(
                side_data("bundled"),
                examples,
                CACHE / "ours-unvalidated",
                logs,
                ours_env=SKIP_VALIDATION_ENV,
                **common,
            )
            side["fallback_reason"] = reason
            side["validated"] = False
        results["side_by_side"] = side
        print(report.side_table(side), flush=True)
    if not args.smoke:
        print("bundled graph: cold and warm start", flush=True)
        results["bundled_ready"] = bundled_ready(logs)
    if not args.skip_scale:
        sizes = [int(s) for s in args.sizes.split(",") if s]
        print(f"scale: {sizes}", flush=True)
        reps = 3 if args.smoke else 7
        results["scale"] = run_scale(sizes, CACHE, logs, cold_cap=args.cold_cap, reps=reps)
        print(report.scale_table(results["scale"]), flush=True)
        print(report.latency_table(results["scale"]), flush=True)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = report.targets(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(report.targets_table(results["targets"]), flush=True)
    return results


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    """Turn SIGTERM into an exception so that every started server is stopped on the way out."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        results = run(args)
    except BenchmarkError as exc:
        print(f"benchmark: error: {exc}", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = args.output or RESULTS / f"{stamp}{'-smoke' if args.smoke else ''}.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {output} ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
