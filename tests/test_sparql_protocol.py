"""The SPARQL 1.1 Protocol over real HTTP: methods, content types, limits, errors, read-only."""

from __future__ import annotations

import re

import requests

from conftest import LiveServer

SELECT = "SELECT ?s WHERE { ?s a <http://example.org/Thing> } ORDER BY ?s"
THINGS = [
    "http://example.org/alpha",
    "http://example.org/beta",
    "http://example.org/gamma",
]
JSON = "application/sparql-results+json"


def _subjects(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [b["s"]["value"] for b in response.json()["results"]["bindings"]]


def test_get_with_query_parameter(live_server: LiveServer) -> None:
    response = live_server.get("/sparql", params={"query": SELECT}, headers={"Accept": JSON})
    assert _subjects(response) == THINGS


def test_post_form(live_server: LiveServer) -> None:
    response = requests.post(
        live_server.url + "/sparql", data={"query": SELECT}, headers={"Accept": JSON}, timeout=30
    )
    assert _subjects(response) == THINGS


def test_post_form_takes_dataset_parameters_from_the_url(live_server: LiveServer) -> None:
    response = requests.post(
        live_server.url + "/sparql?default-graph-uri=http://example.org/no-such-graph",
        data={"query": SELECT},
        headers={"Accept": JSON},
        timeout=30,
    )
    assert _subjects(response) == []


def test_post_direct(live_server: LiveServer) -> None:
    response = requests.post(
        live_server.url + "/sparql",
        data=SELECT.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": JSON},
        timeout=30,
    )
    assert _subjects(response) == THINGS


def test_default_graph_uri_selects_a_local_graph(live_server: LiveServer) -> None:
    response = live_server.get(
        "/sparql",
        params={"query": SELECT, "default-graph-uri": "https://w3id.org/aifactories/graph/data"},
        headers={"Accept": JSON},
    )
    assert _subjects(response) == THINGS


def test_other_methods_are_405_with_allow(live_server: LiveServer) -> None:
    response = requests.put(live_server.url + "/sparql", data="ASK {}", timeout=30)
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_post_without_content_type_is_415(live_server: LiveServer) -> None:
    response = requests.post(live_server.url + "/sparql", data=b"ASK {}", timeout=30)
    assert response.status_code == 415


def test_post_with_wrong_content_type_is_415(live_server: LiveServer) -> None:
    response = requests.post(
        live_server.url + "/sparql",
        data=b"ASK {}",
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    assert response.status_code == 415


def test_body_over_the_limit_is_413(live_server: LiveServer) -> None:
    query = "ASK {}" + " " * 1_100_000
    response = requests.post(
        live_server.url + "/sparql",
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 413


def test_malformed_query_is_400_with_line_and_column(live_server: LiveServer) -> None:
    response = live_server.get("/sparql", params={"query": "SELECT *\nWHERE {\n  ?s ?p }"})
    assert response.status_code == 400
    assert re.search(r"\b3:\d+", response.text), response.text


def test_error_position_survives_predeclared_prefixes(live_server: LiveServer) -> None:
    query = "SELECT ?l\nWHERE {\n  ?s rdfs:label ?l ?oops }"
    response = live_server.get("/sparql", params={"query": query})
    assert response.status_code == 400
    assert re.search(r"\b3:\d+", response.text), response.text


def test_several_query_parameters_are_400(live_server: LiveServer) -> None:
    response = live_server.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert response.status_code == 400


def test_query_string_that_is_not_utf8_is_400(live_server: LiveServer) -> None:
    response = requests.get(live_server.url + "/sparql?query=ASK%20%7B%FF%7D", timeout=30)
    assert response.status_code == 400


def test_direct_post_that_is_not_utf8_is_400(live_server: LiveServer) -> None:
    response = requests.post(
        live_server.url + "/sparql",
        data="ASK {}".encode("utf-16"),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 400


def test_update_by_get_is_refused(live_server: LiveServer) -> None:
    response = live_server.get("/sparql", params={"update": "CLEAR ALL"})
    assert response.status_code == 400
    assert "read-only" in response.text


def test_update_by_form_is_refused(live_server: LiveServer) -> None:
    response = requests.post(live_server.url + "/sparql", data={"update": "CLEAR ALL"}, timeout=30)
    assert response.status_code == 400


def test_update_by_direct_post_is_refused(live_server: LiveServer) -> None:
    response = requests.post(
        live_server.url + "/sparql",
        data=b"INSERT DATA { <http://e/s> <http://e/p> 1 }",
        headers={"Content-Type": "application/sparql-update"},
        timeout=30,
    )
    assert response.status_code == 400
    after = live_server.get(
        "/sparql", params={"query": "ASK { <http://e/s> ?p ?o }"}, headers={"Accept": JSON}
    )
    assert after.json()["boolean"] is False


def test_update_sent_as_a_query_is_refused(live_server: LiveServer) -> None:
    response = live_server.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"})
    assert response.status_code == 400


def test_predeclared_prefixes_need_no_prefix_lines(live_server: LiveServer) -> None:
    query = 'SELECT ?s WHERE { ?s rdfs:label "Beta"@en }'
    response = live_server.get("/sparql", params={"query": query}, headers={"Accept": JSON})
    assert _subjects(response) == ["http://example.org/beta"]


def test_cors_preflight_for_a_direct_post(live_server: LiveServer) -> None:
    response = requests.options(
        live_server.url + "/sparql",
        headers={
            "Origin": "https://example.net",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert 200 <= response.status_code < 300
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


def test_cors_on_results(live_server: LiveServer) -> None:
    response = live_server.get(
        "/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.net"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-SPARQL-Truncated" in response.headers["Access-Control-Expose-Headers"]


def test_etag_and_304(live_server: LiveServer) -> None:
    first = live_server.get("/sparql", params={"query": SELECT}, headers={"Accept": JSON})
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = live_server.get(
        "/sparql", params={"query": SELECT}, headers={"Accept": JSON, "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag


def test_etag_depends_on_the_format(live_server: LiveServer) -> None:
    as_json = live_server.get("/sparql", params={"query": SELECT}, headers={"Accept": JSON})
    as_csv = live_server.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert as_json.headers["ETag"] != as_csv.headers["ETag"]


def test_etag_ignores_comments_and_whitespace(live_server: LiveServer) -> None:
    plain = live_server.get("/sparql", params={"query": SELECT}, headers={"Accept": JSON})
    spaced = live_server.get(
        "/sparql",
        params={"query": "# a comment\n" + SELECT.replace(" ", "\n  ")},
        headers={"Accept": JSON},
    )
    assert plain.headers["ETag"] == spaced.headers["ETag"]


def test_repeated_query_is_answered_from_the_cache(live_server: LiveServer) -> None:
    query = "SELECT ?s ?r WHERE { ?s <http://example.org/rank> ?r } ORDER BY ?r"
    live_server.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    # Two workers: within a few tries both have seen the query.
    hits = [
        live_server.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        for _ in range(6)
    ]
    assert any(r.headers["X-Cache"] == "hit" for r in hits)
    assert len({r.content for r in hits}) == 1


def test_from_restricts_the_default_graph(live_server: LiveServer) -> None:
    data = "https://w3id.org/aifactories/graph/data"
    ontology = "https://w3id.org/aifactories/graph/ontology"
    query = SELECT.replace("WHERE", "FROM <%s> WHERE")
    from_data = live_server.get("/sparql", params={"query": query % data}, headers={"Accept": JSON})
    assert _subjects(from_data) == THINGS
    from_ontology = live_server.get(
        "/sparql", params={"query": query % ontology}, headers={"Accept": JSON}
    )
    assert _subjects(from_ontology) == []


def test_from_named_selects_named_graphs(live_server: LiveServer) -> None:
    query = (
        "SELECT DISTINCT ?g FROM NAMED <https://w3id.org/aifactories/graph/data> "
        "WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    response = live_server.get("/sparql", params={"query": query}, headers={"Accept": JSON})
    graphs = [b["g"]["value"] for b in response.json()["results"]["bindings"]]
    assert graphs == ["https://w3id.org/aifactories/graph/data"]
