"""The pages in a real browser: headless Chromium (Debian ``chromium``) opens the landing page, a
factory page, the factories table and the ontology page on the live server, and we check what it
rendered (``--dump-dom``, after scripts ran) and keep a screenshot of each under pytest's tmp dir.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CHROMIUM_FLAGS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian package: chromium)"
)
BROWSER_TIMEOUT = 90
WINDOW = "--window-size=1280,1600"


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium offline: no sync, no component updates, no QUIC, own profile."""
    return subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            "--enable-logging=stderr",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def open_page(url: str, tmp_path: Path, name: str) -> tuple[str, Path, str]:
    """The rendered DOM, the screenshot and the browser's log for ``url``."""
    profile = tmp_path / "profile"
    dom = chromium(profile, "--virtual-time-budget=3000", "--dump-dom", url)
    shot = tmp_path / f"{name}.png"
    chromium(profile, f"--screenshot={shot}", WINDOW, url)
    assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot of {url}"
    return dom.stdout, shot, dom.stderr


def test_landing_page_shows_counts_and_the_map(bundled_server, tmp_path) -> None:
    dom, _, _ = open_page(bundled_server.url + "/", tmp_path, "landing")
    assert "EU AI Factories Knowledge Graph" in dom
    assert re.search(r"<b>19</b>\s*AI Factories", dom)
    points = re.findall(r'<circle class="factory"', dom)
    assert len(points) >= 15  # the factories with coordinates, drawn on the offline outline


def test_factory_page_shows_facts_sources_and_formats(bundled_server, tmp_path) -> None:
    listing = bundled_server.get("/id/factory/").text
    first = re.search(r'href="(/id/factory/[a-z0-9-]+)"', listing)
    assert first is not None
    dom, _, _ = open_page(bundled_server.url + first.group(1), tmp_path, "factory")
    assert "<h1>" in dom and "AI Factory" in dom
    assert "<h2>Sources</h2>" in dom
    assert re.search(r'<a href="/id/country/[a-z]{2}">', dom)  # the country, linked by its label
    assert 'type="application/ld+json"' in dom
    for suffix in (".ttl", ".jsonld", ".rdf", ".nt"):
        assert f'{first.group(1)}{suffix}"' in dom


def test_factories_table_sorts_in_the_browser_without_errors(bundled_server, tmp_path) -> None:
    dom, _, log = open_page(bundled_server.url + "/factories", tmp_path, "factories")
    assert len(re.findall(r"<tr><td><a href=\"/id/(?:factory|antenna)/", dom)) >= 32
    assert "Uncaught" not in log, log


def test_ontology_page_documents_classes_in_both_languages(bundled_server, tmp_path) -> None:
    dom, _, _ = open_page(bundled_server.url + "/ontology", tmp_path, "ontology")
    assert "EU AI Factories Ontology" in dom
    assert 'id="AIFactoryAntenna"' in dom
    assert "Antenne d'AI Factory" in dom or "Antenne d&#39;AI Factory" in dom
