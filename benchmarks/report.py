"""The machine description, the tables printed after a run, and the targets of issue 8."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from typing import Any

from benchmarks.servers import peer_versions

PACKAGES = (
    "eu-ai-factories",
    "pyoxigraph",
    "oxigraph",
    "flask",
    "granian",
    "rdflib",
    "pyshacl",
    "owlrl",
)
PEERS = ("oxigraph", "rdflib-endpoint")


def machine() -> dict[str, Any]:
    """CPU, memory, OS, Python and every package version that shapes the numbers."""
    model = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        total_kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(total_kb / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "peer_packages": peer_versions(),
        "wrk": (wrk.stdout or wrk.stderr).split("[")[0].strip(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}{unit}" if value >= 100 else f"{value:.3g}{unit}"


def side_table(side: dict[str, Any]) -> str:
    head = (
        "| workload | ours req/s | oxigraph req/s | rdflib-endpoint req/s | ours p50 / p99 ms "
        "| oxigraph p50 / p99 ms | rdflib-endpoint p50 / p99 ms | ours/oxigraph | ours/rdflib-endpoint |"
    )
    lines = [head, "|" + "---|" * 9]
    for name, w in side["workloads"].items():
        cells, rps = [], {}
        for server in ("ours", "oxigraph", "rdflib-endpoint"):
            s = w["servers"].get(server, {})
            rps[server] = s.get("rps") if s.get("offered") else None
            cells.append(_fmt(rps[server]) if s.get("offered") else "n/a")
        lat = []
        for server in ("ours", "oxigraph", "rdflib-endpoint"):
            s = w["servers"].get(server, {})
            lat.append(f"{_fmt(s['p50_ms'])} / {_fmt(s['p99_ms'])}" if s.get("offered") else "n/a")
        ratios = [
            _fmt(_ratio(rps["ours"], rps["oxigraph"]), "x"),
            _fmt(_ratio(rps["ours"], rps["rdflib-endpoint"]), "x"),
        ]
        lines.append(f"| ({w['group']}) {name} | " + " | ".join(cells + lat + ratios) + " |")
    notes = [
        f"- {name}, {server}: not measured ({s['why']})"
        for name, w in side["workloads"].items()
        for server, s in w["servers"].items()
        if not s.get("offered") and s.get("why") != "no equivalent"
    ]
    errors = [
        f"- {name}, {server}: {s['errors']} errors of {s['requests']} requests"
        for name, w in side["workloads"].items()
        for server, s in w["servers"].items()
        if s.get("offered") and s.get("errors")
    ]
    single = [
        f"- {name}, {server}: no request finished within a run; one request alone took "
        f"{s['single_request_ms'] / 1000:.2f} s (median of the preflight)"
        for name, w in side["workloads"].items()
        for server, s in w["servers"].items()
        if s.get("offered") and not s.get("requests") and s.get("single_request_ms")
    ]
    cpu = [
        f"- {name}: server CPU per request, ms: "
        + ", ".join(
            f"{server} {s['cpu']['total_ms']:.3g}"
            + (
                " ("
                + ", ".join(f"{r} {v:.3g}" for r, v in s["cpu"]["by_role_ms"].items())
                + f"; busiest process {100 * (s['cpu']['busiest_process_share'] or 0):.0f}%)"
                if server == "ours"
                else ""
            )
            for server, s in w["servers"].items()
            if s.get("offered") and s.get("cpu")
        )
        for name, w in side["workloads"].items()
    ]
    return "\n".join(lines + notes + errors + single + ["", *cpu])


def scale_table(scale: list[dict[str, Any]]) -> str:
    lines = [
        "| triples | `oxigraph load` s | oxigraph serve: POST s / RSS MB | pyoxigraph: load s / RSS MB "
        "| ours cold (validate + reason) s | ours cold, no validation s | ours warm s | ours RSS / PSS MB |",
        "|" + "---|" * 8,
    ]
    for r in scale:
        ours = r["ours"]
        cold = ours["cold"]
        if cold["ready_s"] is not None:
            cold_text = _fmt(cold["ready_s"])
        elif "refused" in cold:
            cold_text = "refused: data does not conform"
        else:
            cold_text = f"not ready at {cold['capped_at_s']:g} s ({_fmt(cold.get('rss_mb'))} MB)"
        skip = ours.get("cold_skip_validation", {})
        warm = ours.get("warm", {})
        lines.append(
            f"| {r['triples']:,} | {_fmt(r['oxigraph_load']['load_s'])} "
            f"| {_fmt(r['oxigraph_serve']['load_s'])} / {_fmt(r['oxigraph_serve']['rss_mb'])} "
            f"| {_fmt(r['pyoxigraph']['load_s'])} / {_fmt(r['pyoxigraph']['rss_mb'])} "
            f"| {cold_text} | {_fmt(skip.get('ready_s'))} | {_fmt(warm.get('ready_s'))} "
            f"| {_fmt(warm.get('rss_mb'))} / {_fmt(warm.get('pss_mb'))} |"
        )
    return "\n".join(lines)


def latency_table(scale: list[dict[str, Any]]) -> str:
    lines = [
        "| triples | query | pyoxigraph ms | oxigraph serve ms | ours ms (uncached) | ours ms (cached) |",
        "|" + "---|" * 6,
    ]
    for r in scale:
        warm = r["ours"].get("warm", {})
        for name, py_ms in r["pyoxigraph"]["latency_ms"].items():
            lines.append(
                f"| {r['triples']:,} | {name} | {_fmt(py_ms)} "
                f"| {_fmt(r['oxigraph_serve']['latency_ms'].get(name))} "
                f"| {_fmt(warm.get('latency_ms', {}).get(name))} "
                f"| {_fmt(warm.get('cached_latency_ms', {}).get(name))} |"
            )
    return "\n".join(lines)


def _target(name: str, measured: float | None, goal: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "measured": measured, "goal": goal, "met": met}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of issue 8, with the measured value and whether it is met."""
    out = []
    side = results.get("side_by_side")
    if side:
        w = side["workloads"]

        def rps(name: str, server: str) -> float | None:
            s = w.get(name, {}).get("servers", {}).get(server, {})
            return s.get("rps") if s.get("offered") else None

        def p99(name: str, server: str) -> float | None:
            s = w.get(name, {}).get("servers", {}).get(server, {})
            return s.get("p99_ms") if s.get("offered") else None

        r = _ratio(rps("repeated", "ours"), rps("repeated", "oxigraph"))
        out.append(
            _target(
                "(a) repeated: ours/oxigraph throughput",
                r,
                ">= 1.0",
                None if r is None else r >= 1.0,
            )
        )
        a, b = p99("repeated", "ours"), p99("repeated", "oxigraph")
        out.append(
            _target(
                "(a) repeated: p99 ours vs oxigraph (ms)",
                a,
                f"<= {b}",
                None if a is None or b is None else a <= b,
            )
        )
        for name, goal in (("unique-aggregate", 0.5), ("unique-cheap", 0.25)):
            r = _ratio(rps(name, "ours"), rps(name, "oxigraph"))
            out.append(
                _target(
                    f"(b) {name}: ours/oxigraph", r, f">= {goal}", None if r is None else r >= goal
                )
            )
        for name in w:
            r = _ratio(rps(name, "ours"), rps(name, "rdflib-endpoint"))
            label = f"{name}: ours/rdflib-endpoint"
            peer = w[name]["servers"].get("rdflib-endpoint", {})
            if r is None and peer.get("offered") and rps(name, "ours"):
                # It finished no request in a run: bound its throughput by one request's time
                # (it evaluates one query at a time).
                r = round(rps(name, "ours") * peer["single_request_ms"] / 1000, 1)
                label += " (lower bound: rdflib-endpoint finished none)"
            if r is not None:
                out.append(_target(label, r, ">= 10", r >= 10))
    bundled = results.get("bundled_ready")
    if bundled:
        for key, goal in (("warm_s", 2.0), ("cold_s", 10.0)):
            v = bundled.get(key)
            out.append(
                _target(
                    f"bundled graph ready, {key[:-2]} (s)",
                    v,
                    f"<= {goal:g}",
                    None if v is None else v <= goal,
                )
            )
    for r in results.get("scale", []):
        if r["target_triples"] != 1_000_000:
            continue
        ours = r["ours"]
        load = ours["cold"]["ready_s"] or ours.get("cold_skip_validation", {}).get("ready_s")
        ratio = _ratio(load, r["oxigraph_load"]["load_s"])
        out.append(
            _target(
                "1M: ours cold load / oxigraph load",
                ratio,
                "<= 2",
                None if ratio is None else ratio <= 2,
            )
        )
        ratio = _ratio(ours.get("warm", {}).get("ready_s"), r["oxigraph_load"]["load_s"])
        out.append(
            _target(
                "1M: ours warm load / oxigraph load",
                ratio,
                "<= 2",
                None if ratio is None else ratio <= 2,
            )
        )
        for kind in ("rss_mb", "pss_mb"):
            ratio = _ratio(ours.get("warm", {}).get(kind), r["oxigraph_serve"]["rss_mb"])
            out.append(
                _target(
                    f"1M: ours {kind[:3].upper()} / oxigraph serve RSS",
                    ratio,
                    "<= 1.5",
                    None if ratio is None else ratio <= 1.5,
                )
            )
    return out


def targets_table(items: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | goal | met |", "|---|---|---|---|"]
    for t in items:
        met = "-" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {_fmt(t['measured'])} | {t['goal']} | {met} |")
    return "\n".join(lines)


def machine_line(m: dict[str, Any]) -> str:
    p = m["packages"]
    peers = m.get("peer_packages", {})
    return (
        f"{m['cpus']} CPUs ({m['cpu_model']}), {m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}; "
        f"eu-ai-factories {p.get('eu-ai-factories')}, oxigraph {p.get('oxigraph')}, pyoxigraph {p.get('pyoxigraph')}, "
        f"Flask {p.get('flask')}, granian {p.get('granian')}, rdflib {p.get('rdflib')}; "
        f"rdflib-endpoint {peers.get('rdflib-endpoint')} (FastAPI {peers.get('fastapi')}, uvicorn {peers.get('uvicorn')}); "
        f"{m['wrk']}"
    )
