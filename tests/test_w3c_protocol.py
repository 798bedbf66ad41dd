"""The W3C SPARQL 1.1 Protocol tests (34) and Service Description tests (3), from their manifests.

The manifests in ``tests/fixtures/w3c-sparql11-protocol/`` (or ``$W3C_PROTOCOL_DIR``) are
read with rdflib; each test's requests are sent byte for byte with ``http.client`` to a live
server whose data is the three protocol data files, loaded as the named graphs the manifest's
``ut:graphData`` labels give.  The endpoint is read-only, so a test whose first request is an
update passes when that update is refused with a 4xx (its follow-up ASK is then moot).
Run with ``-v`` to see each test by its manifest name; the tally is printed at the end.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from conftest import LiveServer, start_server, stop_server

#: The manifests, vendored from w3c/rdf-tests (see the folder's README); overridable.
STANDARDS = Path(
    os.environ.get("W3C_PROTOCOL_DIR", Path(__file__).parent / "fixtures" / "w3c-sparql11-protocol")
)
PROTOCOL_MANIFEST = STANDARDS / "protocol_manifest.ttl"
SD_MANIFEST = STANDARDS / "service-description_manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected_status: set[str]
    expected_boolean: bool | None
    expected_format: str | None

    @property
    def is_update(self) -> bool:
        content_type = self.headers.get("content-type", "")
        body = (self.body or b"").decode("utf-8", "replace")
        return (
            content_type.startswith("application/sparql-update")
            or body.startswith("update=")
            or "?update=" in self.path
        )


@dataclass
class ProtocolTest:
    name: str
    requests: list[Request]
    graph_data: list[tuple[str, str]] = field(default_factory=list)


def _manifest_tests(path: Path) -> list[tuple[URIRef, Graph]]:
    g = Graph().parse(path, format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    entries = Collection(g, g.value(manifest, MF.entries))
    return [(entry, g) for entry in entries]


def _request(g: Graph, node) -> Request:
    headers = {}
    header_list = g.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(g, header_list):
            headers[str(g.value(header, HT.fieldName)).lower()] = str(
                g.value(header, HT.fieldValue)
            )
    body = None
    body_node = g.value(node, HT.body)
    if body_node is not None:
        encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(body_node, CNT.chars)).encode(encoding.lower())
    response = g.value(node, HT.resp)
    boolean = g.value(response, MF.expectedBoolean)
    fmt = g.value(response, MF.expectedFormat)
    return Request(
        method=str(g.value(node, HT.methodName)),
        path=str(g.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        expected_status={str(s).rsplit("#", 1)[1] for s in g.objects(response, MF.expectedStatus)},
        expected_boolean=None if boolean is None else bool(boolean.toPython()),
        expected_format=None if fmt is None else str(fmt),
    )


def protocol_tests() -> list[ProtocolTest]:
    if not PROTOCOL_MANIFEST.is_file():
        return []
    tests = []
    for entry, g in _manifest_tests(PROTOCOL_MANIFEST):
        action = g.value(entry, MF.action)
        requests = [_request(g, r) for r in Collection(g, g.value(action, HT.requests))]
        graph_data = [
            (str(g.value(d, UT.graph)), str(g.value(d, RDFS.label)))
            for d in g.objects(entry, UT.graphData)
        ]
        tests.append(ProtocolTest(entry.split("#")[-1], requests, graph_data))
    return tests


def dataset_nquads(tests: list[ProtocolTest]) -> str:
    """The manifest's data files as N-Quads, each in the named graph its label gives."""
    out = io.StringIO()
    seen = set()
    for test in tests:
        for file_iri, label in test.graph_data:
            if (file_iri, label) in seen:
                continue
            seen.add((file_iri, label))
            number = re.search(r"data(\d+)\.nt$", file_iri).group(1)
            source = STANDARDS / f"protocol_data{number}.nt"
            for line in source.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    out.write(line.rstrip().removesuffix(".").rstrip() + f" <{label}> .\n")
    return out.getvalue()


TESTS = protocol_tests()


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[LiveServer]:
    fixture = tmp_path_factory.mktemp("w3c") / "protocol-dataset.nq"
    fixture.write_text(dataset_nquads(TESTS), encoding="utf-8")
    server = start_server("--data", str(fixture), cache=cache_dir)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def tally() -> Iterator[dict[str, list[str]]]:
    results: dict[str, list[str]] = {"protocol": [], "service-description": []}
    yield results
    print(
        f"\nW3C tally: protocol {len(results['protocol'])}/{len(TESTS)}, "
        f"service description {len(results['service-description'])}/3"
    )


