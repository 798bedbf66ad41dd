"""Drive a server with ``wrk`` (Debian package ``wrk``), one request template list per run.

A run is described by :class:`Template` objects: a path in which ``{subject}`` and ``{n}`` are
replaced per request by the next subject IRI and a counter.  A small Lua script, written here,
does the substitution inside wrk, so unique queries cost the load generator almost nothing and
no cache can answer them (the counter never repeats within a benchmark run).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.servers import BenchmarkError

SUBJECT = "{subject}"
COUNTER = "{n}"
_SENTINELS = {SUBJECT: "\x01", COUNTER: "\x02"}
RESULT_MARK = "WRKJSON "
INSTALL_HINT = "install it with: apt-get install -y wrk   (Debian/Ubuntu)"


@dataclass(frozen=True)
class Template:
    """One kind of request: a URL path (already percent-encoded except for the two
    placeholders) and the Accept header to send."""

    path: str
    accept: str


def sparql_template(endpoint_path: str, query: str, accept: str) -> Template:
    """``GET endpoint?query=...`` with ``{subject}``/``{n}`` left for wrk to fill in."""
    marked = query.replace(SUBJECT, _SENTINELS[SUBJECT]).replace(COUNTER, _SENTINELS[COUNTER])
    encoded = urllib.parse.quote(marked, safe="")
    for placeholder, sentinel in _SENTINELS.items():
        encoded = encoded.replace(urllib.parse.quote(sentinel, safe=""), placeholder)
    return Template(f"{endpoint_path}?query={encoded}", accept)


@dataclass(frozen=True)
class LoadResult:
    """wrk's summary of one run."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_executable() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchmarkError(f"'wrk' is not installed; {INSTALL_HINT}")
    return found


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _lua_template(template: Template) -> str:
    parts = re.split(r"(\{subject\}|\{n\})", template.path)
    segments = [
        ("1" if p == SUBJECT else "2" if p == COUNTER else _lua_string(p)) for p in parts if p
    ]
    return "{accept=" + _lua_string(template.accept) + ", " + ", ".join(segments) + "}"


def lua_script(templates: Sequence[Template], subjects: Sequence[str], start: int) -> str:
    """The wrk script: round-robin over the templates, filling in subject and counter."""
    encoded = [urllib.parse.quote(s, safe="") for s in subjects] or [""]
    return "\n".join(
        [
            "local templates = {" + ",\n".join(_lua_template(t) for t in templates) + "}",
            "local subjects = {" + ",".join(_lua_string(s) for s in encoded) + "}",
            f"local counter = {start}",
            "request = function()",
            "  counter = counter + 1",
            "  local t = templates[(counter % #templates) + 1]",
            "  local out = {}",
            "  for i = 1, #t do",
            "    local seg = t[i]",
            "    if seg == 1 then out[i] = subjects[(counter % #subjects) + 1]",
            "    elseif seg == 2 then out[i] = tostring(counter)",
            "    else out[i] = seg end",
            "  end",
            '  return wrk.format("GET", table.concat(out), {["Accept"] = t.accept})',
            "end",
            "done = function(summary, latency, requests)",
            "  local e = summary.errors",
            f"  io.write({_lua_string(RESULT_MARK)} .. string.format("
            '\'{"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,'
            '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n\','
            " summary.requests, summary.duration, summary.bytes,"
            " e.connect + e.read + e.write + e.status + e.timeout,"
            " latency:percentile(50), latency:percentile(90), latency:percentile(99),"
            " latency.max))",
            "end",
            "",
        ]
    )


def run_wrk(
    base_url: str,
    templates: Sequence[Template],
    *,
    duration: float,
    connections: int,
    subjects: Sequence[str] = (),
    start: int = 0,
    timeout_s: int = 30,
) -> LoadResult:
    """Run wrk for ``duration`` seconds against ``base_url``; raise if it reports nothing."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua_script(templates, subjects, start))
        script = Path(fh.name)
    try:
        done = subprocess.run(
            [
                wrk_executable(),
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(duration))}s",
                f"--timeout={timeout_s}s",
                "-s",
                str(script),
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + timeout_s + 30,
            check=False,
        )
    finally:
        script.unlink()
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)), None)
    if line is None:
        raise BenchmarkError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:500]}")
    raw = json.loads(line[len(RESULT_MARK) :])
    return LoadResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=raw["errors"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        bytes=raw["bytes"],
    )
