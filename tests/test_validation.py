"""SHACL validation: every shape has a valid and an invalid fixture, and ``aifactories validate``
reports, counts and exits as the SPEC says.

Each fixture in ``fixtures/shapes/<Shape>/`` is validated together with ``fixtures/shapes/base.ttl``
(a small world that conforms to every shape).  An invalid fixture lists the results it must
produce, one ``# expect: <focus node> <shape>`` line each, and must produce no others.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from aifactories import bundle
from aifactories.config import DEFAULT_BASE_IRI
from aifactories.prefixes import prefixes
from aifactories.validation import ShapesError, Violation, shacl_violations
from conftest import FIXTURES, run_cli

SHAPES_DIR = FIXTURES / "shapes"
BASE = SHAPES_DIR / "base.ttl"
SHAPE_FIXTURES = sorted(p.name for p in SHAPES_DIR.iterdir() if p.is_dir())
SHAPES_NS = "https://w3id.org/aifactories/shapes#"
EXPECT = re.compile(r"^# expect: (\S+) (\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(bundle.shapes_file())


def validate(shapes: Graph, ontology: Graph, *files: Path) -> list[Violation]:
    data = Graph()
    for path in files:
        data.parse(path)
    return shacl_violations(data, shapes, ontology, prefixes(DEFAULT_BASE_IRI))


def expected(path: Path) -> set[tuple[str, str]]:
    """The ``# expect:`` lines of an invalid fixture, as (focus IRI, shape IRI) pairs."""
    names = Graph().parse(path).namespace_manager
    names.bind("aifsh", SHAPES_NS)

    def iri(term: str) -> str:
        return term[1:-1] if term.startswith("<") else str(names.expand_curie(term))

    return {(iri(focus), iri(shape)) for focus, shape in EXPECT.findall(path.read_text())}


def test_every_node_shape_has_a_fixture_pair(shapes: Graph) -> None:
    from rdflib import RDF, SH

    names = {str(s).removeprefix(SHAPES_NS) for s in shapes.subjects(RDF.type, SH.NodeShape)}
    assert names == set(SHAPE_FIXTURES)
    for name in names:
        assert (SHAPES_DIR / name / "valid.ttl").is_file()
        assert EXPECT.search((SHAPES_DIR / name / "invalid.ttl").read_text())


def test_base_fixture_conforms(shapes: Graph, ontology: Graph) -> None:
    assert validate(shapes, ontology, BASE) == []


@pytest.mark.parametrize("shape", SHAPE_FIXTURES)
def test_valid_fixture_conforms(shape: str, shapes: Graph, ontology: Graph) -> None:
    assert validate(shapes, ontology, BASE, SHAPES_DIR / shape / "valid.ttl") == []


@pytest.mark.parametrize("shape", SHAPE_FIXTURES)
def test_invalid_fixture_fails_with_expected_shape_and_focus(
    shape: str, shapes: Graph, ontology: Graph
) -> None:
    invalid = SHAPES_DIR / shape / "invalid.ttl"
    found = {(v.focus_node, v.source_shape) for v in validate(shapes, ontology, BASE, invalid)}
    assert found == expected(invalid)
    assert all(s.removeprefix(SHAPES_NS).startswith(shape) for _, s in found)


def test_every_violation_has_a_message_of_its_own(shapes: Graph, ontology: Graph) -> None:
    invalid = SHAPES_DIR / "CountryShape" / "invalid.ttl"
    messages = [v.message for v in validate(shapes, ontology, BASE, invalid)]
    assert len(set(messages)) == len(messages) == 3
    assert not any("Less than" in m or "Value does not" in m for m in messages)


