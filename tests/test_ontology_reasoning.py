"""A DL reasoner and a second OWL parser agree that the ontology is sound.

* HermiT (bundled with owlready2, which reads RDF/XML and N-Triples, not Turtle) classifies the
  released RDF/XML: consistent, and no class equivalent to ``owl:Nothing``.  It runs with
  ``--ignoreUnsupportedDatatypes`` as Protégé's HermiT plug-in does: ``xsd:date`` (our date
  ranges) is outside the OWL 2 datatype map, and plain HermiT refuses any ontology using it.
* HermiT on the ontology plus the bundled data: the facts do not contradict the axioms.
* py-horned-owl parses the release and its profile checker puts it in OWL 2 DL.

Each reasoner test has a negative twin, so a reasoner that silently did nothing would fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from aifactories import bundle
from aifactories.loading import collect_files
from aifactories.ontology_release import Release, build_release

owlready2 = pytest.importorskip("owlready2")

AIF = "https://w3id.org/aifactories/ontology#"
OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
#: An instance typed with two classes the ontology declares disjoint.
CONTRADICTION = f"""
<https://w3id.org/aifactories/id/factory/test> a <{AIF}AIFactory> , <{AIF}AIFactoryAntenna> .
"""
#: A class below two disjoint classes: unsatisfiable, though the ontology stays consistent.
EMPTY_CLASS = f"""
<{AIF}Impossible> a <http://www.w3.org/2002/07/owl#Class> ;
    <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{AIF}AIFactory> , <{AIF}AIFactoryAntenna> .
"""


def rdfxml(release: Release, *extra: ox.Triple) -> bytes:
    """The release (plus extra triples) as RDF/XML with the source's prefixes.

    owlready2 sniffs ``<Ontology xmlns=`` as OWL/XML, so the ``owl:`` prefix must be declared.
    """
    triples = [*release.triples, *extra]
    return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=dict(release.prefixes))


def turtle_triples(text: str) -> list[ox.Triple]:
    return [quad.triple for quad in ox.parse(text, format=ox.RdfFormat.TURTLE)]


def hermit(path: Path):
    """Load ``path`` into a fresh owlready2 world and classify it with HermiT."""
    if shutil.which("java") is None:
        pytest.skip("HermiT needs a Java runtime: apt-get install default-jre-headless")
    world = owlready2.World()
    ontology = world.get_ontology(path.as_uri()).load()
    with ontology:
        owlready2.sync_reasoner_hermit(world, debug=0, ignore_unsupported_datatypes=True)
    return world


def unsatisfiable(world) -> list[str]:
    """Named classes HermiT found equivalent to ``owl:Nothing`` (other than itself)."""
    return [c.iri for c in world.inconsistent_classes() if c.iri != OWL_NOTHING]


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "ontology.owl"
    path.write_bytes(content)
    return path


def test_hermit_finds_every_class_satisfiable(tmp_path: Path) -> None:
    world = hermit(write(tmp_path, build_release().serialize("rdfxml")))
    assert unsatisfiable(world) == []
    assert len(list(world.classes())) >= 24


def test_hermit_reports_an_unsatisfiable_class(tmp_path: Path) -> None:
    release = build_release()
    world = hermit(write(tmp_path, rdfxml(release, *turtle_triples(EMPTY_CLASS))))
    assert unsatisfiable(world) == [AIF + "Impossible"]


def test_hermit_finds_ontology_and_data_consistent(tmp_path: Path) -> None:
    release = build_release()
    data = [
        quad.triple
        for path in collect_files([bundle.data_dir()])
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    ]
    world = hermit(write(tmp_path, rdfxml(release, *data)))
    assert unsatisfiable(world) == []


def test_hermit_reports_contradicting_data(tmp_path: Path) -> None:
    release = build_release()
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        hermit(write(tmp_path, rdfxml(release, *turtle_triples(CONTRADICTION))))


def test_py_horned_owl_parses_every_rdf_release_form() -> None:
    pyhornedowl = pytest.importorskip("pyhornedowl")
    release = build_release()
    expected = len(
        pyhornedowl.open_ontology_from_string(
            release.serialize("rdfxml").decode(), "rdf"
        ).get_axioms()
    )
    assert expected > 500
    ofn = pyhornedowl.open_ontology_from_string(release.serialize("ofn").decode(), "ofn")
    assert len(ofn.get_axioms()) == expected
    assert str(ofn.get_version_iri()) == release.version_iri


def test_py_horned_owl_profile_checker_puts_it_in_owl2_dl() -> None:
    pyhornedowl = pytest.importorskip("pyhornedowl")
    from pyhornedowl import profile

    ontology = pyhornedowl.open_ontology(str(bundle.ontology_file()))
    report = profile.check_profile(ontology, "DL")
    assert report.violations == []
    assert report.conformant


def test_py_horned_owl_profile_checker_reports_a_dl_violation(tmp_path: Path) -> None:
    pyhornedowl = pytest.importorskip("pyhornedowl")
    from pyhornedowl import profile

    broken = tmp_path / "broken.ttl"
    broken.write_text(
        bundle.ontology_file().read_text(encoding="utf-8")
        # aif:locatedIn is transitive, so not simple: OWL 2 DL forbids making it functional.
        + f"\n<{AIF}locatedIn> a <http://www.w3.org/2002/07/owl#FunctionalProperty> .\n",
        encoding="utf-8",
    )
    report = profile.check_profile(pyhornedowl.open_ontology(str(broken)), "DL")
    assert not report.conformant
