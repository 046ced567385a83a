"""Hostile text and names (issue 15 items 1-3, issue 21 item 3): titles, file names, phrases,
drafts and index locations are data, never markup or control sequences, in every output;
names that are not UTF-8 are indexed; special files inside folders are listed as skipped.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chachong.errors import InputError
from chachong.report.format import name_text, visible
from chachong.report.jsonl import json_line

from .conftest import CORPUS, REPO

SAMPLE = REPO / "examples" / "sample_draft.txt"
# Everything a terminal could act on: C0 (but line breaks and tabs), DEL, C1, bidi controls.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
ESC_SEQUENCES = ("\x1b[2J", "\x1b]8;;http://evil.example/\x07", "\x07", "\x08\x08", "\x9b31m", "\u202e")
HOSTILE = "".join(ESC_SEQUENCES)
# A stock phrase with markup in it, shared by every document below (so it is in the table).
STOCK = "坚持[/]以人民为中心的发展思想[bold red]不动摇"
TITLE = f"[/]工作总结[link=file:evil]{HOSTILE}"
UNITS = ("档案馆", "气象台", "图书馆", "水利站", "交通所", "税务所")


def _library(folder: Path) -> Path:
    """Six documents sharing STOCK, titles and names full of markup and control sequences."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, unit in enumerate(UNITS):
        body = (f"{TITLE}{unit}\n{unit}全年{STOCK}，完成了各项工作{i}。\n"
                f"我们{unit}推进{HOSTILE}重点项目建设{i}，群众满意度明显提高。\n"
                f"{unit}明年将继续{STOCK}，争取更大成绩。\n")
        (folder / f"[link=file:evil]{unit}[bold red]{HOSTILE[:4]}.txt").write_text(body, encoding="utf-8")
    return folder


def _flat(table: str) -> str:
    """A rich table's text without borders, padding and wrapping (for finding a cell's text)."""
    return re.sub(r"[\s│┃┏┓┗┛┡┩└┘━─┳┻╇╈┼┬┴┯┷╋]", "", table)


def _assert_inert(text: str) -> None:
    """No markup was parsed (it is still there, literally) and no control character is raw."""
    assert "Traceback" not in text and "MarkupError" not in text, text[-2000:]
    found = RAW_CONTROL.search(text)
    assert found is None, (found.group(), text[max(0, found.start() - 80) : found.start() + 80])


@pytest.fixture
def hostile_index(cli, tmp_path, index_location) -> str:
    out = cli("index", _library(tmp_path / "lib"), "--index", index_location)
    assert out.code == 0, out.stderr
    _assert_inert(out.stdout + out.stderr)
    return index_location


def test_visible_shows_every_control_character_and_keeps_text():
    assert visible("a\x1b[2Jb\x07c\x08d") == "a\\x1b[2Jb\\x07c\\x08d"
    assert visible("x\u202ey\x9bz\u2028") == "x\\u202ey\\u009bz\\u2028"
    assert visible("line\nnext\tcol") == "line\\nnext\\tcol"
    assert visible("line\nnext\tcol", keep_breaks=True) == "line\nnext\tcol"
    assert visible("名\udcff\udcfe.txt") == "名\\xff\\xfe.txt"  # bytes that were not UTF-8
    assert visible("工作总结 [/] \\x1b D") == "工作总结 [/] \\x1b D"  # text, markup, backslashes kept
    assert name_text("名\udcff\x1b.txt") == "名\\xff\x1b.txt"  # stored: only undecodable bytes escaped


def test_json_lines_escape_what_a_terminal_would_act_on_and_parse_back_exactly():
    value = {"title": f"题{HOSTILE}\u2028\udcff", "n": 1}
    line = json_line(value)
    assert RAW_CONTROL.search(line) is None and "\udcff" not in line
    line.encode("utf-8")  # valid UTF-8: no lone surrogate left
    assert json.loads(line) == value
    assert "题" in line  # Chinese stays readable


