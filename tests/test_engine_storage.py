"""``engine_storage = "disk"``: the engine serves an on-disk store read-only, so nothing on the
machine can change the served data through the engine's loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aifactories import snapshot
from aifactories.config import load_settings
from aifactories.engine import EmbeddedEngine
from conftest import TINY, run_cli

THINGS = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://example.org/Thing> }"


@pytest.fixture
def disk_engine(tmp_path: Path) -> Iterator[EmbeddedEngine]:
    settings = load_settings({"cache_dir": str(tmp_path), "data": [str(TINY)]}, environ={})
    snap = snapshot.build(settings)
    engine = EmbeddedEngine.start(
        snap.path, timeout=5, expected_triples=snap.triples, storage="disk"
    )
    yield engine
    engine.stop()


def _count(engine: EmbeddedEngine) -> int:
    response = requests.post(
        engine.query_url, data={"query": THINGS}, headers={"Accept": "text/csv"}, timeout=10
    )
    return int(response.text.split()[1])


def test_disk_store_is_built_beside_the_snapshot(disk_engine: EmbeddedEngine) -> None:
    assert disk_engine.location is not None and disk_engine.location.is_dir()
    assert _count(disk_engine) == 3


def test_disk_engine_refuses_writes(disk_engine: EmbeddedEngine) -> None:
    response = requests.post(
        f"{disk_engine.base_url}/update",
        data="INSERT DATA { <http://example.org/x> a <http://example.org/Thing> }",
        headers={"Content-Type": "application/sparql-update"},
        timeout=10,
    )
    assert response.status_code == 403
    assert _count(disk_engine) == 3


def test_cli_queries_through_a_disk_engine(tmp_path: Path) -> None:
    args = ("query", THINGS, "--format", "csv", "--data", str(TINY), "--cache-dir", str(tmp_path))
    result = run_cli(*args, env={"AIFACTORIES_ENGINE_STORAGE": "disk"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["n", "3"]
    assert list(tmp_path.glob("snapshots/*/oxigraph"))


def test_unknown_storage_is_a_setting_error() -> None:
    result = run_cli("query", "ASK {}", env={"AIFACTORIES_ENGINE_STORAGE": "tape"})
    assert result.returncode == 2
    assert "engine_storage must be 'memory' or 'disk'" in result.stderr
