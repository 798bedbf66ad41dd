"""The command line: help, exit statuses and one-line errors, as a user runs it."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import FIXTURES, TINY, run_cli


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "validate", "query", "export", "publish"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["serve", "validate", "query", "export", "publish"])
def test_each_command_has_help(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "usage: aifactories " + command in result.stdout


def test_unknown_option_is_a_usage_error_without_traceback() -> None:
    result = run_cli("serve", "--no-such-option")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_port_value_is_a_usage_error() -> None:
    result = run_cli("serve", "--port", "eighty")
    assert result.returncode == 2
    assert "invalid int value" in result.stderr


def test_missing_data_path_is_one_line_exit_2(cache: list[str]) -> None:
    result = run_cli("serve", "--port", "0", "--data", "/no/such/file.ttl", *cache)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "aifactories: error: /no/such/file.ttl: no such file or directory"
    )


def test_syntax_error_names_file_line_and_column(cache: list[str]) -> None:
    bad = FIXTURES / "syntax-error.ttl"
    result = run_cli("serve", "--port", "0", "--data", str(bad), *cache)
    assert result.returncode == 2
    assert f"{bad}:3:" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_line_exit_2(cache: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--data", str(TINY), *cache)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"aifactories: error: port {port} on 127.0.0.1 is already in use"
    )


def test_validate_conforming_data_exits_0(cache: list[str]) -> None:
    result = run_cli("validate", str(TINY), *cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforms" in result.stdout


def test_validate_inconsistent_data_exits_1(cache: list[str]) -> None:
    result = run_cli("validate", str(FIXTURES / "inconsistent.ttl"), *cache)
    assert result.returncode == 1
    assert "OWL RL inconsistency" in result.stdout


def test_validate_unreadable_input_exits_2(cache: list[str]) -> None:
    result = run_cli("validate", str(FIXTURES / "syntax-error.ttl"), *cache)
    assert result.returncode == 2
    assert "syntax-error.ttl:3:" in result.stderr


def test_validate_json_report_is_machine_readable(cache: list[str]) -> None:
    result = run_cli("validate", "--format", "json", str(TINY), *cache)
    report = json.loads(result.stdout)
    assert report["conforms"] is True
    assert report["violationCount"] == 0


def test_query_prints_a_table(cache: list[str]) -> None:
    query = "SELECT ?rank WHERE { ?s <http://example.org/rank> ?rank } ORDER BY ?rank"
    result = run_cli("query", query, "--data", str(TINY), *cache)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2:5] == ["1   ", "2   ", "3   "]
    assert "(3 rows)" in result.stdout


def test_query_reads_a_query_file(tmp_path: Path, cache: list[str]) -> None:
    rq = tmp_path / "count.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://example.org/Thing> }")
    result = run_cli("query", str(rq), "--format", "csv", "--data", str(TINY), *cache)
    assert result.stdout.split() == ["n", "3"]


def test_query_json_format(cache: list[str]) -> None:
    result = run_cli("query", "ASK { ?s ?p ?o }", "--format", "json", "--data", str(TINY), *cache)
    assert json.loads(result.stdout)["boolean"] is True


def test_bad_query_exits_2_with_position(cache: list[str]) -> None:
    result = run_cli("query", "SELECT * WHERE { ?s ?p }", "--data", str(TINY), *cache)
    assert result.returncode == 2
    assert "1:" in result.stderr and "Traceback" not in result.stderr


def test_update_is_refused(cache: list[str]) -> None:
    result = run_cli("query", "INSERT DATA { <a:b> <a:c> <a:d> }", "--data", str(TINY), *cache)
    assert result.returncode == 2
    assert "read-only" in result.stderr


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "rdfxml", "jsonld", "trig", "nquads"])
def test_export_writes_parseable_rdf(fmt: str, tmp_path: Path, cache: list[str]) -> None:
    out = tmp_path / f"dump.{fmt}"
    result = run_cli("export", "--format", fmt, "-o", str(out), "--data", str(TINY), *cache)
    assert result.returncode == 0, result.stderr
    rdf_format = {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "rdfxml": ox.RdfFormat.RDF_XML,
        "jsonld": ox.RdfFormat.JSON_LD,
        "trig": ox.RdfFormat.TRIG,
        "nquads": ox.RdfFormat.N_QUADS,
    }[fmt]
    subjects = {q.subject.value for q in ox.parse(path=str(out), format=rdf_format)}
    assert "http://example.org/gamma" in subjects


def test_export_inferred_adds_the_inferred_graph(tmp_path: Path, cache: list[str]) -> None:
    plain = run_cli("export", "--format", "nquads", "--data", str(TINY), *cache).stdout
    inferred = run_cli(
        "export", "--format", "nquads", "--inferred", "--data", str(TINY), *cache
    ).stdout
    assert "graph/inferred>" not in plain
    assert "graph/inferred>" in inferred


def test_export_ontology_carries_its_version_iri(cache: list[str]) -> None:
    result = run_cli("export", "--ontology", "--format", "ntriples", *cache)
    assert (
        "<http://www.w3.org/2002/07/owl#versionIRI> <https://w3id.org/aifactories/ontology/"
        in result.stdout
    )


def test_trig_named_graphs_stay_named(cache: list[str]) -> None:
    query = (
        "SELECT ?g WHERE { GRAPH ?g { <http://example.org/delta> <http://example.org/rank> 4 } }"
    )
    result = run_cli(
        "query", query, "--format", "csv", "--data", str(FIXTURES / "named.trig"), *cache
    )
    assert result.stdout.split() == ["g", "http://example.org/graph1"]


def test_python_dash_m_works() -> None:
    assert run_cli("--version").stdout.startswith("aifactories ")