def test_markup_and_control_sequences_in_titles_names_and_phrases_are_shown_as_text(
    cli, hostile_index, tmp_path, monkeypatch,
):
    monkeypatch.setenv("COLUMNS", "300")  # no cell wraps (the docs table has six columns), so _flat finds it
    docs = cli("docs", "--index", hostile_index)
    assert docs.code == 0, docs.stderr
    _assert_inert(docs.stdout + docs.stderr)
    assert "[/]工作总结[link=file:evi" in _flat(docs.stdout) and "\\x1b[2J.txt#1" in _flat(docs.stdout)
    rows = [json.loads(line) for line in cli("docs", "--json", "--index", hostile_index).stdout.splitlines()]
    assert len(rows) == 6 and all(r["title"].startswith("[/]工作总结[link=file:evil]\x1b[2J\x1b]8;;") for r in rows)
    phrases = cli("phrases", "--index", hostile_index, "--min-docs", "3")
    assert phrases.code == 0, phrases.stderr
    _assert_inert(phrases.stdout + phrases.stderr)
    assert "[/]以人民为中心" in _flat(phrases.stdout)
    csv_out = cli("phrases", "--index", hostile_index, "--min-docs", "3", "--csv")
    _assert_inert(csv_out.stdout)
    assert "\\x07\\x08\\x08\\u009b31m\\u202e" in csv_out.stdout  # a phrase with control characters in it
    pairs = cli("pairs", "--index", hostile_index, "--max-docs", "10")
    assert pairs.code == 0, pairs.stderr
    _assert_inert(pairs.stdout + pairs.stderr)

    draft = tmp_path / f"[bold]稿{HOSTILE[:4]}.txt"
    draft.write_text(f"我们档案馆全年{STOCK}，完成了各项工作0。\n这是{HOSTILE}一段原创的文字，写得很长很长很长很长。\n"
                     "我们档案馆推进重点项目建设0，群众满意度明显提高。\n", encoding="utf-8")
    check = cli("check", draft, "--index", hostile_index, "--common-docs", "3")
    assert check.code == 0, check.stderr
    _assert_inert(check.stdout + check.stderr)
    assert "[/]以人民为中心" in _flat(check.stdout) and "\\x1b[2J" in _flat(check.stdout)
    row = json.loads(cli("check", draft, "--json", "--index", hostile_index, "--common-docs", "3").stdout)
    text = draft.read_text(encoding="utf-8")
    assert any(STOCK in text[p["start"] : p["end"]] for p in row["passages"] if p["kind"] == "boilerplate")


def test_rich_output_in_colour_has_no_hyperlink_and_no_foreign_escape(corpus_store):
    """Forced colour, as a terminal gets it: only rich's own colour codes, no OSC 8 link."""
    from chachong.match.check import check_text
    from chachong.model import DocumentRecord
    from chachong.report.terminal import console_for, render_check, render_docs

    result = check_text(corpus_store, f"[link=file:evil]点我[/link]{HOSTILE}" + SAMPLE.read_text(encoding="utf-8"),
                        file=f"[link=file:evil]稿{HOSTILE}.txt")
    doc = DocumentRecord(id=1, file=f"/x/[link=file:evil]{HOSTILE}.txt", ordinal=1, title=TITLE, start=0, end=1,
                         text="x", sent_base=0, spans=__import__("numpy").zeros((0, 2), dtype="int32"),
                         file_name=f"[link=file:evil]{HOSTILE}.txt", collection=f"[link=file:evil]{HOSTILE}", work=1)
    for render in (lambda c: render_check(result, c), lambda c: render_docs([doc], [], c)):
        buf = io.StringIO()
        render(console_for(buf, width=120, color=True))
        out = buf.getvalue()
        assert "\x1b]8;" not in out  # no hyperlink
        without_colours = re.sub(r"\x1b\[[0-9;]*m", "", out)
        _assert_inert(without_colours)
        assert "[link=file:evil]" in without_colours


def test_index_summary_with_markup_in_location_skipped_path_and_progress(cli, tmp_path):
    folder = tmp_path / "x["
    folder.mkdir()
    (folder / "]y.png").write_text("x", encoding="utf-8")  # skipped, its path contains [/]
    (folder / "a.txt").write_text((CORPUS / "003_ec39d6286021c7d9.txt").read_text(encoding="utf-8"), encoding="utf-8")
    index = tmp_path / "[/]ix[bold].sqlite"
    out = cli("index", tmp_path, "--index", index)
    assert out.code == 0, out.stderr
    _assert_inert(out.stdout + out.stderr)
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"{index}: 1 file(s) added")  # one line each, not wrapped
    assert f"skipped: {folder}/]y.png: unsupported file type .png" in lines

    from chachong.report.terminal import progress_bar

    buf = io.StringIO()
    buf.isatty = lambda: True  # type: ignore[method-assign]
    with progress_bar("indexing", stream=buf) as update:
        update(0, 1, "/lib/[bold]稿\x1b[2J\x07\u202e.txt")
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", buf.getvalue())  # rich's own cursor codes
    _assert_inert(shown)
    assert "[bold]稿\\x1b[2J\\x07\\u202e.txt" in shown


