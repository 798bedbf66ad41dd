"""Headless Chromium runs an example query from /sparql and sees the results table.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (see .ci/apt-packages.txt);
Selenium drives them through /usr/bin/chromedriver, so nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CHROMIUM_FLAGS, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 20
FLAGS = (*CHROMIUM_FLAGS, "--disable-dev-shm-usage")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs the Debian packages chromium and chromium-driver"
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers online
        driver = webdriver.Chrome(
            options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
        )
    driver.set_page_load_timeout(WAIT_SECONDS)
    yield driver
    driver.quit()


def _results_table(driver):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS).until(
        expected_conditions.presence_of_element_located((By.ID, "results-table"))
    )


def test_example_query_runs_in_one_click(browser, live_server: LiveServer) -> None:
    from selenium.webdriver.common.by import By

    browser.get(live_server.url + "/sparql")
    examples = browser.find_elements(By.CSS_SELECTOR, "#examples a.example-run")
    if not examples:
        pytest.skip("no example queries in queries/ yet")
    assert examples[0].text  # listed by its title
    examples[0].click()
    table = _results_table(browser)
    assert table.find_elements(By.CSS_SELECTOR, "thead th")
    assert "/sparql?query=" in browser.current_url
    assert browser.find_element(By.ID, "query").get_attribute("value").strip()


def test_typed_query_shows_rows(browser, live_server: LiveServer) -> None:
    from selenium.webdriver.common.by import By

    browser.get(live_server.url + "/sparql")
    box = browser.find_element(By.ID, "query")
    box.clear()
    box.send_keys(
        "SELECT ?thing ?label WHERE { ?thing a <http://example.org/Thing> ; rdfs:label ?label "
        'FILTER(lang(?label) = "en") } ORDER BY ?label'
    )
    browser.find_element(By.ID, "run").click()
    table = _results_table(browser)
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    cells = [td.text for td in table.find_elements(By.CSS_SELECTOR, "tbody td")]
    assert headers == ["thing", "label"]
    assert cells[1::2] == ["Alpha@en", "Beta@en", "Gamma@en"]
    assert (
        browser.find_element(By.ID, "share-link")
        .get_attribute("href")
        .startswith(live_server.url + "/sparql?query=")
    )
