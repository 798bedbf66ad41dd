"""The query UI at /sparql and the example queries at /queries, over HTTP, without JavaScript."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import requests

from aifactories.queries import example_queries
from conftest import LiveServer

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
QUERY = 'SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = "en") } ORDER BY ?s'


def _page(server: LiveServer, path: str = "/sparql", **params: str) -> requests.Response:
    response = server.get(path, params=params, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    return response


def test_ui_has_a_form_with_predeclared_prefixes(live_server: LiveServer) -> None:
    html = _page(live_server).text
    assert '<form id="query-form" method="get" action="/sparql">' in html
    assert "PREFIX rdfs: &lt;http://www.w3.org/2000/01/rdf-schema#&gt;" in html
    assert "<code>aif:</code>" in html


def test_ui_loads_nothing_from_another_site(live_server: LiveServer) -> None:
    html = _page(live_server).text
    external = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(https?:)?//', html)
    assert external == []
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert live_server.get(asset).status_code == 200


def test_ui_runs_a_query_into_a_table(live_server: LiveServer) -> None:
    html = _page(live_server, query=QUERY).text
    assert 'id="results-table"' in html
    assert re.search(r"<th[^>]*>label</th>", html)
    assert "Alpha" in html and "Gamma" in html


def test_results_page_links_to_share_and_download(live_server: LiveServer) -> None:
    html = _page(live_server, query=QUERY).text
    encoded = urllib.parse.urlencode({"query": QUERY})
    assert f'href="/sparql?{encoded}" id="share-link"' in html
    for fmt, media_type in (("csv", "text/csv"), ("json", "application/sparql-results+json")):
        link = f"/sparql?{encoded}&amp;format={fmt}"
        assert link in html
        download = live_server.get(link.replace("&amp;", "&"))
        assert download.headers["Content-Type"].startswith(media_type)


def test_every_listed_example_runs_in_one_click(live_server: LiveServer) -> None:
    html = _page(live_server, "/queries").text
    examples = example_queries()
    for example in examples:
        assert example.title in html.replace("&#39;", "'").replace("&amp;", "&")
    links = re.findall(r'<a class="example-run" href="([^"]+)"', html)
    assert len(links) == len(examples)
    for link in links[:3]:
        assert 'id="results-table"' in _page(live_server, link.replace("&amp;", "&")).text


def test_ui_lists_the_examples_by_title(live_server: LiveServer) -> None:
    html = _page(live_server).text
    for example in example_queries():
        assert f'href="{example.run_url}"'.replace("&", "&amp;") in html


def test_examples_are_read_from_their_headers(tmp_path: Path) -> None:
    (tmp_path / "02-b.rq").write_text("# title: Second\n# description: Two.\nASK {}\n")
    (tmp_path / "01-a.rq").write_text("# description: no title\nSELECT * {}\n")
    (tmp_path / "notes.txt").write_text("# title: not a query\n")
    first, second = example_queries(tmp_path)
    assert (first.slug, first.title, first.description) == ("01-a", "01 a", "no title")
    assert (second.title, second.description) == ("Second", "Two.")
    assert second.run_url == "/sparql?" + urllib.parse.urlencode({"query": second.text})


def test_no_examples_is_not_an_error(tmp_path: Path) -> None:
    assert example_queries(tmp_path) == []
    assert example_queries(tmp_path / "missing") == []


def test_minted_javascript_iris_are_not_links(live_server: LiveServer) -> None:
    html = _page(live_server, query='SELECT (IRI("javascript:alert(1)") AS ?x) WHERE {}').text
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html


def test_ui_pages_forbid_foreign_scripts(live_server: LiveServer) -> None:
    policy = _page(live_server).headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src" not in policy or "'unsafe-inline'" not in policy.split("script-src")[1]


def test_examples_page_forbids_foreign_scripts(live_server: LiveServer) -> None:
    assert "default-src 'self'" in _page(live_server, "/queries").headers["Content-Security-Policy"]
