"""Start and stop the three servers under test on loopback, and measure their memory.

* ours: ``aifactories serve --data FILE --port P`` exactly as production runs it (granian, the
  embedded Oxigraph engine as a child process);
* ``oxigraph serve`` in memory, loaded by POSTing the same N-Quads to its Graph Store endpoint;
* rdflib-endpoint (FastAPI + uvicorn + rdflib's memory store), from its own virtualenv because it
  pulls FastAPI, which the project does not depend on.

Every server binds 127.0.0.1 only, and every process started here is stopped by its own pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS_VENV = HERE / ".venv-peers"
PEER_PACKAGES = ("rdflib-endpoint[cli]==0.6.3", "uvicorn")
READY_POLL_SECONDS = 0.05


class BenchmarkError(RuntimeError):
    """A server or tool the benchmark needs is missing or misbehaved."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_tool(name: str) -> str:
    """An executable installed beside the running interpreter (the project's venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BenchmarkError(f"'{name}' not found: install the project (pip install -e .)")
    return found


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """wrk does not follow redirects, so neither may the checks made before it runs: a 303
    must show up as a 303, not as the 200 of the page it points to."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def http_get(url: str, accept: str = "*/*", timeout: float = 60) -> tuple[int, bytes]:
    """GET without following redirects: (status, body)."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# ---- memory -----------------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    """pid -> parent pid for every process (children started from any thread included)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    # the command name may hold spaces: the ppid is the 2nd field after ")"
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return parents


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(children.get(current, []))
    return pids


def _smaps_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process of the tree."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


@dataclass(frozen=True)
class Memory:
    """Memory of a process tree in MB: RSS counts pages shared after fork once per process,
    PSS divides them among the sharers (the honest total for a pre-forking server)."""

    rss_mb: float
    pss_mb: float
    processes: int
    #: (executable name, RSS MB, PSS MB) of each process, the root first
    by_process: tuple[tuple[str, float, float], ...] = ()


def _program(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
    except OSError:
        return "?"
    # ``python .../aifactories serve`` -> aifactories; ``.../oxigraph serve`` -> oxigraph
    names = [Path(a.decode(errors="replace")).name for a in argv[:2] if a]
    return names[1] if len(names) > 1 and names[0].startswith("python") else names[0]


def tree_memory(pid: int) -> Memory:
    per = [
        (_program(p), round(_smaps_kb(p, "Rss") / 1024, 1), round(_smaps_kb(p, "Pss") / 1024, 1))
        for p in process_tree(pid)
    ]
    return Memory(
        round(sum(r for _, r, _ in per), 1),
        round(sum(s for _, _, s in per), 1),
        len(per),
        tuple(per),
    )


# ---- a running server -------------------------------------------------------------------------


@dataclass
class Server:
    """A started server: how to reach it, how it was started and how long it took."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    sparql_path: str
    ready_seconds: float = 0.0
    load_seconds: float = 0.0
    log: Path | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def sparql_url(self) -> str:
        return self.base_url + self.sparql_path

    def memory(self) -> Memory:
        return tree_memory(self.process.pid)

    def stop(self) -> None:
        """SIGTERM (the server stops its engine on it), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, chars: int = 800) -> str:
        if self.log is None or not self.log.is_file():
            return ""
        return self.log.read_text(errors="replace")[-chars:]


def _spawn(
    argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )


def _wait_for(
    server: Server, path: str, deadline_seconds: float, started: float, ok: int = 200
) -> float:
    """Poll ``path`` until it answers ``ok``; return the seconds since ``started``."""
    deadline = started + deadline_seconds
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkError(f"{server.name} exited early:\n{server.log_tail()}")
        with contextlib.suppress(OSError):
            status, _ = http_get(server.base_url + path, timeout=5)
            if status == ok:
                return time.perf_counter() - started
        time.sleep(READY_POLL_SECONDS)
    raise TimeoutError(f"{server.name} not ready after {deadline_seconds:g} s")


def launch_ours(
    data: Sequence[Path], cache_dir: Path, logs: Path, env: Mapping[str, str] | None = None
) -> Server:
    """``aifactories serve --data ... --port P`` (production: granian, 2 workers), not waited
    for; ``server.extra["started"]`` is when it was spawned."""
    port = free_port()
    argv = [venv_tool("aifactories"), "serve", "--port", str(port), "--cache-dir", str(cache_dir)]
    if data:
        argv += ["--data", *map(str, data)]
    log = logs / f"ours-{port}.log"
    started = time.perf_counter()
    process = _spawn(argv, log, env)
    return Server(
        "ours", process, f"http://127.0.0.1:{port}", "/sparql", log=log, extra={"started": started}
    )


def wait_ready(server: Server, timeout: float) -> float:
    """Wait for our ``/readyz`` to answer 200; set and return the seconds since the spawn."""
    started = float(server.extra["started"])  # type: ignore[arg-type]
    server.ready_seconds = _wait_for(server, "/readyz", timeout, started)
    return server.ready_seconds


def start_ours(
    data: Sequence[Path],
    cache_dir: Path,
    logs: Path,
    *,
    ready_timeout: float = 600,
    env: Mapping[str, str] | None = None,
) -> Server:
    """Launch ours and wait until it is ready (stopping it if it never is)."""
    server = launch_ours(data, cache_dir, logs, env)
    try:
        wait_ready(server, ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def start_oxigraph(nquads: Path, logs: Path, *, union_default_graph: bool = True) -> Server:
    """``oxigraph serve`` in memory, then POST the N-Quads to ``/store``."""
    port = free_port()
    argv = [venv_tool("oxigraph"), "serve", "--bind", f"127.0.0.1:{port}"]
    if union_default_graph:
        argv.append("--union-default-graph")
    started = time.perf_counter()
    process = _spawn(argv, logs / f"oxigraph-{port}.log")
    server = Server(
        "oxigraph", process, f"http://127.0.0.1:{port}", "/query", log=logs / f"oxigraph-{port}.log"
    )
    try:
        _wait_for(server, "/", 30, started)
        # Triples go to the default graph: a bare POST to the graph store would create a new
        # named graph (SPARQL 1.1 Graph Store Protocol), invisible to default-graph queries.
        target = "/store" if nquads.suffix == ".nq" else "/store?default"
        server.load_seconds = post_file(server.base_url + target, nquads, _rdf_type(nquads))
        server.ready_seconds = time.perf_counter() - started
    except BaseException:
        server.stop()
        raise
    return server


def _rdf_type(path: Path) -> str:
    return {".nq": "application/n-quads", ".ttl": "text/turtle", ".nt": "application/n-triples"}[
        path.suffix
    ]


def post_file(url: str, path: Path, content_type: str) -> float:
    """POST a file (as curl --data-binary would); return the seconds it took."""
    started = time.perf_counter()
    with path.open("rb") as body:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": content_type, "Content-Length": str(path.stat().st_size)},
        )
        with urllib.request.urlopen(request, timeout=900) as response:
            response.read()
    return time.perf_counter() - started


def ensure_peers_venv(log: Path) -> Path:
    """Create benchmarks/.venv-peers with rdflib-endpoint once; return its ``rdflib-endpoint``."""
    tool = PEERS_VENV / "bin" / "rdflib-endpoint"
    uvicorn = PEERS_VENV / "bin" / "uvicorn"
    if tool.is_file() and uvicorn.is_file():
        return tool
    print(f"creating {PEERS_VENV} for rdflib-endpoint (once) ...", flush=True)
    with log.open("ab") as out:
        subprocess.run(
            [sys.executable, "-m", "venv", str(PEERS_VENV)], check=True, stdout=out, stderr=out
        )
        done = subprocess.run(
            [str(PEERS_VENV / "bin" / "pip"), "install", "-q", *PEER_PACKAGES],
            stdout=out,
            stderr=out,
        )
    if done.returncode != 0 or not tool.is_file():
        raise BenchmarkError(f"could not install {' '.join(PEER_PACKAGES)}; see {log}")
    return tool


def peer_versions() -> dict[str, str]:
    """Versions installed in the peers' venv (rdflib-endpoint, rdflib, fastapi, uvicorn)."""
    python = PEERS_VENV / "bin" / "python"
    if not python.is_file():
        return {}
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({n: m.version(n) for n in "
        "('rdflib-endpoint', 'rdflib', 'fastapi', 'uvicorn')}))"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def start_rdflib_endpoint(nquads: Path, logs: Path, *, ready_timeout: float = 600) -> Server:
    """``rdflib-endpoint serve FILE`` (rdflib Dataset with a union default graph)."""
    tool = ensure_peers_venv(logs / "peers-venv.log")
    port = free_port()
    # rdflib guesses the format from the suffix; a symlink keeps one copy of the data.
    link = Path(tempfile.mkdtemp(prefix="rdflib-endpoint-", dir=logs)) / f"data{nquads.suffix}"
    link.symlink_to(nquads)
    started = time.perf_counter()
    log = logs / f"rdflib-endpoint-{port}.log"
    process = _spawn(
        [str(tool), "serve", "--host", "127.0.0.1", "--port", str(port), str(link)], log
    )
    # Its CLI mounts the endpoint at "/" (SparqlEndpoint's default path).
    server = Server("rdflib-endpoint", process, f"http://127.0.0.1:{port}", "/", log=log)
    try:
        server.ready_seconds = _wait_for(server, "/?query=ASK%7B%7D", ready_timeout, started)
    except BaseException:
        server.stop()
        raise
    return server
