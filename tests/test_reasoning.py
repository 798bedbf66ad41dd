"""OWL RL reasoning: what the closure keeps, where it goes, and inconsistencies as failures."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef

from aifactories import snapshot
from aifactories.config import DEFAULT_BASE_IRI, load_settings
from aifactories.prefixes import prefixes
from aifactories.reasoning import is_tautology, owl_rl_closure
from conftest import FIXTURES, run_cli

AIF = Namespace(DEFAULT_BASE_IRI + "ontology#")
ID = Namespace(DEFAULT_BASE_IRI + "id/")
BASE = FIXTURES / "shapes" / "base.ttl"
INFERRED_GRAPH = DEFAULT_BASE_IRI + "graph/inferred"


def with_ontology(ontology: Graph, turtle: str) -> Graph:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    return graph.parse(data=f"@prefix aif: <{AIF}> .\n{turtle}", format="turtle")


def test_scm_cls_tautologies_are_not_kept(ontology: Graph) -> None:
    """Regression: owlrl's scm-cls rule adds ``owl:Nothing rdfs:subClassOf C`` and
    ``C rdfs:subClassOf owl:Thing`` for every class; read backwards they looked like
    "aif:AIGigafactory rdfs:subClassOf owl:Nothing".  They are true of any class and are dropped."""
    inferred = owl_rl_closure(ontology).inferred
    assert (OWL.Nothing, RDFS.subClassOf, AIF.AIGigafactory) not in inferred
    assert (AIF.EUMemberState, RDFS.subClassOf, OWL.Thing) not in inferred
    assert not list(inferred.triples((None, RDFS.domain, OWL.Thing)))
    assert not list(inferred.triples((OWL.Nothing, None, None)))
    assert (OWL.Thing, RDF.type, OWL.Class) not in inferred


def test_ontology_has_no_unsatisfiable_class(ontology: Graph) -> None:
    inferred = owl_rl_closure(ontology).inferred
    assert not list(inferred.triples((None, RDFS.subClassOf, OWL.Nothing)))


def test_an_unsatisfiable_class_is_not_a_tautology() -> None:
    assert not is_tautology(AIF.AIGigafactory, RDFS.subClassOf, OWL.Nothing)
    assert is_tautology(OWL.Nothing, RDFS.subClassOf, AIF.AIGigafactory)


def test_closure_keeps_real_schema_inferences(ontology: Graph) -> None:
    inferred = owl_rl_closure(ontology).inferred
    assert (AIF.AIFactory, RDFS.subClassOf, AIF.Facility) in inferred


def test_disjoint_hub_kinds_are_inconsistent(ontology: Graph) -> None:
    graph = with_ontology(
        ontology, f"<{ID['factory/twice']}> a aif:AIFactory , aif:AIFactoryAntenna ."
    )
    messages = owl_rl_closure(graph, prefixes(DEFAULT_BASE_IRI)).inconsistencies
    assert messages == (
        "Disjoint classes aif:AIFactory and aif:AIFactoryAntenna "
        "have a common individual factory:twice",
    )


def test_disjointness_is_checked_through_subclasses(ontology: Graph) -> None:
    """An AI Factory is an org:Organization (via aif:AIHub), which is disjoint with machines."""
    graph = with_ontology(
        ontology, f"<{ID['factory/machine']}> a aif:AIFactory , aif:Supercomputer ."
    )
    messages = owl_rl_closure(graph, prefixes(DEFAULT_BASE_IRI)).inconsistencies
    assert any("aif:Supercomputer and org:Organization" in m for m in messages)


def test_consistent_data_has_no_inconsistencies(ontology: Graph) -> None:
    graph = with_ontology(ontology, "")
    graph.parse(BASE)
    assert owl_rl_closure(graph).inconsistencies == ()


def test_cli_validate_fails_on_disjoint_types(tmp_path: Path, cache: list[str]) -> None:
    data = tmp_path / "twice.ttl"
    data.write_text(f"<{ID['factory/twice']}> a <{AIF.AIFactory}> , <{AIF.AIFactoryAntenna}> .\n")
    result = run_cli("validate", str(data), *cache)
    assert result.returncode == 1
    assert (
        "OWL RL inconsistency: Disjoint classes aif:AIFactory and aif:AIFactoryAntenna "
        "have a common individual factory:twice"
    ) in result.stdout.splitlines()
    assert "1 OWL RL inconsistency)" in result.stdout


def test_cli_serve_refuses_inconsistent_data(tmp_path: Path, cache: list[str]) -> None:
    data = tmp_path / "twice.ttl"
    data.write_text(f"<{ID['factory/twice']}> a <{AIF.AIFactory}> , <{AIF.AIFactoryAntenna}> .\n")
    result = run_cli("serve", "--port", "0", "--data", str(data), *cache)
    assert result.returncode == 2
    assert "OWL RL inconsistency" in result.stderr


def inferred_quads(nquads: str) -> set[tuple[str, str, str, str]]:
    return {
        (q.subject.value, q.predicate.value, q.object.value, q.graph_name.value)
        for q in ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)
        if not isinstance(q.graph_name, ox.DefaultGraph)
    }


def test_inferred_triples_live_in_their_own_graph(cache: list[str]) -> None:
    result = run_cli("export", "--format", "nquads", "--inferred", "--data", str(BASE), *cache)
    quads = inferred_quads(result.stdout)
    inverse = (str(ID["factory/lumi-aif"]), str(AIF.linkedAntenna), str(ID["antenna/aifa-lat"]))
    assert (*inverse, INFERRED_GRAPH) in quads
    assert not [q for q in quads if q[:3] == inverse and q[3] != INFERRED_GRAPH]


def test_property_chain_gives_uses_supercomputer(cache: list[str]) -> None:
    result = run_cli("export", "--format", "nquads", "--inferred", "--data", str(BASE), *cache)
    chain = (str(ID["factory/lumi-aif"]), str(AIF.usesSupercomputer), str(ID["supercomputer/lumi"]))
    assert (*chain, INFERRED_GRAPH) in inferred_quads(result.stdout)


def test_closure_is_cached_by_content_hash(tmp_path: Path) -> None:
    settings = load_settings(
        {"cache_dir": str(tmp_path / "cache"), "data": [str(BASE)]}, environ={}
    )
    first = snapshot.build(settings)
    again = snapshot.build(settings)
    assert not first.from_cache and again.from_cache
    assert again.version == first.version
    assert again.graphs[INFERRED_GRAPH] == first.graphs[INFERRED_GRAPH] > 0


def test_changed_data_is_a_new_version(tmp_path: Path) -> None:
    copy = tmp_path / "base.ttl"
    copy.write_bytes(BASE.read_bytes())
    settings = load_settings(
        {"cache_dir": str(tmp_path / "cache"), "data": [str(copy)]}, environ={}
    )
    before = snapshot.read_inputs(settings).version(settings)
    copy.write_bytes(BASE.read_bytes() + b"\n# a comment changes the bytes\n")
    assert snapshot.read_inputs(settings).version(settings) != before


def test_no_type_owl_thing_in_inferred_graph(ontology: Graph) -> None:
    graph = with_ontology(ontology, "")
    graph.parse(BASE)
    inferred = owl_rl_closure(graph).inferred
    assert not list(inferred.triples((None, RDF.type, OWL.Thing)))
    assert (URIRef(ID["factory/lumi-aif"]), RDF.type, AIF.AIHub) in inferred
