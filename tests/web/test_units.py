"""The web package's small parts: what an upload is taken for, its name, the layering."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest

from chachong.web.uploads import clean_name, label, sniff_suffix


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "suffix"), [
    ("总结".encode(), ".txt"),
    ("总结".encode("gb18030"), ".txt"),
    (b"\x89PNG\r\n\x1a\n", ".txt"),  # the text reader names what it is: "binary file (a PNG image)"
    (_zip("[Content_Types].xml", "word/document.xml"), ".docx"),
    (_zip("OFD.xml", "Doc_0/Document.xml"), ".ofd"),
    (_zip("readme.txt"), ".zip"),
    (b"PK\x03\x04broken", ".zip"),
    (b"%PDF-1.7\n", ".pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16), ".doc"),
    (b"{\\rtf1\\ansi", ".rtf"),
])
def test_an_upload_is_typed_by_its_content(data, suffix):
    assert sniff_suffix(data) == suffix


@pytest.mark.parametrize(("sent", "shown"), [
    ("草稿.docx", "草稿.docx"),
    ("C:\\Users\\王\\草稿.docx", "草稿.docx"),
    ("../../etc/passwd", "passwd"),
    ("..", "draft"),
    ("", "draft"),
    (None, "draft"),
    ("a\x00b\u202ec.txt", "abc.txt"),  # NUL and a right-to-left override: gone
    ("x" * 500, "x" * 120),
])
def test_a_file_name_is_only_a_label(sent, shown):
    assert label(sent, default="draft") == shown


def test_a_name_given_in_json_keeps_its_folders():
    assert clean_name("examples/sample_draft.txt", default="<draft>") == "examples/sample_draft.txt"
    assert clean_name("\n\t", default="<draft>") == "<draft>"


def test_the_web_package_uses_neither_typer_nor_rich_and_workers_load_no_web_framework():
    code = (
        "import sys, chachong.web.app, chachong.web.server\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = (
        "import sys, chachong.web.jobs\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'fastapi', 'starlette', 'jinja2'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_kept_results_are_bounded_by_count_size_and_age(monkeypatch):
    from chachong import CheckResult
    from chachong.web import results

    def result(chars: int) -> CheckResult:
        return CheckResult(file="d", text="字" * chars, chars=chars, content_chars=chars, copy_ratio=0.0, copy_ratio_excluding_quotation=0.0,
                           copy_ratio_excluding_own=0.0, boilerplate_ratio=0.0, max_source_share=0.0, passages=(), sources=())

    store = results.ResultStore(keep=3, seconds=60, max_bytes=4 * 1000)
    keys = [store.add(result(100)) for _ in range(5)]
    assert [store.get(k) is not None for k in keys] == [False, False, True, True, True]  # the newest 3
    big = store.add(result(900))  # 3,600 bytes: room for it and one older result of 400
    assert store.get(big) is not None
    assert [store.get(k) is not None for k in keys[2:]] == [False, False, True]
    huge = store.add(result(10_000))  # over the limit alone: the newest is kept all the same
    assert store.get(huge) is not None and store.get(big) is None
    now = results.time.monotonic()
    monkeypatch.setattr(results.time, "monotonic", lambda: now + 61)
    fresh = store.add(result(1))
    assert store.get(huge) is None and store.get(fresh) is not None


def test_what_the_server_logs_passes_through_the_one_sanitizer():
    """uvicorn's records (a request line quotes the path as sent: %1b decodes to ESC) and an
    error's traceback: control characters shown as escapes, a registered password blanked."""
    import logging

    from chachong.errors import register_secret
    from chachong.web.server import VisibleRecords, log_config

    register_secret("s3cret-pass")
    access = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/x\x1b[2J\u202e?k=s3cret-pass", "1.1", 404), None)
    assert VisibleRecords().filter(access)
    assert access.getMessage() == '127.0.0.1:5 - "GET /x\\x1b[2J\\u202e?k=*** HTTP/1.1" 404'
    try:
        raise ValueError("bad \x07 value s3cret-pass")
    except ValueError:
        import sys as _sys

        error = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in %s", ("/a\x1b",),
                                  _sys.exc_info())
    VisibleRecords().filter(error)
    out = logging.Formatter().format(error)
    assert out.startswith("Exception in /a\\x1b\nTraceback") and "bad \\x07 value ***" in out
    assert "\x07" not in out and "s3cret-pass" not in out
    # Every handler of uvicorn's set-up has the filter.
    config = log_config()
    assert config["handlers"] and all(h["filters"] == ["visible"] for h in config["handlers"].values())


def test_the_api_writes_json_as_check_json_does():
    """Chinese readable, C1 controls, bidi overrides and line separators escaped."""
    import json

    from chachong.web.app import _json_response

    data = {"title": "工作总结\u202e\x9b31m\u2028", "n": 1}
    body = _json_response(data).body.decode("utf-8")
    assert "工作总结" in body and "\\u202e\\u009b31m\\u2028" in body
    assert json.loads(body) == data
