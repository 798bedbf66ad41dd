"""The released forms are generated from the one edit source, and say the same thing.

``aifactories export --ontology --format F`` writes each form; each is parsed back (by rdflib, a
parser independent of the Oxigraph serialiser that wrote it) and compared, up to blank-node
names, with the others and with the source.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from aifactories import bundle
from aifactories.errors import InputError
from aifactories.ontology_release import RDF_FORMATS, build_release
from conftest import run_cli

ONTOLOGY = rdflib.URIRef("https://w3id.org/aifactories/ontology")
RDFLIB_FORMATS = {"turtle": "turtle", "rdfxml": "xml", "jsonld": "json-ld", "ntriples": "nt"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, rdflib.Graph]:
    """Each format as written by the CLI, parsed back."""
    out = tmp_path_factory.mktemp("release")
    graphs = {}
    for name in RDF_FORMATS:
        path = out / f"aifactories.{name}"
        result = run_cli("export", "--ontology", "--format", name, "-o", str(path))
        assert result.returncode == 0, result.stderr
        with warnings.catch_warnings():
            # rdflib's JSON-LD parser still builds a ConjunctiveGraph (deprecated) internally.
            warnings.simplefilter("ignore", DeprecationWarning)
            graphs[name] = rdflib.Graph().parse(data=path.read_bytes(), format=RDFLIB_FORMATS[name])
    return graphs


@pytest.mark.parametrize("name", list(RDF_FORMATS))
def test_export_stamps_the_version_iri(exported: dict[str, rdflib.Graph], name: str) -> None:
    version = exported[name].value(ONTOLOGY, rdflib.OWL.versionInfo)
    assert list(exported[name].objects(ONTOLOGY, rdflib.OWL.versionIRI)) == [
        rdflib.URIRef(f"{ONTOLOGY}/{version}")
    ]


@pytest.mark.parametrize("name", [n for n in RDF_FORMATS if n != "turtle"])
def test_every_form_has_the_same_triples_as_turtle(
    exported: dict[str, rdflib.Graph], name: str
) -> None:
    assert len(exported[name]) == len(exported["turtle"])
    assert isomorphic(exported[name], exported["turtle"])


def test_release_is_the_source_with_only_the_version_iri_stamped(
    exported: dict[str, rdflib.Graph],
) -> None:
    source = rdflib.Graph().parse(bundle.ontology_file(), format="turtle")
    released = exported["turtle"]
    for graph in (source, released):
        graph.remove((ONTOLOGY, rdflib.OWL.versionIRI, None))
    assert isomorphic(source, released)


def test_release_stamps_a_source_without_version_iri(tmp_path: Path) -> None:
    source = tmp_path / "onto.ttl"
    source.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        '<https://example.org/o> a owl:Ontology ; owl:versionInfo "2.3.4" .\n',
        encoding="utf-8",
    )
    release = build_release(source)
    graph = rdflib.Graph().parse(data=release.serialize("ntriples"), format="nt")
    assert list(graph.objects(rdflib.URIRef("https://example.org/o"), rdflib.OWL.versionIRI)) == [
        rdflib.URIRef("https://example.org/o/2.3.4")
    ]


def test_stale_version_iri_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "onto.ttl"
    source.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        '<https://example.org/o> a owl:Ontology ; owl:versionInfo "2.3.4" ;\n'
        "    owl:versionIRI <https://example.org/o/0.0.1> .\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="disagrees with owl:versionInfo"):
        build_release(source)


@pytest.mark.parametrize(
    "body",
    [
        '<https://example.org/o> a owl:Ontology ; owl:versionInfo "draft" .',
        "<https://example.org/o> a owl:Ontology .",
        '[] a owl:Ontology ; owl:versionInfo "1.0.0" .',
        '<https://example.org/p> owl:versionInfo "1.0.0" .',
    ],
    ids=["version-not-x.y.z", "no-version", "anonymous-ontology", "no-ontology"],
)
def test_unreleasable_source_is_an_input_error(tmp_path: Path, body: str) -> None:
    source = tmp_path / "onto.ttl"
    source.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n" + body, encoding="utf-8")
    with pytest.raises(InputError):
        build_release(source)


@pytest.mark.parametrize("name", ["onto.owl", "onto.trig"])
def test_edit_source_must_be_turtle_or_ntriples(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    source.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="edit source must be Turtle"):
        build_release(source)


def test_unknown_release_format_is_an_input_error() -> None:
    with pytest.raises(InputError):
        build_release().serialize("trig")


def test_export_writes_owl_functional_syntax(tmp_path: Path) -> None:
    pytest.importorskip("pyhornedowl")
    path = tmp_path / "aifactories.ofn"
    result = run_cli("export", "--ontology", "--format", "ofn", "-o", str(path))
    assert result.returncode == 0, result.stderr
    release = build_release()
    assert path.read_text(encoding="utf-8").startswith(
        f"Ontology(<{release.ontology_iri}> <{release.version_iri}>"
    )


def test_functional_syntax_of_the_whole_graph_is_a_one_line_error() -> None:
    result = run_cli("export", "--format", "ofn")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "aifactories: error: --format ofn (OWL functional syntax) is for the ontology: add --ontology"
    )
