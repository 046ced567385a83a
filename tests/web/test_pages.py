"""The pages through an HTTP client: the check form and its result (the report ``check --html``
writes, its JSON), the library pages, hostile text shown as text."""

from __future__ import annotations

import re

import pytest

from chachong.report.html import render_check_html

from ..browser import marks, parse
from ..conftest import REPO
from ..drafts import ORIGINAL_OPENING
from ..match.test_check import PARAPHRASE
from .conftest import client_for

SAMPLE = REPO / "examples" / "sample_draft.txt"
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"


def submit(client, **form) -> str:
    """Post the check form; return the result's address."""
    r = client.post("/check", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/check/[A-Za-z0-9_-]{22}", r.headers["location"])
    return r.headers["location"]


def test_the_start_page_is_the_check_form(sqlite_api):
    page = sqlite_api.get("/")
    assert page.status_code == 200
    dom = parse(page.text)
    form = dom.by_id("check-form")
    assert form is not None
    assert (form.attrs["method"], form.attrs["action"], form.attrs["enctype"]) == ("post", "/check",
                                                                                    "multipart/form-data")
    assert dom.by_id("text").tag == "textarea" and dom.by_id("file").attrs["type"] == "file"
    assert "查重" in page.text and "check a draft" in page.text


def test_a_checked_draft_shows_the_report_check_html_writes(api, corpus_store):
    text = SAMPLE.read_text(encoding="utf-8")
    where = submit(api, text=text)
    page = api.get(where)
    assert page.status_code == 200
    dom = parse(page.text)
    assert dom.by_id("copy-ratio").text() == "76.1%"
    frame = dom.by_id("report")
    assert frame.tag == "iframe" and frame.attrs["src"] == f"{where}/report.html"
    assert frame.attrs["sandbox"] == "allow-scripts"  # the report runs its script, in an origin of its own
    report = api.get(f"{where}/report.html")
    from chachong import check_text

    expected = render_check_html([check_text(corpus_store, text, file="<draft>")])
    assert report.text == expected
    csp = report.headers["content-security-policy"]
    script = re.search(r"script-src ('sha256-[^']+')", csp)
    assert script is not None and script.group(1) in expected  # the report's own policy, its script's hash
    assert "frame-ancestors 'self'" in csp and report.headers["x-frame-options"] == "SAMEORIGIN"
    assert len(marks(parse(report.text), "p")) >= 3


def test_the_result_downloads_are_the_report_and_the_json(sqlite_api, cli, corpus_index_path, tmp_path):
    draft = tmp_path / "草稿.txt"
    draft.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    where = submit(sqlite_api, text=draft.read_text(encoding="utf-8"), name="草稿.txt")
    html = tmp_path / "report.html"
    out = cli("check", draft, "--json", "--html", html, "--index", corpus_index_path)
    report = sqlite_api.get(f"{where}/report.html", params={"download": 1})
    assert report.headers["content-disposition"] == (
        "attachment; filename=\"chachong-report.html\"; "
        "filename*=UTF-8''%E8%8D%89%E7%A8%BF-%E6%9F%A5%E9%87%8D%E6%8A%A5%E5%91%8A.html")
    assert report.text == html.read_text(encoding="utf-8").replace(str(draft), "草稿.txt")
    result = sqlite_api.get(f"{where}/result.json", params={"download": 1})
    import json

    assert result.json() == {**json.loads(out.stdout), "file": "草稿.txt"}
    assert result.headers["content-disposition"].startswith("attachment; ")


def test_an_unknown_result_is_a_404_page(sqlite_api):
    r = sqlite_api.get("/check/AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code == 404
    assert "no such result" in parse(r.text).by_id("error").text()
    assert sqlite_api.get("/check/AAAAAAAAAAAAAAAAAAAAAA/result.json").json()["kind"] == "not_found"


def test_a_bad_draft_comes_back_to_the_form_with_the_message_and_the_text(sqlite_api):
    r = sqlite_api.post("/check", data={"text": "总结", "name": "x"}, files={"file": ("a.txt", "总结".encode())})
    assert r.status_code == 400
    dom = parse(r.text)
    assert dom.by_id("error").text() == "give the draft as text or as a file, not both"
    assert dom.by_id("text").text() == "总结"
    r = sqlite_api.post("/check", files={"file": ("图.txt", b"\x89PNG\r\n\x1a\n" + bytes(40))})
    assert r.status_code == 400
    assert parse(r.text).by_id("error").text() == "图.txt: binary file (a PNG image), not text"


def test_hostile_text_and_names_are_shown_as_text(sqlite_api):
    where = submit(sqlite_api, text=f"{HOSTILE}\n" + SAMPLE.read_text(encoding="utf-8"), name=HOSTILE)
    page = sqlite_api.get(where).text
    assert "<script>document" not in page and "<img src=x" not in page
    assert parse(page).by_id("draft-name").text().startswith(HOSTILE)  # shown, as text
    report = sqlite_api.get(f"{where}/report.html").text
    assert "<script>document" not in report and "<img src=x" not in report
    assert HOSTILE in parse(report).find_all(lambda n: n.tag == "pre")[0].text()
    r = sqlite_api.post("/check", data={"text": HOSTILE}, files={"file": (HOSTILE, b"x")})
    assert "<script>document" not in r.text  # echoed back into the form: escaped


def test_the_library_page_lists_and_searches_the_documents(api):
    docs = api.get("/api/docs").json()["documents"]
    page = parse(api.get("/library").text)
    rows = page.by_id("docs").find_all(lambda n: n.tag == "tr")[1:]
    assert len(rows) == len(docs) == 49
    assert [r.find_all(lambda n: n.tag == "td")[1].text() for r in rows] == [d["title"] for d in docs]
    found = parse(api.get("/library", params={"q": "银行"}).text)
    titles = [r.find_all(lambda n: n.tag == "td")[1].text() for r in found.by_id("docs").find_all(
        lambda n: n.tag == "tr")[1:]]
    assert titles == [d["title"] for d in docs if "银行" in d["title"]] and titles
    one_file = docs[0]["file"]
    by_file = parse(api.get("/library", params={"file": one_file}).text)
    assert len(by_file.by_id("docs").find_all(lambda n: n.tag == "tr")) - 1 == sum(
        d["file"] == one_file for d in docs)
    files = page.by_id("files").find_all(lambda n: n.tag == "tr")[1:]
    assert len(files) == 5
    assert "【哒哒素材库】" in page.by_id("files").text()  # the distributor ad set aside


def test_the_phrases_page_shows_the_top_phrases(api):
    expected = api.get("/api/phrases", params={"top": 7}).json()["phrases"]
    page = parse(api.get("/phrases", params={"top": 7}).text)
    rows = page.by_id("phrases").find_all(lambda n: n.tag == "tr")[1:]
    assert [r.find_all(lambda n: n.tag == "td")[1].text() for r in rows] == [p["phrase"] for p in expected]


def test_the_status_page_shows_the_index(api, corpus_store):
    page = parse(api.get("/status").text)
    assert page.by_id("location").text() == corpus_store.location
    assert page.by_id("documents").text() == "49"
    assert page.by_id("common-docs").text() == "4"


def test_the_reuse_map_is_computed_on_demand_and_kept(api):
    before = parse(api.get("/pairs").text)
    assert before.by_id("compute") is not None or before.by_id("report") is not None
    r = api.post("/pairs", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/pairs"
    after = parse(api.get("/pairs").text)
    assert after.by_id("report").attrs["src"] == "/pairs/report.html"
    report = api.get("/pairs/report.html")
    assert report.status_code == 200 and "<svg class=\"heat\"" in report.text
    assert "frame-ancestors 'self'" in report.headers["content-security-policy"]


def test_the_upload_page_exists_only_when_the_index_may_change(sqlite_api, cli, tmp_path):
    from chachong.web.config import ServeConfig

    r = sqlite_api.get("/library/upload")
    assert r.status_code == 403
    assert "upload" not in parse(sqlite_api.get("/library").text).text().split("文献库")[1][:50]
    index = tmp_path / "w.sqlite"
    assert cli("index", REPO / "corpus" / "003_ec39d6286021c7d9.txt", "--index", index).code == 0
    with client_for(ServeConfig(location=str(index), allow_index=True)) as client:
        assert client.get("/library/upload").status_code == 200
        r = client.post("/library/upload", files={"file": ("银行.txt", (REPO / "corpus" / "000_8b880e3bb4cd86c7.txt")
                                                           .read_bytes())})
        assert r.status_code == 200
        assert "upload/银行.txt" in parse(r.text).by_id("index-report").text()


@pytest.mark.parametrize("path", ["/", "/library", "/phrases", "/status", "/pairs", "/docs"])
def test_every_page_names_what_it_is_in_chinese_first(sqlite_api, path):
    page = sqlite_api.get(path)
    assert page.status_code == 200
    title = parse(page.text).find_all(lambda n: n.tag == "title")[0].text()
    assert "查重" in title


def test_the_openapi_schema_describes_the_api(sqlite_api):
    schema = sqlite_api.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/api/check", "/api/docs", "/api/phrases", "/api/pairs", "/api/status",
                                    "/api/index"}
    body = schema["paths"]["/api/check"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    ok = schema["paths"]["/api/check"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/CheckOut"}
    # The schema names every field of the answer (the CLI's --json), of a paraphrase passage too.
    models = schema["components"]["schemas"]
    answer = sqlite_api.post("/api/check", json={"text": ORIGINAL_OPENING + "\n" + PARAPHRASE}).json()
    assert set(models["CheckOut"]["properties"]) == set(answer)
    [copy] = [p for p in answer["passages"] if p["kind"] == "copy"]
    assert copy["match"] == "paraphrase" and copy["swaps"]
    assert set(copy) <= set(models["PassageOut"]["properties"])
    assert set(copy["source"]) == set(models["SourceRefOut"]["properties"])
    assert set(copy["swaps"][0]) == set(models["SwapOut"]["properties"])
    assert set(answer["index"]) == set(models["IndexInfoOut"]["properties"])