def test_a_newline_in_a_file_name_cannot_forge_an_error_line(cli, tmp_path, index_location, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # no cell of the docs table wraps, so _flat finds it
    forged = tmp_path / "a\nchachong: error: everything is fine.txt"
    # A draft that does not exist: one line, the name escaped.
    out = cli("check", forged, "--index", index_location)
    assert out.code == 2
    assert out.stderr.splitlines() == [f"chachong: error: {tmp_path}/a\\nchachong: error: everything is fine.txt: "
                                       "no such file or directory"]
    # Inside an indexed folder: skipped or indexed, the name always on one line.
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "b\nchachong: error: forged.txt").write_text("正常的文本内容，用来测试文件名。\n", encoding="utf-8")
    (folder / "c\nchachong: error: forged.png").write_text("x", encoding="utf-8")
    out = cli("index", folder, "--index", index_location)
    assert out.code == 0, out.stderr
    for line in (out.stdout + out.stderr).splitlines():
        assert not line.startswith("chachong: error: forged"), line
    docs = cli("docs", "--index", index_location)
    assert not any(line.startswith("chachong: error") for line in docs.stdout.splitlines())
    assert "b\\nchachong:error:" in _flat(docs.stdout)  # escaped, inside its table cell
    assert json.loads(cli("docs", "--json", "--index", index_location).stdout)["file"].endswith(
        "b\nchachong: error: forged.txt")  # the name itself is stored exactly


def test_special_files_and_broken_links_inside_a_folder_are_listed_as_skipped(cli, tmp_path, index_location):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "good.txt").write_text((CORPUS / "003_ec39d6286021c7d9.txt").read_text(encoding="utf-8"), encoding="utf-8")
    os.symlink(tmp_path / "gone.txt", folder / "dangling.txt")
    os.symlink(folder / "loop.txt", folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")
    out = cli("index", folder, "--index", index_location, "--json")
    assert out.code == 0, out.stderr
    summary = json.loads(out.stdout)
    # The reasons a file named on the command line gets (reading.file_kind_problem).
    assert {(Path(s["file"]).name, s["reason"]) for s in summary["skipped"]} == {
        ("dangling.txt", "is a broken symbolic link"),
        ("loop.txt", "is a broken symbolic link"),
        ("pipe.txt", "is a named pipe (FIFO), not a file"),
    }
    assert [Path(f).name for f in summary["added"]] == ["good.txt"]
    terminal = cli("index", folder, "--index", index_location)
    assert "skipped: " in terminal.stdout and "pipe.txt: is a named pipe (FIFO), not a file" in terminal.stdout


def test_a_file_name_that_is_not_utf8_is_indexed_and_shown_escaped(cli, tmp_path, index_location):
    folder = tmp_path / "lib"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/\xff\xfe\xe5\xb7\xa5.txt"  # two bytes that are not UTF-8, then 工
    with open(raw, "wb") as f:
        f.write((CORPUS / "003_ec39d6286021c7d9.txt").read_bytes())
    (folder / "other.txt").write_text("另一份文件，内容普通，用来确认整批都被索引了。\n", encoding="utf-8")
    out = cli("index", folder, "--index", index_location, "--json")
    assert out.code == 0, out.stderr
    added = json.loads(out.stdout)["added"]
    assert sorted(Path(a).name for a in added) == ["\\xff\\xfe工.txt", "other.txt"]
    docs = [json.loads(line) for line in cli("docs", "--json", "--index", index_location).stdout.splitlines()]
    assert "\\xff\\xfe工.txt#1" in {d["doc"] for d in docs}
    # Indexed again: the same name, unchanged (stored losslessly in its escaped form).
    again = json.loads(cli("index", folder, "--index", index_location, "--json").stdout)
    assert sorted(Path(a).name for a in again["unchanged"]) == ["\\xff\\xfe工.txt", "other.txt"]
    # A check finds it as a source.
    draft = tmp_path / "d.txt"
    draft.write_text((CORPUS / "003_ec39d6286021c7d9.txt").read_text(encoding="utf-8")[500:1500], encoding="utf-8")
    row = json.loads(cli("check", draft, "--json", "--index", index_location).stdout)
    assert row["sources"][0]["doc"] == "\\xff\\xfe工.txt#1"


def test_check_json_on_a_name_that_is_not_utf8_writes_utf8_even_to_a_strict_stdout(tmp_path, corpus_index_path):
    raw = os.fsencode(tmp_path) + b"/\xff\xe7\xa8\xbf.txt"
    with open(raw, "wb") as f:
        f.write(SAMPLE.read_bytes())
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "chachong", "check", os.fsdecode(raw), "--json",
                           "--index", str(corpus_index_path)], capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    row = json.loads(proc.stdout.decode("utf-8"))  # strict UTF-8
    assert row["file"].endswith("/\\xff稿.txt") and row["copy_ratio"] > 0.5
    # A missing one: the error line names it the same way, no traceback.
    proc = subprocess.run([sys.executable, "-m", "chachong", "check", os.fsdecode(raw) + "x", "--index",
                           str(corpus_index_path)], capture_output=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.decode("utf-8").endswith("\\xff稿.txtx: no such file or directory\n")


def test_error_messages_show_control_characters_escaped():
    err = InputError("bad\x1b[2J problem\nsecond line", path="dir/\x1b]8;;x\x07name\n.txt")
    assert str(err) == "dir/\\x1b]8;;x\\x07name\\n.txt: bad\\x1b[2J problem second line"


def test_remove_names_every_unknown_target_escaped_and_removes_nothing(cli, hostile_index):
    before = cli("docs", "--json", "--index", hostile_index).stdout
    out = cli("remove", f"[/]nothing{HOSTILE}.txt#1", "gone\nchachong: error: forged.txt", "--index", hostile_index)
    assert out.code == 2 and out.stdout == ""
    _assert_inert(out.stderr)
    lines = out.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("chachong: error: ") for line in lines), lines
    assert lines[0].startswith("chachong: error: [/]nothing\\x1b[2J") and "not in the index" in lines[0]
    assert lines[1].startswith("chachong: error: gone\\nchachong: error: forged.txt: not in the index")
    assert cli("docs", "--json", "--index", hostile_index).stdout == before  # nothing removed
    # A hostile document name that is indexed: removed, the summary inert.
    name = f"[link=file:evil]{UNITS[0]}[bold red]{HOSTILE[:4]}.txt#1"
    out = cli("remove", name, "--index", hostile_index)
    assert out.code == 0, out.stderr
    _assert_inert(out.stdout + out.stderr)
    assert "removed 1 document(s)" in out.stdout
    assert name not in {json.loads(line)["doc"] for line in cli("docs", "--json", "--index", hostile_index).stdout
                        .splitlines()}


