"""The HTTP API against the CLI: the same JSON for the same draft, the same one-line messages,
the status codes a client can act on, on both backends."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import zipfile

import pytest

from chachong.text.reading import MAX_DRAFT_BYTES

from ..conftest import CORPUS, REPO
from ..fixtures_inputs import BANK, corpus_line, make_docx, standard_draft
from .conftest import client_for

SAMPLE = REPO / "examples" / "sample_draft.txt"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)


def cli_json(cli, *args) -> list[dict]:
    out = cli(*args)
    assert out.code == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def cli_error(cli, *args) -> str:
    """The problem the CLI reports (its one line, without the ``chachong: error:`` prefix)."""
    out = cli(*args)
    assert out.code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chachong: error: "), out.stderr
    return lines[0].removeprefix("chachong: error: ")


# -- checking ------------------------------------------------------------------------------------
def test_check_answers_exactly_what_check_json_prints(api, cli, corpus_location):
    expected = cli_json(cli, "check", SAMPLE, "--json", "--index", corpus_location)
    r = api.post("/api/check", json={"text": SAMPLE.read_text(encoding="utf-8"), "file": str(SAMPLE)})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == expected[0]
    assert "文化和旅游局2023年工作总结" in r.content.decode("utf-8")  # Chinese as it is, not \u escapes
    assert r.json()["copy_ratio"] == 0.7614


def test_a_pasted_draft_without_a_name_is_called_draft(api):
    r = api.post("/api/check", json={"text": "我们坚持把抓实调查研究作为推动主题教育有效开展的重要举措。"})
    assert r.status_code == 200
    assert r.json()["file"] == "<draft>"


def test_an_uploaded_docx_gives_what_check_json_gives_for_the_file(api, cli, corpus_location, tmp_path):
    draft, planted = standard_draft()
    lines = draft.split("\n")
    path = tmp_path / "草稿.docx"
    text = make_docx(path, lines[:2], [[lines[2], lines[3]]], lines[4:])
    expected = cli_json(cli, "check", path, "--json", "--index", corpus_location)[0]
    r = api.post("/api/check", files={"file": ("草稿.docx", path.read_bytes())})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["file"] == "草稿.docx"
    assert body == {**expected, "file": "草稿.docx"}
    copies = [p for p in body["passages"] if p["kind"] == "copy"]
    assert sorted(p["source"]["doc"] for p in copies) == sorted(p.doc for _, _, p in planted)
    for p in copies:  # offsets into the text extracted from the .docx
        assert text[p["start"] : p["end"]] in draft


def test_the_type_of_an_upload_is_read_from_its_content_not_its_name(api, tmp_path):
    line = corpus_line(*BANK)
    docx_path = tmp_path / "x.docx"
    make_docx(docx_path, [line.text], [["表格"]], [])
    as_text = api.post("/api/check", files={"file": ("报告.docx", line.text.encode("gb18030"))})
    as_docx = api.post("/api/check", files={"file": ("报告.txt", docx_path.read_bytes())})
    for r in (as_text, as_docx):
        assert r.status_code == 200, r.text
        copy = next(p for p in r.json()["passages"] if p["kind"] == "copy")
        assert copy["source"]["doc"] == line.doc
        assert copy["start"] == 0 and copy["end"] == len(line.text.rstrip("。"))  # spans end on copied text


def test_a_browser_sent_path_is_cut_to_the_file_name(api):
    r = api.post("/api/check", files={"file": ("C:\\Users\\王\\..\\草稿.txt", "总结。".encode())})
    assert r.status_code == 200
    assert r.json()["file"] == "草稿.txt"


BAD_UPLOADS = {
    "empty": ("空.txt", b""),
    "png-as-txt": ("pic.txt", PNG),
    "nul-bytes": ("nul.txt", "总结".encode() + b"\x00\x01\x02" * 50),
    "not-chinese-gbk": ("x.txt", bytes(range(0x80, 0x100)) * 8),
    "over-the-draft-limit": ("big.txt", "字".encode() * (MAX_DRAFT_BYTES // 3 + 1)),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_a_bad_upload_gets_the_clis_message_about_it(sqlite_api, cli, corpus_index_path, tmp_path, case):
    name, data = BAD_UPLOADS[case]
    path = tmp_path / name
    path.write_bytes(data)
    problem = cli_error(cli, "check", path, "--index", corpus_index_path).removeprefix(f"{path}: ")
    r = sqlite_api.post("/api/check", files={"file": (name, data)})
    assert r.status_code == (413 if case == "over-the-draft-limit" else 400)
    assert r.json() == {"error": f"{name}: {problem}",
                        "kind": "too_large" if case == "over-the-draft-limit" else "bad_input"}


def test_a_zip_that_is_not_a_word_file_is_named_for_what_it_is(sqlite_api):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    r = sqlite_api.post("/api/check", files={"file": ("草稿.docx", buffer.getvalue())})
    assert r.status_code == 400
    assert r.json()["error"].startswith("草稿.docx: unsupported file type '.zip'")


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"file": "a.txt"}, 400, "text: Field required"),
    ({"text": 5}, 400, "text: Input should be a valid string"),
    ({"text": ""}, 400, "no draft: the text is empty"),
    ({"text": "总结", "common_docs": 1}, 400, "common_docs: Input should be greater than or equal to 2"),
    ({"text": "字" * (MAX_DRAFT_BYTES // 3 + 1), "file": "长.txt"}, 413,
     "长.txt: text too large (1.0 MiB; the limit is 1 MiB): split it into smaller drafts"),
])
def test_bad_json_gets_one_line(sqlite_api, body, status, message):
    r = sqlite_api.post("/api/check", content=json.dumps(body, ensure_ascii=False).encode(),
                        headers={"content-type": "application/json"})
    assert r.status_code == status
    assert r.json()["error"] == message


def test_malformed_requests_get_one_line(sqlite_api):
    r = sqlite_api.post("/api/check", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("body: Invalid JSON")
    r = sqlite_api.post("/api/check", content=b"text", headers={"content-type": "text/plain"})
    assert r.status_code == 400
    assert r.json()["error"] == "send the draft as JSON {\"text\": …} or as a form with a 'file' or 'text' field"
    r = sqlite_api.post("/api/check", data={"text": "总结"}, files={"file": ("a.txt", "总结".encode())})
    assert r.status_code == 400 and r.json()["error"] == "give the draft as text or as a file, not both"
    r = sqlite_api.post("/api/check", data={"text": ""})
    assert r.status_code == 400 and r.json()["error"] == "no draft: paste the text or choose a file"
    r = sqlite_api.get("/api/phrases?top=abc")
    assert r.status_code == 400 and r.json()["kind"] == "bad_input"
    assert r.json()["error"].startswith("query top: Input should be a valid integer")


def test_a_body_over_the_limit_is_refused_before_it_is_read(sqlite_api):
    # Declared too large: refused from the header. Sent in chunks without a length: refused
    # once the limit is passed, not after the whole body arrived.
    declared = sqlite_api.post("/api/check", content=b"x" * (3 * 1024 * 1024),
                               headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json() == {"error": "request too large (3.0 MiB; the limit is 2.1 MiB)", "kind": "too_large"}
    chunks_sent = []

    def chunks():
        for _ in range(40):
            chunks_sent.append(1)
            yield b"x" * (256 * 1024)

    streamed = sqlite_api.post("/api/check", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.json() == {"error": "request too large (more than 2.1 MiB, the limit)", "kind": "too_large"}
    assert streamed.headers["x-content-type-options"] == "nosniff"


# -- the library -----------------------------------------------------------------------------------
def test_docs_lists_what_docs_json_prints(api, cli, corpus_location):
    expected = cli_json(cli, "docs", "--json", "--index", corpus_location)
    body = api.get("/api/docs").json()
    assert body["documents"] == expected
    assert body["total"] == len(expected) == 49
    assert sorted(f["file"] for f in body["files"]) == sorted({d["file"] for d in expected})
    searched = api.get("/api/docs", params={"q": "工作总结", "limit": 3}).json()
    matching = [d for d in expected if "工作总结" in d["title"]]
    assert searched["total"] == len(matching) > 3
    assert searched["documents"] == matching[:3]


def test_phrases_are_what_phrases_json_prints(api, cli, corpus_location):
    expected = cli_json(cli, "phrases", "--json", "--top", "5", "--index", corpus_location)
    body = api.get("/api/phrases", params={"top": 5}).json()
    assert body["phrases"] == expected
    assert (body["min_docs"], body["documents"], body["sampled"]) == (4, 49, False)
    assert body["phrases"][0]["phrase"] == "D的二十大精神"


def test_pairs_are_what_pairs_json_prints(api, cli, corpus_location):
    expected = cli_json(cli, "pairs", "--json", "--index", corpus_location)
    body = api.get("/api/pairs").json()
    assert body["pairs"] == expected
    assert expected
    assert body["max_docs"] == 3


def test_status_says_where_the_index_is_and_what_it_holds(api, corpus_store):
    body = api.get("/api/status").json()
    stats = corpus_store.stats()
    assert body["location"] == corpus_store.location
    assert body["backend"] == corpus_store.backend
    assert (body["files"], body["documents"], body["sentences"], body["chars"]) == (
        stats["files"], stats["documents"], stats["sentences"], stats["chars"])
    assert body["documents"] == 49
    assert body["thresholds"]["common_docs"] == 4
    assert body["thresholds"]["max_draft_bytes"] == MAX_DRAFT_BYTES
    assert body["lsh"] == {"num_perm": 64, "bands": 21, "rows": 3, "seed": 1, "shingle_chars": 5}
    assert body["server"]["allow_index"] is False and body["server"]["token_required"] is False
    assert body["last_change"]["seen"] is None  # the index has not changed since the server started


# -- an unusable index -------------------------------------------------------------------------------
def test_an_unreachable_redis_is_a_503_with_the_clis_message(cli, tmp_path):
    from ..redis_server import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    problem = cli_error(cli, "docs", "--index", url)
    assert problem.startswith(f"{url}: cannot reach Redis")
    with client_for_location(url) as client:
        for r in (client.get("/api/status"), client.post("/api/check", json={"text": "总结。"}),
                  client.get("/api/docs")):
            assert r.status_code == 503
            assert r.json() == {"error": problem, "kind": "index_unavailable"}


def test_a_redis_password_never_shows(redis_server):
    url = redis_server.url.replace("redis://", "redis://:hunter2-secret@")
    with client_for_location(url) as client:
        r = client.get("/api/status")
        assert r.status_code == 503
        assert "hunter2" not in r.text
        r = client.get("/status", headers={"accept": "text/html"})
        assert r.status_code == 503 and "hunter2" not in r.text


def test_a_damaged_index_file_is_a_503_with_the_clis_message(cli, small_index, tmp_path):
    damaged = tmp_path / "damaged.sqlite"
    shutil.copy(small_index, damaged)
    with damaged.open("r+b") as f:
        f.write(b"not an index at all!")
    problem = cli_error(cli, "docs", "--index", damaged)
    with client_for_location(str(damaged)) as client:
        r = client.post("/api/check", json={"text": "总结。"})
        assert r.status_code == 503
        assert r.json() == {"error": problem, "kind": "index_unavailable"}


def client_for_location(location: str):
    from chachong.web.config import ServeConfig

    return client_for(ServeConfig(location=location, workers=1))


# -- writing the index: only when allowed ------------------------------------------------------------
def test_a_read_only_server_refuses_to_index(sqlite_api):
    r = sqlite_api.post("/api/index", files={"file": ("a.txt", "总结。".encode())})
    assert r.status_code == 403
    assert r.json() == {"error": "this server does not change the index (it was started without --allow-index)",
                        "kind": "read_only"}


def test_a_read_only_server_leaves_the_index_file_as_it_was(cli, tmp_path):
    index = tmp_path / "ro.sqlite"
    assert cli("index", CORPUS / "003_ec39d6286021c7d9.txt", "--index", index).code == 0
    db = sqlite3.connect(index)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    before = index.read_bytes()
    with client_for_location(str(index)) as client:
        assert client.post("/api/check", json={"text": SAMPLE.read_text(encoding="utf-8")}).status_code == 200
        for path in ("/api/docs", "/api/phrases", "/api/status", "/api/pairs", "/library", "/phrases", "/status"):
            assert client.get(path).status_code == 200, path
    assert index.read_bytes() == before


def test_an_index_server_adds_uploads_under_their_names(cli, index_location):
    from chachong.web.config import ServeConfig

    assert cli("index", CORPUS / "003_ec39d6286021c7d9.txt", "--index", index_location).code == 0
    bank = corpus_line(*BANK)
    data = (CORPUS / BANK[0]).read_bytes()
    with client_for(ServeConfig(location=index_location, workers=1, allow_index=True)) as client:
        bad = client.post("/api/index", files={"file": ("图.txt", PNG)})
        assert bad.status_code == 400
        assert bad.json()["error"] == "upload/图.txt: binary file (a PNG image), not text"
        r = client.post("/api/index", files=[("file", ("银行/年报.txt", data))])
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["added"] == ["upload/年报.txt"]
        assert body["documents"] == 4
        again = client.post("/api/index", files=[("file", ("年报.txt", data))]).json()
        assert again["unchanged"] == ["upload/年报.txt"] and again["added"] == []
        files = [f["file"] for f in client.get("/api/docs").json()["files"]]
        assert len(files) == 2 and files[0].endswith("003_ec39d6286021c7d9.txt") and files[1] == "upload/年报.txt"
        result = client.post("/api/check", json={"text": bank.text}).json()
        copy = next(p for p in result["passages"] if p["kind"] == "copy")
        assert copy["source"]["file"] == "upload/年报.txt"
        assert copy["source"]["doc"] == "年报.txt#1"
        assert client.get("/api/status").json()["last_change"]["seen"] is not None


def test_an_index_upload_over_the_file_limit_gets_the_clis_message(cli, tmp_path):
    from chachong.text.reading import MAX_FILE_BYTES
    from chachong.web.config import ServeConfig

    index = tmp_path / "w.sqlite"
    assert cli("index", CORPUS / "003_ec39d6286021c7d9.txt", "--index", index).code == 0
    big = tmp_path / "大.txt"
    big.write_bytes("字".encode() * (MAX_FILE_BYTES // 3 + 1))
    problem = cli_error(cli, "index", big, "--index", index).removeprefix(f"{big}: ")
    with client_for(ServeConfig(location=str(index), allow_index=True)) as client:
        r = client.post("/api/index", files={"file": ("大.txt", big.read_bytes())})
        assert r.status_code == 413
        assert r.json() == {"error": f"upload/大.txt: {problem}", "kind": "too_large"}
        assert len(client.get("/api/docs").json()["files"]) == 1  # nothing was added