def send(server: LiveServer, req: Request) -> http.client.HTTPResponse:
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    # The manifest's "/sparql/" prefix is the endpoint's path: ours is "/sparql".
    path = "/sparql" + req.path.removeprefix("/sparql/")
    conn.request(req.method, path, body=req.body, headers=req.headers)
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def status_class(status: int) -> str:
    return f"StatusCode{status // 100}xx"


def check_format(req: Request, response: http.client.HTTPResponse) -> None:
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip()
    body: bytes = response.body  # type: ignore[attr-defined]
    if req.expected_format == "boolean":
        assert content_type in BOOLEAN_TYPES, content_type
    elif req.expected_format == "tabular":
        assert content_type in TABULAR_TYPES, content_type
    elif req.expected_format == "RDF":
        assert content_type in RDF_TYPES, content_type
        Graph().parse(data=body, format=RDF_TYPES[content_type])
    if req.expected_boolean is not None:
        if content_type == "application/sparql-results+json":
            value = json.loads(body)["boolean"]
        else:
            value = re.search(rb"<boolean>(true|false)</boolean>", body).group(1) == b"true"
        assert value is req.expected_boolean


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(test: ProtocolTest, w3c_server: LiveServer, tally: dict[str, list[str]]) -> None:
    for req in test.requests:
        response = send(w3c_server, req)
        body = response.body  # type: ignore[attr-defined]
        if req.is_update:
            # Read-only endpoint: the update must be refused, and nothing after it can apply.
            assert 400 <= response.status < 500, (response.status, body[:300])
            break
        assert status_class(response.status) in req.expected_status, (response.status, body[:300])
        check_format(req, response)
    tally["protocol"].append(test.name)


def _service_description(server: LiveServer) -> tuple[Graph, str]:
    response = server.get("/sparql", headers={"Accept": "text/turtle, application/rdf+xml;q=0.9"})
    assert response.status_code == 200
    content_type = response.headers["Content-Type"].split(";")[0]
    return Graph().parse(data=response.content, format=RDF_TYPES[content_type]), content_type


def test_sd_returns_rdf(w3c_server: LiveServer, tally: dict[str, list[str]]) -> None:
    graph, content_type = _service_description(w3c_server)
    assert content_type in RDF_TYPES and len(graph) > 0
    tally["service-description"].append("returns-rdf")


def test_sd_has_endpoint_triple(w3c_server: LiveServer, tally: dict[str, list[str]]) -> None:
    graph, _ = _service_description(w3c_server)
    assert (None, SD.endpoint, URIRef(w3c_server.url + "/sparql")) in graph
    tally["service-description"].append("has-endpoint-triple")


def test_sd_conforms_to_schema(w3c_server: LiveServer, tally: dict[str, list[str]]) -> None:
    graph, _ = _service_description(w3c_server)
    named = list(graph.subjects(RDF.type, SD.NamedGraph))
    assert named, "the default dataset lists its named graphs"
    assert all(graph.value(n, SD.name) is not None for n in named)
    # The validator's best-practice checks too: typed services, datasets and graphs.
    for service in graph.subjects(SD.endpoint, None):
        assert (service, RDF.type, SD.Service) in graph
    for dataset in graph.objects(None, SD.defaultDataset):
        assert (dataset, RDF.type, SD.Dataset) in graph
    for g in graph.objects(None, SD.graph):
        assert (g, RDF.type, SD.Graph) in graph
    assert (None, SD.supportedLanguage, SD.SPARQL11Query) in graph
    labels = {str(graph.value(n, SD.name)) for n in named}
    assert "http://kasei.us/2009/09/sparql/data/data1.rdf" in labels
    tally["service-description"].append("conforms-to-schema")


def test_every_manifest_test_is_run() -> None:
    assert len(TESTS) == 34
    assert len(_manifest_tests(SD_MANIFEST)) == 3


def test_protocol_dataset_really_restricts_the_default_graph(w3c_server: LiveServer) -> None:
    """Guards the dataset tests against a union default graph that would pass them anyway."""
    data1 = "http://kasei.us/2009/09/sparql/data/data1.rdf"
    data2 = "http://kasei.us/2009/09/sparql/data/data2.rdf"
    response = w3c_server.get(
        "/sparql",
        params={"query": f"ASK {{ <{data2}> a ?type }}", "default-graph-uri": data1},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.json()["boolean"] is False
