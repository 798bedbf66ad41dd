"""The faster SHACL validation gives exactly the results of the way it was run before.

Two things changed for speed: data and ontology are mixed into one :class:`MixedGraph` that
parses each SPARQL text once (instead of pySHACL's ``ont_graph`` mixing and per-call parsing),
the SPARQL targets of ``aifsh:IdentifierShape`` and ``aifsh:ResourceShape`` filter distinct
nodes instead of every triple, and ``aifsh:AntennaShape-sameWaveKind`` spells its property path
as a join.  Each is compared here with the old way on graphs that fail every shape at once.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pyshacl
import pytest
from rdflib import SH, Graph, URIRef

from aifactories import bundle, validation
from aifactories.config import DEFAULT_BASE_IRI
from aifactories.prefixes import prefixes
from aifactories.validation import MixedGraph, mixed_violations, shacl_violations
from conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # plain ``pytest`` (not ``python -m pytest``) does not add it
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402

SHAPES_DIR = FIXTURES / "shapes"
AIFSH = "https://w3id.org/aifactories/shapes#"
NAMES = prefixes(DEFAULT_BASE_IRI)
#: The SPARQL targets as they were before they were rewritten for speed.
OLD_TARGETS = {
    "IdentifierShape": """
        SELECT DISTINCT ?this WHERE {
            { ?this ?p ?o } UNION { ?s ?p ?this }
            FILTER (isIRI(?this) && STRSTARTS(STR(?this), "https://w3id.org/aifactories/id/"))
        }""",
    "ResourceShape": """
        SELECT DISTINCT ?this WHERE {
            ?this ?p ?o .
            FILTER (isIRI(?this) && STRSTARTS(STR(?this), "https://w3id.org/aifactories/id/"))
        }""",
}

#: SHACL-SPARQL constraints as they were before; run with ``$this`` unbound, a conjunctive
#: query's rows are those of every focus node together.
OLD_CONSTRAINTS = {
    "AntennaShape-sameWaveKind": """
        PREFIX aif: <https://w3id.org/aifactories/ontology#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT $this ?value ?wave WHERE {
            $this aif:selectedIn ?wave .
            ?value aif:selectedIn ?wave ; rdf:type/rdfs:subClassOf* aif:AIFactory .
        }""",
}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(bundle.shapes_file())


def everything_invalid() -> Graph:
    """The base world with every invalid fixture added: each shape fails somewhere."""
    data = Graph().parse(SHAPES_DIR / "base.ttl")
    for path in sorted(SHAPES_DIR.glob("*/invalid.ttl")):
        data.parse(path)
    return data


def synthetic() -> Graph:
    text = io.StringIO()
    generate(2_000, text)
    return Graph().parse(data=text.getvalue(), format="turtle")


def pyshacl_mixing(
    monkeypatch: pytest.MonkeyPatch, data: Graph, ontology: Graph
) -> list[validation.Violation]:
    """The results as before: pySHACL mixes data and ontology and parses every query itself."""
    original = pyshacl.validate

    def old_validate(_target: Graph, **options: Any) -> Any:
        options.pop("inplace")
        return original(data, ont_graph=ontology, **options)

    with monkeypatch.context() as patch:
        patch.setattr(validation.pyshacl, "validate", old_validate)
        return shacl_violations(data, shapes_graph(), ontology, NAMES)


def shapes_graph() -> Graph:
    return Graph().parse(bundle.shapes_file())


@pytest.mark.parametrize("make", [everything_invalid, synthetic])
def test_mixed_graph_gives_the_same_results(
    make: Any, shapes: Graph, ontology: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make()
    violations = shacl_violations(data, shapes, ontology, NAMES)
    assert violations == pyshacl_mixing(monkeypatch, data, ontology)
    if make is everything_invalid:
        assert len({v.shape for v in violations}) > 20


def test_mixed_graph_is_left_unchanged(shapes: Graph, ontology: Graph) -> None:
    data = everything_invalid()
    target = MixedGraph(data, ontology)
    for graph in (data, ontology):
        for triple in graph:
            target.add(triple)
    before = set(target)
    assert mixed_violations(target, shapes, NAMES, data)
    assert set(target) == before


def with_ontology(data: Graph, ontology: Graph) -> Graph:
    """``data`` with the ontology added, as the SHACL targets and constraints see it."""
    for triple in ontology:
        data.add(triple)
    return data


def target_query(shapes: Graph, shape: str) -> str:
    target = shapes.value(URIRef(AIFSH + shape), SH.target)
    return str(shapes.value(target, SH.select))


@pytest.mark.parametrize("shape", sorted(OLD_TARGETS))
@pytest.mark.parametrize("make", [everything_invalid, synthetic])
def test_rewritten_targets_select_the_same_nodes(
    shape: str, make: Any, shapes: Graph, ontology: Graph
) -> None:
    data = with_ontology(make(), ontology)
    new = {row[0] for row in data.query(target_query(shapes, shape))}  # type: ignore[index]
    old = {row[0] for row in data.query(OLD_TARGETS[shape])}  # type: ignore[index]
    assert new == old
    assert len(new) > 10


@pytest.mark.parametrize("constraint", sorted(OLD_CONSTRAINTS))
@pytest.mark.parametrize("make", [everything_invalid, synthetic])
def test_rewritten_constraints_find_the_same_rows(
    constraint: str, make: Any, shapes: Graph, ontology: Graph
) -> None:
    data = with_ontology(make(), ontology)
    node = URIRef(AIFSH + constraint)
    prologue = "".join(
        f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
        for d in shapes.objects(shapes.value(node, SH.prefixes), SH.declare)
    )
    new = set(data.query(prologue + str(shapes.value(node, SH.select))))
    old = set(data.query(OLD_CONSTRAINTS[constraint]))
    assert new == old
    if make is everything_invalid:
        assert new
