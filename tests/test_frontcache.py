"""The front cache replays repeated GETs before Flask runs, exactly as Flask answered them:
same body and headers, a fresh request id, chosen by the headers the response varies on, and
still counted in the metrics and the query log."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from flask import Flask

from aifactories import create_app
from aifactories.frontcache import FrontCache
from aifactories.graph import KnowledgeGraph

QUERY = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 2"
JSON = "application/sparql-results+json"


def front(app: Flask) -> FrontCache:
    assert isinstance(app.wsgi_app, FrontCache)
    return app.wsgi_app


def get(client, accept: str = JSON, **headers: str):
    return client.get(
        "/sparql", query_string={"query": QUERY}, headers={"Accept": accept, **headers}
    )


def test_a_repeated_query_is_replayed_byte_for_byte(app: Flask) -> None:
    client = app.test_client()
    first, second = get(client), get(client)
    assert len(front(app)) == 1
    assert second.get_data() == first.get_data()
    assert (second.headers["ETag"], second.mimetype) == (first.headers["ETag"], JSON)
    assert second.headers["X-Cache"] == "hit"
    assert second.headers["Access-Control-Allow-Origin"] == "*"


def test_each_replay_gets_its_own_request_id(client) -> None:
    get(client)
    ids = {get(client).headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3
    assert get(client, **{"X-Request-Id": "mine-42"}).headers["X-Request-Id"] == "mine-42"


def test_replays_follow_the_vary_header(client) -> None:
    get(client, JSON)
    get(client, "text/csv")
    assert get(client, JSON).mimetype == JSON
    assert get(client, "text/csv").mimetype == "text/csv"


def test_the_host_is_part_of_the_key(client) -> None:
    """The service description names the endpoint by the URL it was asked at."""
    for host in ("a.example", "b.example", "a.example"):
        body = client.get("/sparql", headers={"Accept": "text/turtle", "Host": host}).get_data(
            as_text=True
        )
        assert f"http://{host}/sparql" in body


def test_conditional_requests_still_get_a_304(client) -> None:
    etag = get(client).headers["ETag"]
    assert get(client, **{"If-None-Match": etag}).status_code == 304


def test_errors_are_never_replayed(app: Flask) -> None:
    client = app.test_client()
    for _ in range(2):
        response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE {"})
        assert response.status_code == 400
    assert len(front(app)) == 0


def test_replays_are_counted_and_logged(client, caplog: pytest.LogCaptureFixture) -> None:
    get(client)
    with caplog.at_level(logging.INFO, logger="aifactories.query"):
        get(client)
    assert '"cache":"hit"' in caplog.records[-1].getMessage()
    body = client.get("/metrics").get_data(as_text=True)
    assert 'aifactories_query_cache_total{result="hit"} 1.0' in body
    assert 'aifactories_http_requests_total{method="GET",route="/sparql",status="200"} 2.0' in body


def test_bodies_over_the_limit_are_not_kept(app: Flask) -> None:
    front(app).max_body_bytes = 10
    get(app.test_client())
    assert len(front(app)) == 0


def test_oldest_entries_go_first(app: Flask) -> None:
    front(app).max_entries = 2
    client = app.test_client()
    for limit in (1, 2, 3):
        client.get("/sparql", query_string={"query": f"{QUERY[:-1]}{limit}"})
    assert len(front(app)) == 2


def test_per_client_limits_see_every_query(graph: KnowledgeGraph) -> None:
    settings = dataclasses.replace(graph.settings, client_max_concurrent_queries=4)
    limited = create_app({"TESTING": True}, graph=dataclasses.replace(graph, settings=settings))
    client = limited.test_client()
    get(client)
    assert "X-Cache" in get(client).headers  # answered by Flask's own response cache
    assert len(front(limited)) == 0
