"""The pages in a real browser (headless Chromium) against a real ``chachong serve``: paste a
draft and read the report, upload a .docx, browse the library, hostile text stays text, the
API documentation renders from our own files, the login page works."""

from __future__ import annotations

import httpx2
import pytest

from ..conftest import REPO
from ..fixtures_inputs import make_docx, standard_draft
from .conftest import TOKEN
from .live import LiveServer, chrome, need_browser

SAMPLE = REPO / "examples" / "sample_draft.txt"
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
WAIT_S = 60


@pytest.fixture(scope="module")
def live(corpus_index_path, tmp_path_factory):
    need_browser()
    server = LiveServer(tmp_path_factory.mktemp("live"), "--index", str(corpus_index_path), "--workers", "1").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(live):
    with chrome() as driver:
        yield driver


def wait(driver, condition):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(condition)


def by_css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def csp_violations(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def paste_and_check(driver, live, text: str) -> None:
    driver.get(live.url + "/")
    box = by_css(driver, "#text")[0]
    # Typing 1,000+ characters key by key is slow; a paste sets the value the same way.
    driver.execute_script("arguments[0].value = arguments[1];", box, text)
    by_css(driver, "#submit")[0].click()
    wait(driver, lambda d: "/check/" in d.current_url)


def api_check(live, **body) -> dict:
    answer = httpx2.post(f"{live.url}/api/check", json=body, timeout=60)
    assert answer.status_code == 200
    return answer.json()


def test_paste_a_draft_and_see_the_copy_ratio_and_the_passages(browser, live):
    from selenium.webdriver.common.action_chains import ActionChains

    paste_and_check(browser, live, SAMPLE.read_text(encoding="utf-8"))
    assert by_css(browser, "#copy-ratio")[0].text == "76.1%"
    browser.switch_to.frame("report")
    try:
        wait(browser, lambda d: by_css(d, "[data-k=copy_ratio]"))
        assert by_css(browser, "[data-k=copy_ratio]")[0].text == "76.1%"
        passages = by_css(browser, "mark.p")
        assert len(passages) >= 3
        colours = {m.value_of_css_property("background-color") for m in passages}
        assert len(colours) == 3  # one colour per source
        assert by_css(browser, "mark.boiler")  # stock phrasing greyed
        ActionChains(browser).move_to_element(passages[0]).perform()
        shown = wait(browser, lambda d: by_css(d, ".side-slot .cmp.shown"))
        assert "文化和旅游局2023年工作总结和2024年工作打算" in shown[0].text  # the source, beside the passage
    finally:
        browser.switch_to.default_content()
    assert csp_violations(browser) == []


def test_upload_a_docx(browser, live, tmp_path):
    draft, _ = standard_draft()
    lines = draft.split("\n")
    path = tmp_path / "草稿.docx"
    text = make_docx(path, lines[:2], [[lines[2], lines[3]]], lines[4:])
    expected = api_check(live, text=text)
    browser.get(live.url + "/")
    by_css(browser, "#file")[0].send_keys(str(path))
    by_css(browser, "#submit")[0].click()
    wait(browser, lambda d: "/check/" in d.current_url)
    assert by_css(browser, "#draft-name")[0].text.startswith("草稿.docx")
    assert by_css(browser, "#copy-ratio")[0].text == f"{100 * expected['copy_ratio']:.1f}%"
    browser.switch_to.frame("report")
    try:
        wait(browser, lambda d: by_css(d, "mark.p"))
        titles = {r.text for r in by_css(browser, "table.sources td:nth-child(2)")}
        assert titles == {s["title"] for s in expected["sources"]}
    finally:
        browser.switch_to.default_content()


def test_a_script_in_a_draft_shows_as_text(browser, live):
    from selenium.common.exceptions import NoAlertPresentException

    paste_and_check(browser, live, HOSTILE + "\n" + SAMPLE.read_text(encoding="utf-8"))
    assert browser.title == "查重结果 · chachong 查重"
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    browser.switch_to.frame("report")
    try:
        wait(browser, lambda d: by_css(d, "pre.draft-text"))
        assert by_css(browser, "pre.draft-text")[0].text.startswith(HOSTILE)
        assert browser.execute_script("return document.title") == "chachong 查重报告"
        assert not by_css(browser, "pre.draft-text img")
    finally:
        browser.switch_to.default_content()


def test_the_library_pages(browser, live):
    browser.get(live.url + "/library")
    assert len(by_css(browser, "#docs tbody tr")) == 49
    search = by_css(browser, "#q")[0]
    search.send_keys("银行")
    search.submit()
    wait(browser, lambda d: "q=" in d.current_url)
    titles = [td.text for td in by_css(browser, "#docs tbody td.title")]
    assert titles and all("银行" in t for t in titles)
    by_css(browser, "#files tbody a")[0].click()
    wait(browser, lambda d: "file=" in d.current_url)
    assert by_css(browser, "#docs tbody tr")
    browser.get(live.url + "/phrases")
    assert by_css(browser, "#phrases tbody td.phrase")[0].text == "D的二十大精神"
    browser.get(live.url + "/status")
    assert by_css(browser, "#documents")[0].text == "49"
    browser.get(live.url + "/pairs")
    by_css(browser, "#compute")[0].click()
    wait(browser, lambda d: by_css(d, "iframe#report"))
    browser.switch_to.frame("report")
    try:
        wait(browser, lambda d: by_css(d, "svg.heat"))
    finally:
        browser.switch_to.default_content()
    assert csp_violations(browser) == []


def test_the_api_documentation_renders_from_our_own_files(browser, live):
    browser.get(live.url + "/docs")
    operations = wait(browser, lambda d: by_css(d, ".opblock-summary-path"))
    paths = {op.text.replace("\u200b", "") for op in operations}
    assert {"/api/check", "/api/docs", "/api/phrases", "/api/pairs", "/api/status", "/api/index"} <= paths
    assert csp_violations(browser) == []


def test_a_server_with_a_token_asks_for_it_once(tmp_path, corpus_index_path):
    server = LiveServer(tmp_path, "--index", str(corpus_index_path), "--workers", "1", "--host", "127.0.0.1",
                        env={"CHACHONG_TOKEN": TOKEN}).start()
    try:
        with chrome() as driver:
            driver.get(server.url + "/library")
            wait(driver, lambda d: "/login" in d.current_url)
            field = by_css(driver, "#token")[0]
            field.send_keys(TOKEN)
            field.submit()
            wait(driver, lambda d: d.current_url.endswith("/library"))
            assert len(by_css(driver, "#docs tbody tr")) == 49
            paste_and_check(driver, server, SAMPLE.read_text(encoding="utf-8"))
            assert by_css(driver, "#copy-ratio")[0].text == "76.1%"
    finally:
        server.stop()
    assert TOKEN not in server.output()  # never logged
    assert "POST /login" in server.output()
