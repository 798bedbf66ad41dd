"""The ontology header carries every FOOPS! metadata item (OM1-OM5, FIND1, VER1, PURL1).

One test per item, so a report names exactly what is missing.  Values are read from the released
ontology (the edit source with its version IRI stamped), which is what FOOPS! would fetch.
"""

from __future__ import annotations

import datetime
import re

import pyoxigraph as ox
import pytest

from aifactories.ontology_release import VERSION_PATTERN, build_release

ONTOLOGY_IRI = "https://w3id.org/aifactories/ontology"
NAMESPACE = ONTOLOGY_IRI + "#"
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
DCTERMS = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"
OWL = "http://www.w3.org/2002/07/owl#"
BIBO_STATUS = "http://purl.org/ontology/bibo/status"


@pytest.fixture(scope="module")
def header() -> dict[str, list[ox.NamedNode | ox.Literal]]:
    """Predicate IRI -> values, for the triples about the ontology."""
    release = build_release()
    values: dict[str, list[ox.NamedNode | ox.Literal]] = {}
    for triple in release.triples:
        if triple.subject == ox.NamedNode(release.ontology_iri):
            values.setdefault(triple.predicate.value, []).append(triple.object)
    return values


def literals(header: dict, predicate: str) -> list[ox.Literal]:
    return [v for v in header.get(predicate, []) if isinstance(v, ox.Literal)]


def test_ontology_iri_is_the_persistent_w3id_iri() -> None:
    assert build_release().ontology_iri == ONTOLOGY_IRI


@pytest.mark.parametrize(
    "item", ["title", "description", "creator", "contributor", "publisher", "bibliographicCitation"]
)
def test_header_has_dcterms_item(header: dict, item: str) -> None:
    assert [v.value for v in literals(header, DCTERMS + item) if v.value.strip()]


@pytest.mark.parametrize("item", ["title", "description"])
def test_title_and_description_in_english_and_french(header: dict, item: str) -> None:
    assert {v.language for v in literals(header, DCTERMS + item)} >= {"en", "fr"}


def test_license_is_cc_by_4_as_an_iri(header: dict) -> None:
    assert header[DCTERMS + "license"] == [ox.NamedNode(CC_BY_4)]


@pytest.mark.parametrize("item", ["created", "issued", "modified"])
def test_dates_are_xsd_dates(header: dict, item: str) -> None:
    (value,) = literals(header, DCTERMS + item)
    assert value.datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
    datetime.date.fromisoformat(value.value)


def test_dates_are_in_order(header: dict) -> None:
    created, issued, modified = (
        datetime.date.fromisoformat(literals(header, DCTERMS + item)[0].value)
        for item in ("created", "issued", "modified")
    )
    assert created <= issued <= modified


def test_version_info_is_a_release_number(header: dict) -> None:
    (value,) = literals(header, OWL + "versionInfo")
    assert VERSION_PATTERN.fullmatch(value.value)


def test_version_iri_is_stamped_from_version_info(header: dict) -> None:
    (version,) = literals(header, OWL + "versionInfo")
    assert header[OWL + "versionIRI"] == [ox.NamedNode(f"{ONTOLOGY_IRI}/{version.value}")]


def test_citation_names_the_current_version(header: dict) -> None:
    (version,) = literals(header, OWL + "versionInfo")
    (citation,) = literals(header, DCTERMS + "bibliographicCitation")
    assert re.search(rf"\b{re.escape(version.value)}\b", citation.value)


def test_preferred_prefix_and_namespace(header: dict) -> None:
    assert [v.value for v in literals(header, VANN + "preferredNamespacePrefix")] == ["aif"]
    assert [v.value for v in literals(header, VANN + "preferredNamespaceUri")] == [NAMESPACE]


def test_status_is_a_bibo_status(header: dict) -> None:
    (status,) = header["http://purl.org/ontology/bibo/status"]
    assert isinstance(status, ox.NamedNode)
    assert status.value.startswith(BIBO_STATUS + "/")


def test_every_term_of_ours_is_in_the_preferred_namespace() -> None:
    """Terms in the ontology's own IRI space use the ``aif:`` namespace, nothing else."""
    subjects = {
        t.subject.value for t in build_release().triples if isinstance(t.subject, ox.NamedNode)
    }
    ours = {s for s in subjects if s.startswith(ONTOLOGY_IRI) and s != ONTOLOGY_IRI}
    assert ours
    assert {s for s in ours if not s.startswith(NAMESPACE)} == set()
