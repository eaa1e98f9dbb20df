"""End to end in headless Chromium (Debian's `chromium`, driven by Playwright): what a reader
does on the portal. Screenshots of the main pages go to tests/artifacts/screenshots/."""

from __future__ import annotations

import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, HOSTILE

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
SHOTS = ARTIFACTS / "screenshots"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS,
                                          headless=True, timeout=60_000)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    yield tab
    context.close()


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def total(page: object) -> int:
    return int(page.inner_text("#total").replace(",", ""))  # type: ignore[attr-defined]


def test_search_with_and_without_diacritics_then_a_facet(page, browse_server: str) -> None:
    page.goto(browse_server + "/")
    shot(page, "home")
    page.fill("#home-q", "dong thap")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/search?q=dong+thap**")
    plain = total(page)
    assert plain > 0 and "Đồng Tháp" in page.inner_text(".hits")
    shot(page, "search")
    page.fill("#q", "Đồng Tháp")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=%C4%90**")
    assert total(page) == plain
    page.click('section[data-facet="kind"] a[data-value="dataset"]')
    page.wait_for_url("**kind=dataset**")
    narrowed = total(page)
    assert 0 < narrowed < plain
    assert page.locator(".hit.kind-dataset").count() == page.locator(".hit").count()
    assert "chosen" in page.get_attribute('section[data-facet="kind"] li', "class")


def test_dataset_publisher_and_place(page, browse_server: str) -> None:
    page.goto(browse_server + "/search?q=chat+luong+khong+khi&kind=dataset")
    page.click(".hit-title >> nth=0")
    page.wait_for_selector("article.dataset")
    title = page.inner_text("#title")
    assert "không khí" in title
    assert page.locator("table.distributions tr").count() >= 2
    schema = page.locator("#schema-org").text_content()
    assert '"@type": "Dataset"' in schema
    shot(page, "dataset")
    dataset_url = page.url
    page.click("#publisher a")
    page.wait_for_selector("article.organisation")
    assert page.locator(".tree .self").count() == 1
    shot(page, "organisation")
    page.goto(dataset_url)
    page.click("#spatial a")
    page.wait_for_selector("article.place")
    assert page.inner_text("#code").strip()
    # The tile server of this test cannot answer: the centre stays readable as text.
    assert page.locator(".map-fallback").is_visible()
    shot(page, "place")


def test_map_is_drawn_from_local_assets(page, browse_server: str,
                                        front_end_assets: Path | None) -> None:
    if front_end_assets is None:
        pytest.skip("Leaflet could not be fetched from the npm registry (kg assets); the page "
                    "shows the coordinates instead, as test_dataset_publisher_and_place checks")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(browse_server + "/doc/unit/2025/province/01")
    page.wait_for_selector("#map.map-ready .leaflet-marker-icon")
    scripts = [u for u in requests if u.endswith(".js")]
    assert scripts and all(u.startswith(browse_server) for u in scripts)


def test_switch_language_is_remembered(page, browse_server: str) -> None:
    page.goto(browse_server + "/organisations")
    assert page.get_attribute("html", "lang") == "vi"
    page.click("#lang-switch")
    page.wait_for_url("**lang=en**")
    assert page.get_attribute("html", "lang") == "en"
    assert "Organisations" in page.inner_text("nav")
    page.click("nav >> text=Places")
    page.wait_for_selector("#provinces-2025")
    assert page.get_attribute("html", "lang") == "en"
    assert "34 provinces" in page.inner_text("main")
    shot(page, "places-en")


def test_run_a_query_in_the_editor(page, browse_server: str,
                                   front_end_assets: Path | None) -> None:
    page.goto(browse_server + "/sparql")
    query = "SELECT ?d WHERE { ?d a dcat:Dataset } LIMIT 7"
    if front_end_assets is None:
        page.fill("#query", query)
        page.click("#run")
        page.wait_for_selector("#results")
        assert page.locator("#results tr").count() == 8
        return
    page.wait_for_function("window.kgYasgui !== undefined")
    assert page.locator("#plain-editor").is_hidden()
    page.evaluate("q => { window.kgYasgui.getTab().setQuery(q); return true; }", query)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr")
    assert page.locator(".yasr table tbody tr").count() == 7
    shot(page, "sparql-editor")


def test_a_hostile_label_is_shown_as_text(page, browse_server: str) -> None:
    page.goto(browse_server + "/search?" + urllib.parse.urlencode({"q": "pwned"}))
    assert page.locator(".hit-title").inner_text().startswith(HOSTILE)
    page.click(".hit-title")
    page.wait_for_selector("article.dataset")
    assert HOSTILE in page.inner_text("#title")
    assert page.evaluate("window.pwned === undefined")
