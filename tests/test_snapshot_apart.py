"""The server builds a new snapshot in a child process: the same snapshot, the same errors, and
none of the building's heap (nor rdflib, pySHACL, owlrl) in the server's own process."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from aifactories import snapshot
from aifactories.config import load_settings
from aifactories.errors import (
    DataSyntaxError,
    QueryTimeout,
    SnapshotBuildFailed,
    ValidationFailed,
)
from aifactories.report import Report, Violation
from conftest import FIXTURES, TINY


def canonical(path: Path) -> set[ox.Quad]:
    """The quads of an N-Quads file with blank nodes relabelled canonically (each build
    labels them anew)."""
    dataset = ox.Dataset(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def settings_for(data: Path, cache: Path):  # type: ignore[no-untyped-def]
    return load_settings({"data": (str(data),), "cache_dir": str(cache)}, environ={})


def test_errors_survive_the_trip_between_processes() -> None:
    report = Report(conforms=False, violations=[Violation("ex:a", None, None, "m", "s", "V")])
    for error in (
        DataSyntaxError("data/x.ttl", 3, 11, "Unexpected end of file"),
        ValidationFailed("does not conform", report),
        QueryTimeout("too long", retry_after=7),
        SnapshotBuildFailed("died"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert (copy.message, copy.headers, str(copy)) == (error.message, error.headers, str(error))
    assert pickle.loads(pickle.dumps(ValidationFailed("x", report))).report == report


def test_a_snapshot_built_apart_is_the_one_built_here(tmp_path: Path) -> None:
    apart = snapshot.build_apart(settings_for(TINY, tmp_path / "a"))
    here = snapshot.build(settings_for(TINY, tmp_path / "b"))
    assert (apart.version, apart.graphs, apart.from_cache) == (here.version, here.graphs, False)
    assert canonical(apart.path) == canonical(here.path)
    assert snapshot.build_apart(settings_for(TINY, tmp_path / "a")).from_cache


def test_a_syntax_error_comes_back_with_its_position(tmp_path: Path) -> None:
    with pytest.raises(DataSyntaxError) as error:
        snapshot.build_apart(settings_for(FIXTURES / "syntax-error.ttl", tmp_path))
    assert "syntax-error.ttl:3:" in error.value.message


def test_the_builders_libraries_stay_out_of_the_server(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from aifactories import snapshot\n"
        "from aifactories.config import load_settings\n"
        f"s = load_settings({{'data': ({str(TINY)!r},), 'cache_dir': {str(tmp_path)!r}}}, environ={{}})\n"
        "snap = snapshot.build_apart(s)\n"
        "assert snap.triples > 0, snap\n"
        "print(sorted(m for m in ('rdflib', 'pyshacl', 'owlrl') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
