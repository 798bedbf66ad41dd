"""What harvesters get: the DCAT-AP 3.0.1 catalogue (checked with the official shapes), the VoID
description, the dumps with their sizes and checksums, ETags, robots.txt and the sitemap.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace

DCAT_AP = Path(__file__).resolve().parents[2] / "shared" / "standards" / "dcat-ap-3.0.1"
BASE = "https://w3id.org/aifactories/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
SH = Namespace("http://www.w3.org/ns/shacl#")


def parse(body: bytes, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(body, format=fmt)]


def values(found: list[ox.Triple], subject: str, predicate: str) -> list[ox.Term]:
    return [
        t.object for t in found if t.subject.value == subject and t.predicate.value == predicate
    ]


def dcat_ap_shapes() -> Graph:
    """The official shapes: the consolidated graph plus the range checks it refers to.

    The 3.0.1 release names five ``sh:property`` shapes that neither file defines (pySHACL
    refuses such a graph); those dangling references are dropped, nothing else is changed.
    """
    if not (DCAT_AP / "shacl_dcat-ap-SHACL.ttl").is_file():
        pytest.skip(f"DCAT-AP 3.0.1 shapes not found at {DCAT_AP} (../shared beside the checkout)")
    shapes = Graph().parse(DCAT_AP / "shacl_dcat-ap-SHACL.ttl")
    shapes.parse(DCAT_AP / "shacl_ranges.ttl")
    for shape, prop in list(shapes.subject_objects(SH.property)):
        if (prop, SH.path, None) not in shapes:
            shapes.remove((shape, SH.property, prop))
    return shapes


def test_catalogue_conforms_to_dcat_ap_3_0_1(bundled_server) -> None:
    from pyshacl import validate

    response = bundled_server.get("/catalog", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    catalogue = Graph().parse(data=response.text, format="turtle")
    conforms, _, report = validate(catalogue, shacl_graph=dcat_ap_shapes())
    assert conforms, report


def test_catalogue_has_dataset_distributions_service_and_licence(bundled_server) -> None:
    found = parse(bundled_server.get("/catalog.ttl").content)
    dataset = BASE + "dataset"
    assert {v.value for v in values(found, BASE + "catalog", DCAT + "dataset")} == {dataset}
    distributions = [d.value for d in values(found, dataset, DCAT + "distribution")]
    assert len(distributions) == 5  # four dumps and the SPARQL endpoint
    licence = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
    assert licence in {v.value for v in values(found, dataset, "http://purl.org/dc/terms/license")}
    theme = "http://publications.europa.eu/resource/authority/data-theme/TECH"
    assert theme in {v.value for v in values(found, dataset, DCAT + "theme")}
    services = [t.subject.value for t in found if t.object.value == DCAT + "DataService"]
    assert values(found, services[0], DCAT + "endpointURL")[0].value == BASE + "sparql"


def test_every_dump_matches_its_size_and_checksum(bundled_server) -> None:
    found = parse(bundled_server.get("/catalog.ttl").content)
    urls = [t.object.value for t in found if t.predicate.value == DCAT + "downloadURL"]
    assert len(urls) == 4
    for url in urls:
        (distribution,) = [
            t.subject.value
            for t in found
            if t.predicate.value == DCAT + "downloadURL" and t.object.value == url
        ]
        body = bundled_server.get("/" + url[len(BASE) :]).content
        assert int(values(found, distribution, DCAT + "byteSize")[0].value) == len(body)
        (checksum,) = values(found, distribution, SPDX + "checksum")
        digest = [
            t.object.value for t in found if t.subject == checksum and "Value" in t.predicate.value
        ]
        assert digest == [hashlib.sha256(body).hexdigest()]


def test_void_triples_equal_the_dump(bundled_server) -> None:
    found = parse(
        bundled_server.get("/.well-known/void", headers={"Accept": "text/turtle"}).content
    )
    (declared,) = values(found, BASE + "dataset", VOID + "triples")
    dump = gzip.decompress(bundled_server.get("/download/aifactories.nt.gz").content)
    assert int(declared.value) == len(parse(dump, ox.RdfFormat.N_TRIPLES))


def test_void_describes_access_partitions_and_links(bundled_server) -> None:
    found = parse(bundled_server.get("/dataset", headers={"Accept": "text/turtle"}).content)
    dataset = BASE + "dataset"
    assert values(found, dataset, VOID + "sparqlEndpoint")[0].value == BASE + "sparql"
    assert values(found, dataset, VOID + "uriSpace")[0].value == BASE + "id/"
    assert len(values(found, dataset, VOID + "dataDump")) == 3
    assert int(values(found, dataset, VOID + "entities")[0].value) > 100
    classes = {
        t.object.value for t in found if t.predicate.value == VOID + "class"
    }  # class partitions
    assert BASE + "ontology#AIFactory" in classes
    assert BASE + "ontology#" in {v.value for v in values(found, dataset, VOID + "vocabulary")}
    linksets = [t.subject.value for t in found if t.object.value == VOID + "Linkset"]
    targets = {v.value for ls in linksets for v in values(found, ls, VOID + "objectsTarget")}
    assert "http://publications.europa.eu/resource/authority/country" in targets


def test_trig_dump_holds_the_inferred_graph(bundled_server) -> None:
    body = bundled_server.get("/download/aifactories-with-inferences.trig").content
    graphs = {q.graph_name.value for q in ox.parse(body, format=ox.RdfFormat.TRIG)}
    assert BASE + "graph/inferred" in graphs


@pytest.mark.parametrize(
    "path", ["/dataset", "/.well-known/void", "/catalog", "/download/aifactories.ttl"]
)
def test_harvested_documents_revalidate_with_304(bundled_server, path) -> None:
    first = bundled_server.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = bundled_server.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_dump_is_404(bundled_server) -> None:
    assert bundled_server.get("/download/everything.zip").status_code == 404


def test_robots_points_to_the_sitemap(bundled_server) -> None:
    robots = bundled_server.get("/robots.txt").text
    assert f"Sitemap: {bundled_server.url}/sitemap.xml" in robots


def test_sitemap_lists_pages_that_exist(bundled_server) -> None:
    sitemap = bundled_server.get("/sitemap.xml").text
    assert f"<loc>{bundled_server.url}/id/country/fi.html</loc>" in sitemap
    assert bundled_server.get("/id/country/fi.html").status_code == 200