def test_unusable_shapes_are_refused(ontology: Graph) -> None:
    broken = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetNode <urn:x> ;
            sh:sparql [ sh:select "SELECT $this WHERE { VALUES ?x { 1 } }" ] .
        """,
        format="turtle",
    )
    with pytest.raises(ShapesError, match="shapes cannot be used"):
        shacl_violations(Graph(), broken, ontology)


def test_report_paths_read_as_sparql_paths(shapes: Graph, ontology: Graph) -> None:
    invalid = SHAPES_DIR / "ComputeProvisionShape" / "invalid.ttl"
    paths = {v.path for v in validate(shapes, ontology, BASE, invalid)}
    assert "(aif:provisionFor|^aif:computeProvision)" in paths


# ---- through the command line ------------------------------------------------------------------


def test_cli_invalid_fixture_exits_1_grouped_by_focus(cache: list[str]) -> None:
    invalid = SHAPES_DIR / "CountryShape" / "invalid.ttl"
    result = run_cli("validate", str(BASE), str(invalid), *cache)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    focus_at = lines.index("country:se")
    group = lines[focus_at + 1 : focus_at + 4]
    assert all(line.startswith("  [Violation]") for line in group)
    assert 'aif:iso3166Alpha2 = "se"' in "\n".join(group)
    assert "(shape aifsh:CountryShape-alpha2)" in "\n".join(group)
    assert "3 violation(s) on 1 focus node(s)" in lines[-1]


def test_cli_json_report_lists_each_violation(cache: list[str]) -> None:
    invalid = SHAPES_DIR / "SourceShape" / "invalid.ttl"
    result = run_cli("validate", "--format", "json", str(BASE), str(invalid), *cache)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    assert report["violationCount"] == len(report["violations"]) == 2
    url = next(v for v in report["violations"] if v["shape"] == "aifsh:SourceShape-url")
    assert url["focus_node"] == "https://w3id.org/aifactories/id/source/s2"
    assert url["path"] == "schema:url"
    assert url["value"] == '"https://example.org/a"'
    assert url["message"].startswith("schema:url of a source is an http(s) IRI")


def test_cli_conforming_fixture_exits_0(cache: list[str]) -> None:
    result = run_cli("validate", str(BASE), *cache)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith(
        "conforms (0 violation(s) on 0 focus node(s), 0 OWL RL inconsistencies)"
    )


def test_cli_syntax_error_is_file_line_col(tmp_path: Path, cache: list[str]) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n')
    result = run_cli("validate", str(bad), *cache)
    assert result.returncode == 2
    assert re.match(rf"aifactories: error: {re.escape(str(bad))}:2:\d+: ", result.stderr)


def test_cli_missing_file_exits_2(cache: list[str]) -> None:
    result = run_cli("validate", "/no/such/data.ttl", *cache)
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_bundled_data_conforms(cache: list[str]) -> None:
    result = run_cli("validate", *cache, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]


def test_bundled_iris_follow_the_slug_pattern() -> None:
    """A cheap check independent of pySHACL: the pattern the shapes use, on every data file."""
    pattern = re.compile(r"^https://w3id.org/aifactories/id/[a-z][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")
    data = Graph()
    for path in sorted(bundle.data_dir().rglob("*.ttl")):
        data.parse(path)
    iris = {
        str(t)
        for triple in data
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(DEFAULT_BASE_IRI + "id/")
    }
    assert iris and not [i for i in iris if not pattern.match(i)]


def test_messages_use_prefixed_names(shapes: Graph, ontology: Graph) -> None:
    invalid = SHAPES_DIR / "AIHubShape" / "invalid.ttl"
    messages = {v.message for v in validate(shapes, ontology, BASE, invalid)}
    assert "factory:lumi-aif names its host country country:fi as a partner country too" in messages


def test_cli_json_syntax_error_is_machine_readable(tmp_path: Path, cache: list[str]) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ex:d .\n")
    result = run_cli("validate", "--format", "json", str(bad), *cache)
    assert result.returncode == 2
    error = json.loads(result.stdout)
    assert (error["conforms"], error["path"], error["line"]) == (False, str(bad), 2)
    assert error["error"].startswith(f"{bad}:2:")
    assert f"{bad}:2:" in result.stderr