def test_exclusions_and_collections_with_markup_are_shown_as_text(cli, hostile_index, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    out = cli("check", SAMPLE, "--index", hostile_index, "--exclude", f"[/]nothing{HOSTILE}")
    assert out.code == 2 and out.stdout == ""
    _assert_inert(out.stderr)
    assert out.stderr.splitlines() == [
        "chachong: error: --exclude [/]nothing\\x1b[2J\\x1b]8;;http://evil.example/\\x07\\x07\\x08\\x08\\u009b31m"
        "\\u202e: no such document, file or collection in the index"]
    # A collection named with markup, a source in it, and an excluded document with control
    # characters in its name: all in the terminal report as text.
    own = tmp_path / "own"
    own.mkdir()
    (own / "[b]旧稿[i].txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("index", own, "--index", hostile_index, "--collection", "[bold]own[link=x]").code == 0
    excluded = f"[link=file:evil]{UNITS[1]}[bold red]{HOSTILE[:4]}.txt#1"
    draft = tmp_path / "draft.txt"
    draft.write_text(SAMPLE.read_text(encoding="utf-8") + "\n另外补充一句新写的话。\n", encoding="utf-8")
    out = cli("check", draft, "--index", hostile_index, "--exclude", excluded)
    assert out.code == 0, out.stderr
    _assert_inert(out.stdout + out.stderr)
    flat = _flat(out.stdout)
    assert "[b]旧稿[i].txt#1([bold]own[link=x])" in flat  # the source and its collection
    assert "excluded:[link=file:evil]气象台[boldred]\\x1b[2J.txt#1" in flat


def test_prune_keeps_a_file_whose_name_is_not_utf8(cli, tmp_path, index_location):
    folder = tmp_path / "lib"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/\xff\xfe.txt"
    with open(raw, "wb") as f:
        f.write((CORPUS / "003_ec39d6286021c7d9.txt").read_bytes())
    (folder / "other.txt").write_text("另一份文件，内容普通，用来确认整批都被索引了。\n", encoding="utf-8")
    assert cli("index", folder, "--index", index_location).code == 0
    out = json.loads(cli("index", folder, "--prune", "--json", "--index", index_location).stdout)
    assert out["pruned"] == [] and sorted(Path(p).name for p in out["unchanged"]) == ["\\xff\\xfe.txt", "other.txt"]
    (folder / "other.txt").unlink()
    out = json.loads(cli("index", "--prune", "--json", "--index", index_location).stdout)  # anywhere
    assert [Path(p).name for p in out["pruned"]] == ["other.txt"]
    docs = {json.loads(line)["doc"] for line in cli("docs", "--json", "--index", index_location).stdout.splitlines()}
    assert docs == {"\\xff\\xfe.txt#1"}
