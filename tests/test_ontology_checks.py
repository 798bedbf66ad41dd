"""The ontology's quality rules: ``queries/checks/*-violation.rq`` must return no rows.

Each rule (FOOPS! metadata, OOPS! pitfalls, what the OWL API's OWL 2 DL profile check needs) is a
SPARQL query run on the edit source.  So that no rule can pass by being broken, each one is also
run on the ontology after a one-mistake SPARQL update (``tests/fixtures/ontology-mistakes/
<rule>.ru``): it must return nothing before the update and name the culprit after it.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from aifactories import bundle
from aifactories.loading import collect_files
from conftest import FIXTURES

CHECKS = bundle.queries_dir() / "checks"
MISTAKES = FIXTURES / "ontology-mistakes"
SUFFIX = "-violation.rq"
RULES = sorted(p.name.removesuffix(SUFFIX) for p in CHECKS.glob("*" + SUFFIX))


def ontology_store() -> ox.Store:
    store = ox.Store()
    store.load(path=str(bundle.ontology_file()), format=ox.RdfFormat.TURTLE)
    return store


def violations(store: ox.Store, rule: str) -> list[tuple[str | None, str]]:
    """(term, problem) for each row the rule returns."""
    rows = store.query((CHECKS / (rule + SUFFIX)).read_text(encoding="utf-8"))
    assert isinstance(rows, ox.QuerySolutions)
    return [(row["term"].value if row["term"] else None, row["problem"].value) for row in rows]


def expected_culprit(update: Path) -> str | None:
    first = update.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("# expect:").strip() if first.startswith("# expect:") else None


def test_there_are_rules_for_every_required_pitfall() -> None:
    assert len(RULES) >= 20
    for required in (
        "missing-label-en",
        "missing-label-fr",
        "missing-definition",
        "missing-is-defined-by",
        "property-domain",
        "property-range",
        "untyped-class",
        "untyped-property",
        "undeclared-annotation-property",
        "class-cycle",
        "wrong-inverse",
    ):
        assert required in RULES


def test_each_rule_has_a_title_and_description() -> None:
    for rule in RULES:
        head = (CHECKS / (rule + SUFFIX)).read_text(encoding="utf-8").splitlines()[:2]
        assert head[0].startswith("# title: "), rule
        assert head[1].startswith("# description: "), rule


@pytest.mark.parametrize("rule", RULES)
def test_ontology_passes_rule(rule: str) -> None:
    assert violations(ontology_store(), rule) == []


def test_every_rule_has_a_mistake_fixture_and_every_fixture_a_rule() -> None:
    assert sorted(p.stem for p in MISTAKES.glob("*.ru")) == RULES


@pytest.mark.parametrize("rule", RULES)
def test_rule_fires_on_its_mistake(rule: str) -> None:
    update = MISTAKES / f"{rule}.ru"
    store = ontology_store()
    store.update(update.read_text(encoding="utf-8"))
    found = violations(store, rule)
    assert found, f"{rule} did not fire on {update.name}"
    culprit = expected_culprit(update)
    if culprit is not None:
        assert culprit in {term for term, _ in found}, found


UNDECLARED_IN_DATA = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?term WHERE {
  GRAPH <urn:data> { { [] ?term [] } UNION { [] a ?term } }
  FILTER(!STRSTARTS(STR(?term), STR(owl:)) && ?term != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)
  FILTER(!STRSTARTS(STR(?term), "http://www.w3.org/2000/01/rdf-schema#"))
  FILTER NOT EXISTS { GRAPH <urn:ontology> { ?term a [] } }
}
ORDER BY ?term
"""


def test_data_uses_only_properties_and_classes_the_ontology_declares() -> None:
    """Every predicate and class of the bundled data is declared, so ontology + data stays DL."""
    store = ox.Store()
    store.load(
        path=str(bundle.ontology_file()),
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("urn:ontology"),
    )
    for path in collect_files([bundle.data_dir()]):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    assert len(store) > 2 * len(ontology_store())  # the data did load
    rows = store.query(UNDECLARED_IN_DATA)
    assert isinstance(rows, ox.QuerySolutions)
    assert [row["term"].value for row in rows] == []
