"""The fast OWL RL closure (:mod:`aifactories.rules`) gives exactly what owlrl gives.

Every test compares the default path with ``owl_rl_closure(..., fast=False)`` (owlrl on the
whole graph): the same inferred triples after the tautology filter and the same inconsistency
messages.  Graphs whose schema needs a rule the fast path lacks must be refused, not guessed.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace

from aifactories import bundle
from aifactories.config import DEFAULT_BASE_IRI
from aifactories.prefixes import prefixes
from aifactories.reasoning import Closure, fast_closure, owl_rl_closure

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # plain ``pytest`` (not ``python -m pytest``) does not add it
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402

AIF = Namespace(DEFAULT_BASE_IRI + "ontology#")
EX = Namespace("http://example.org/")
NAMES = prefixes(DEFAULT_BASE_IRI)
SYNTHETIC_TRIPLES = 10_000
HEADER = f"""
@prefix : <{EX}> . @prefix aif: <{AIF}> . @prefix owl: <{OWL}> . @prefix rdf: <{RDF}> .
@prefix rdfs: <{RDFS}> . @prefix xsd: <{XSD}> .
"""


def graph(turtle: str, base: Graph | None = None) -> Graph:
    out = Graph()
    for triple in base or ():
        out.add(triple)
    return out.parse(data=HEADER + turtle, format="turtle")


def same_as_owlrl(asserted: Graph) -> Closure:
    """Assert that the fast path applies and agrees with owlrl; return its closure."""
    fast = fast_closure(asserted, NAMES)
    assert fast is not None, "the fast path refused a graph it should handle"
    reference = owl_rl_closure(asserted, NAMES, fast=False)
    assert set(fast.inferred) == set(reference.inferred)
    assert fast.inconsistencies == reference.inconsistencies
    return fast


def test_bundled_data_closure_equals_owlrl(ontology: Graph) -> None:
    asserted = graph("", ontology)
    for path in sorted(bundle.data_dir().rglob("*.ttl")):
        asserted.parse(path)
    closure = same_as_owlrl(asserted)
    assert closure.inconsistencies == ()
    assert len(closure.inferred) > 1000


def test_synthetic_data_closure_equals_owlrl(ontology: Graph) -> None:
    text = io.StringIO()
    generate(SYNTHETIC_TRIPLES, text)
    closure = same_as_owlrl(graph("", ontology).parse(data=text.getvalue(), format="turtle"))
    assert closure.inconsistencies == ()
    assert len(closure.inferred) > 1000


PROPERTY_RULES = {
    "sub-property": ":p rdfs:subPropertyOf :q . :q rdfs:subPropertyOf :r . :a :p :b .",
    "equivalent property": ":p owl:equivalentProperty :q . :a :q :b .",
    "inverse": ":p owl:inverseOf :q . :a :p :b . :c :q :d .",
    "self-inverse": ":p owl:inverseOf :p . :a :p :b .",
    "symmetric": ":p a owl:ObjectProperty , owl:SymmetricProperty . :a :p :b .",
    "transitive": ":p a owl:TransitiveProperty . :a :p :b . :b :p :c . :c :p :d . :d :p :a .",
    "chain of two": ":r owl:propertyChainAxiom ( :p :q ) . :a :p :b . :b :q :c . :b :q :d .",
    "chain of three": ":r owl:propertyChainAxiom ( :p :q :p ) . :a :p :b . :b :q :c . :c :p :d .",
    "chain through inverse and transitive": """
        :t a owl:TransitiveProperty ; owl:inverseOf :ti .
        :r owl:propertyChainAxiom ( :t :s ) . :s rdfs:subPropertyOf :s2 .
        :a :t :b . :c :ti :b . :c :s :d .""",
    "domain and range": """
        :p rdfs:domain :C ; rdfs:range :D . :C rdfs:subClassOf :E . :E rdfs:subClassOf :F .
        :a :p :b . :q rdfs:subPropertyOf :p . :x :q :y .""",
    "equivalent classes": ":C owl:equivalentClass :D . :D rdfs:subClassOf :E . :a a :C . :b a :D .",
    "literal ranges": """
        :p a owl:DatatypeProperty ; rdfs:range xsd:decimal . :p rdfs:subPropertyOf rdfs:label .
        :a :p 3 , 4.5 , "x"@en , "y" .
        :i owl:inverseOf :p . :d rdfs:domain :C . :lit :i :a .""",
    "annotations and vocabulary types on facts": """
        :C a owl:Class ; rdfs:label "C" . :a a owl:NamedIndividual , owl:Thing , :C .
        :C :p :v . :p rdfs:domain :D . :D a owl:Class .""",
    "explicit datatype": ':a a xsd:integer . :b :p "x"^^xsd:string , 1 .',
}


@pytest.mark.parametrize("turtle", PROPERTY_RULES.values(), ids=PROPERTY_RULES.keys())
def test_each_rule_equals_owlrl(turtle: str) -> None:
    closure = same_as_owlrl(graph(turtle))
    assert len(closure.inferred) > 0


INCONSISTENCIES = {
    "disjoint with": (":C owl:disjointWith :D . :E rdfs:subClassOf :D . :a a :C , :E .", 1),
    "disjoint both ways": (":C owl:disjointWith :D . :D owl:disjointWith :C . :a a :C , :D .", 2),
    "all disjoint classes": (
        "[] a owl:AllDisjointClasses ; owl:members ( :C :D :E ) . "
        ":a a :C , :E . :b a :D , :E . :c a :C , :D , :E .",
        5,
    ),
    "disjoint through a range": (
        "[] a owl:AllDisjointClasses ; owl:members ( :C :D ) . "
        ":p rdfs:range :D . :a a :C . :b :p :a .",
        1,
    ),
    "nothing": (":C rdfs:subClassOf owl:Nothing . :a a :C . :b a owl:Nothing .", 2),
    "ill-typed literal": (':a :p "many"^^xsd:integer , "1"^^xsd:integer .', 1),
    "disjoint datatypes": (':p rdfs:range xsd:string . :a :p 3 . :b :p "x"^^xsd:string .', 1),
}


@pytest.mark.parametrize(("turtle", "count"), INCONSISTENCIES.values(), ids=INCONSISTENCIES.keys())
def test_each_inconsistency_equals_owlrl(turtle: str, count: int) -> None:
    assert len(same_as_owlrl(graph(turtle)).inconsistencies) == count


def test_disjoint_hubs_equal_owlrl(ontology: Graph) -> None:
    asserted = graph(
        "<https://w3id.org/aifactories/id/factory/twice> a aif:AIFactory , aif:AIFactoryAntenna ;"
        " aif:usesSupercomputer <https://w3id.org/aifactories/id/factory/twice> .",
        ontology,
    )
    messages = same_as_owlrl(asserted).inconsistencies
    assert (
        "Disjoint classes aif:AIFactory and aif:AIFactoryAntenna have a common individual "
        "factory:twice" in messages
    )
    assert any("aif:Supercomputer and org:Organization" in m for m in messages)


UNSUPPORTED = {
    "functional property": ":p a owl:FunctionalProperty . :a :p :b , :c .",
    "restriction": ":C owl:equivalentClass [ owl:onProperty :p ; owl:someValuesFrom :D ] . "
    ":a :p :b . :b a :D .",
    "same as": ":a owl:sameAs :b . :a :p :c .",
    "range of owl:Class": ":p rdfs:range owl:Class . :a :p :b .",
    "sub-property of a schema property": ":p rdfs:subPropertyOf rdfs:subClassOf . :a :p :b .",
    "irreflexive": ":p a owl:IrreflexiveProperty . :a :p :a .",
}


@pytest.mark.parametrize("turtle", UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_unsupported_schemas_fall_back_to_owlrl(turtle: str) -> None:
    asserted = graph(turtle)
    assert fast_closure(asserted, NAMES) is None
    closure = owl_rl_closure(asserted, NAMES)
    reference = owl_rl_closure(asserted, NAMES, fast=False)
    assert set(closure.inferred) == set(reference.inferred)
    assert closure.inconsistencies == reference.inconsistencies


def test_input_graph_is_left_untouched() -> None:
    asserted = graph(":p owl:inverseOf :q . :a :p :b .")
    before = set(asserted)
    owl_rl_closure(asserted)
    assert set(asserted) == before
    assert Literal("x") not in {o for _s, _p, o in asserted}
