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


@pytest.fixture(scope="module")
def publisher_site(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[str, str]]:
    """`kg serve` on a copy of the demo store with a publisher token of one organisation."""
    from tests.conftest import kg_serve
    from web.auth import TokenFile

    folder = tmp_path_factory.mktemp("publisher-ui")
    shutil.copytree(demo_store_path, folder / "store")
    token = TokenFile(folder / "tokens.json").create("vaip-editor", ["publisher:hoi-tin-hoc"])
    with kg_serve(folder / "store", "--tokens", str(folder / "tokens.json"),
                  cwd=folder) as base:
        yield base, token


def problems(page: object) -> dict[str, str]:
    found = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "p.field-problem", "els => els.map(e => [e.dataset.field, e.textContent])")
    return {field: text for field, text in found}


def test_a_publisher_signs_in_creates_a_draft_and_publishes_it(
        page, publisher_site: tuple[str, str]) -> None:
    import requests

    base, token = publisher_site
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    page.goto(base + "/publish/")
    page.fill("#token", "not-a-token")
    page.click("#sign-in")
    assert page.inner_text("#sign-in-error") == "Token không đúng."
    page.fill("#token", token)
    page.click("#sign-in")
    page.wait_for_selector("#holder")
    assert page.inner_text("#holder") == "vaip-editor"
    page.click("a.new-dataset")
    page.wait_for_selector("#dataset-form")
    page.fill("#name", "ui-survey")
    page.fill("#title_en", "Survey of members")
    page.fill("#description_vi", HOSTILE)
    page.fill("#dist-0-title", "Tệp CSV")
    page.click("#save-draft")
    page.wait_for_selector("#form-problems")
    found = problems(page)
    assert found["title"] == "Tập dữ liệu phải có tiêu đề tiếng Việt."
    assert found["dist-0-accessURL"] == "Bản phân phối phải có địa chỉ truy cập (một IRI)."
    # What was typed is kept, as text.
    assert page.input_value("#title_en") == "Survey of members"
    assert page.input_value("#description_vi") == HOSTILE
    assert page.evaluate("window.pwned") is None
    shot(page, "publish-form-problems")
    # The same messages in English once the page's language is switched.
    page.goto(base + "/publish/?lang=en")
    page.goto(base + "/publish/datasets/new?org=hoi-tin-hoc")
    page.fill("#name", "ui-survey")
    page.fill("#title_en", "Survey of members")
    page.click("#save-draft")
    page.wait_for_selector("#form-problems")
    assert problems(page)["title"] == "The dataset needs a title in Vietnamese."
    page.fill("#title_vi", "Khảo sát hội viên")
    page.fill("#description_vi", HOSTILE)
    page.fill("#dist-0-title", "Tệp CSV")
    page.fill("#dist-0-accessURL", "https://files.example/survey.csv")
    page.select_option("#dist-0-format", label="CSV")
    page.click("#save-draft")
    page.wait_for_url("**/publish/datasets/hoi-tin-hoc/ui-survey")
    assert "Saved as a draft" in page.inner_text(".form-notice")
    api = f"{base}/api/v1/datasets/hoi-tin-hoc/ui-survey"
    headers = {"Cache-Control": "no-cache"}
    assert requests.get(api, headers=headers, timeout=30).status_code == 404
    page.click("a[href$='/publish/']")
    row = page.locator("#my-datasets tr[data-id='hoi-tin-hoc/ui-survey'] td.status")
    assert row.inner_text() == "Draft"
    page.click("#my-datasets tr[data-id='hoi-tin-hoc/ui-survey'] a")
    page.wait_for_selector("#dataset-form")
    assert page.input_value("#title_vi") == "Khảo sát hội viên"
    page.click("#publish")
    page.wait_for_url("**/publish/datasets/hoi-tin-hoc/ui-survey")
    assert "Published" in page.inner_text(".form-notice")
    shot(page, "publish-form")
    seen = requests.get(api, headers=headers, timeout=30)
    assert seen.status_code == 200 and seen.json()["draft"] is False
    assert seen.json()["description"]["vi"] == HOSTILE
    assert seen.json()["distributions"][0]["format"]["label"] == "CSV"
    page.click("#sign-out")
    page.wait_for_selector("#token")


def test_publisher_forms_refuse_what_lacks_the_sessions_csrf_token(
        publisher_site: tuple[str, str]) -> None:
    import requests

    base, token = publisher_site
    session = requests.Session()
    assert session.post(f"{base}/publish/sign-in", data={"token": token},
                        timeout=30).status_code == 400
    form = session.get(f"{base}/publish/", timeout=30).text
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    signed = session.post(f"{base}/publish/sign-in", data={"token": token, "csrf": csrf},
                          timeout=30, allow_redirects=False)
    assert signed.status_code == 302
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and token not in cookie
    # Signed in, a save without the token (as another site's form would send) is refused.
    refused = session.post(f"{base}/publish/datasets", timeout=30, data={
        "org": "hoi-tin-hoc", "name": "forged", "new": "1", "title_vi": "Giả"})
    assert refused.status_code == 400 and "CSRF" in refused.text
    assert requests.get(f"{base}/api/v1/datasets/hoi-tin-hoc/forged",
                        timeout=30).status_code == 404
