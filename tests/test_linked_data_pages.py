"""The pages around the resources, on the edge-case fixture: landing counts and map, indexes,
the factories table and its server-side sort, country pages, and released ontology versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifactories import bundle, create_app
from test_linked_data import MINI, close, open_mini


@pytest.fixture(scope="module")
def pages_client(cache_dir: Path) -> Iterator:
    graph = open_mini(cache_dir, MINI)
    yield create_app({"TESTING": True}, graph=graph).test_client()
    close(graph)


def test_landing_counts_and_draws_hubs_at_their_coordinates(pages_client) -> None:
    page = pages_client.get("/").get_data(as_text=True)
    assert re.search(r"<b>1</b>AI Factories", page)
    assert re.search(r'<a href="/id/factory/alpha"><circle class="factory"', page)
    assert '<a href="/id/antenna/beta">Beta Antenna</a>' in page  # listed: no coordinates


def test_landing_speaks_french_on_request(pages_client) -> None:
    page = pages_client.get("/?lang=fr").get_data(as_text=True)
    assert "Graphe de connaissances des AI Factories" in page
    assert 'href="?lang=en"' in page


def test_kind_index_lists_resources_by_label(pages_client) -> None:
    page = pages_client.get("/id/factory/").get_data(as_text=True)
    assert '<a href="/id/factory/alpha">Alpha AI Factory</a>' in page
    assert pages_client.get("/id/nothing/").status_code == 404


def test_kinds_index_counts_each_kind(pages_client) -> None:
    page = pages_client.get("/id/").get_data(as_text=True)
    assert '<a href="/id/country/">country</a></td><td>1</td>' in page


def test_factories_table_sorts_on_the_server(pages_client) -> None:
    ascending = pages_client.get("/factories?sort=type").get_data(as_text=True)
    descending = pages_client.get("/factories?sort=type&dir=desc").get_data(as_text=True)
    assert ascending.index("Beta Antenna") < ascending.index("Alpha AI Factory")
    assert descending.index("Alpha AI Factory") < descending.index("Beta Antenna")
    assert pages_client.get("/factories?sort=colour").status_code == 400


def test_country_page_lists_what_is_in_it(pages_client) -> None:
    page = pages_client.get("/id/country/xa.html").get_data(as_text=True)
    assert "In this country" in page
    assert '<a href="/id/factory/alpha">Alpha AI Factory</a></td><td>AI Factory</td>' in page


def test_countries_index_counts_hubs(pages_client) -> None:
    page = pages_client.get("/countries").get_data(as_text=True)
    assert '<a href="/id/country/xa">Exampleland</a></td><td>1</td><td>1</td>' in page


def test_released_ontology_versions_resolve(
    pages_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "bundle"
    release = root / "ontology" / "releases" / "0.0.9"
    release.mkdir(parents=True)
    source = bundle.ontology_file().read_text()
    (root / "ontology" / "aifactories.ttl").write_text(source)
    older = re.sub(r'owl:versionInfo "[0-9.]+"', 'owl:versionInfo "0.0.9"', source)
    older = re.sub(r"(aifactories/ontology/)[0-9.]+>", r"\g<1>0.0.9>", older)
    (release / "aifactories.ttl").write_text(older)
    monkeypatch.setattr(bundle, "root", lambda: root)
    response = pages_client.get("/ontology/0.0.9.ttl")
    assert response.status_code == 200
    assert "<https://w3id.org/aifactories/ontology/0.0.9>" in response.get_data(as_text=True)
    assert "0.0.9" in pages_client.get("/ontology.html").get_data(as_text=True)  # listed


def test_ontology_page_shows_the_class_hierarchy(pages_client) -> None:
    page = pages_client.get("/ontology.html").get_data(as_text=True)
    hierarchy = re.search(r'<div class="hierarchy">(.*?)</div>', page, re.S)
    assert hierarchy is not None
    nested = re.sub(r"\s+", " ", hierarchy.group(1))
    assert re.search(r'href="#AIHub">[^<]+</a><ul><li><a href="#AIFactory">', nested)
    assert "Spatial thing" in nested  # a reused superclass, by its label
