"""Settings, in one place, layered: defaults, then a TOML file, then ``AIFACTORIES_*``
environment variables, then explicit arguments (command-line options or a test's mapping).

Each layer only names the settings it changes.  The result is a frozen :class:`Settings`, so a
running server cannot drift from what it reported at start-up.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

ENV_PREFIX = "AIFACTORIES_"
CONFIG_FILE_ENV = "AIFACTORIES_CONFIG"
DEFAULT_BASE_IRI = "https://w3id.org/aifactories/"


def _default_cache_dir() -> str:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(root) / "aifactories")


@dataclass(frozen=True)
class Settings:
    """Everything the server, the CLI and the tests can configure."""

    base_iri: str = DEFAULT_BASE_IRI
    #: RDF files or folders; empty means the bundled knowledge graph.
    data: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    #: Python threads per worker.  Enough for a worker to keep answering while some of its
    #: threads wait on the engine (long queries hold at most 2), few enough that cached answers
    #: do not queue for the GIL: on 2 cores, 4 gave a p99 of 2.2-3.0 ms on repeated queries
    #: against 2.2-4.6 ms with 8, at the same throughput (wrk -c8, bundled graph).
    threads: int = 4
    #: ``None``: run the embedded engine; else a ``sparql+http(s)://`` URL of an external store.
    store: str | None = None
    query_timeout: float = 10.0
    max_rows: int = 10_000
    max_request_bytes: int = 1_000_000
    #: SERVICE endpoints queries may call; empty: SERVICE is refused.
    service_allowlist: tuple[str, ...] = ()
    cache_dir: str = field(default_factory=_default_cache_dir)
    response_cache_entries: int = 2_048
    #: Per-client limits on /sparql (0: off): queries running at once, query seconds a minute.
    client_max_concurrent_queries: int = 0
    client_query_seconds_per_minute: float = 0.0
    #: Where the embedded engine keeps the graph: "memory" (fastest; its loopback port also
    #: accepts writes) or "disk" (an on-disk store per data version, served read-only).
    engine_storage: str = "memory"
    #: Queries the embedded engine may be sent per ``query_timeout`` seconds, for the whole
    #: server (each worker gets its share); past it, new uncached queries get a 503.  Each
    #: query holds an engine thread for the full timeout.  0: derived from the machine's limits.
    engine_query_budget: int = 0
    #: One access-log line per HTTP request on stdout.  Off by default: every query already gets
    #: a structured log line, and the access log cost ~17 % of a cached answer's CPU (measured).
    access_log: bool = False
    #: Skip SHACL/OWL RL on start-up (never the default; for benchmarks of raw loading).
    skip_validation: bool = False

    def __post_init__(self) -> None:
        if not self.base_iri.endswith("/") or "://" not in self.base_iri:
            raise ConfigError(f"base IRI must be absolute and end with '/': {self.base_iri!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port out of range: {self.port}")
        if self.workers < 1 or self.threads < 1:
            raise ConfigError("workers and threads must be at least 1")
        if self.engine_storage not in ("memory", "disk"):
            raise ConfigError(
                f"engine_storage must be 'memory' or 'disk', not {self.engine_storage!r}"
            )
        if self.engine_query_budget < 0:
            raise ConfigError("engine_query_budget must be 0 (derive it) or positive")
        if self.query_timeout <= 0 or self.max_rows < 1 or self.max_request_bytes < 1:
            raise ConfigError("query_timeout, max_rows and max_request_bytes must be positive")

    @property
    def ontology_iri(self) -> str:
        return self.base_iri + "ontology"

    def graph_iri(self, name: str) -> str:
        """IRI of one of the dataset's named graphs (``data``, ``ontology``, ``inferred``)."""
        return f"{self.base_iri}graph/{name}"


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    """Turn a value from TOML, the environment or a mapping into the field's type."""
    kind = _FIELDS[name].type
    try:
        if kind.startswith("tuple"):
            if isinstance(value, str):
                value = [v for v in value.replace(",", " ").split() if v]
            return tuple(str(v) for v in value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if kind.startswith("str | None"):
            return None if value in (None, "") else str(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot use {value!r} ({exc})") from None


def _from_mapping(values: Mapping[str, Any], origin: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = key.lower().replace("-", "_")
        if name not in _FIELDS:
            raise ConfigError(f"{origin}: unknown setting {key!r}")
        out[name] = _coerce(name, value)
    return out


def _from_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return _from_mapping(raw.get("aifactories", raw), path)


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == CONFIG_FILE_ENV:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in _FIELDS:
            continue
        try:
            value: Any = json.loads(raw) if raw[:1] in "[{" else raw
        except json.JSONDecodeError:
            value = raw
        values[name] = _coerce(name, value)
    return values


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from every layer; later layers win."""
    environ = os.environ if environ is None else environ
    layered: dict[str, Any] = {}
    path = config_file or environ.get(CONFIG_FILE_ENV)
    if path:
        layered.update(_from_file(path))
    layered.update(_from_env(environ))
    if overrides:
        layered.update(
            _from_mapping({k: v for k, v in overrides.items() if v is not None}, "argument")
        )
    return Settings(**layered)
