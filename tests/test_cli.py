from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from .conftest import REPO

SAMPLE = REPO / "examples" / "sample_draft.txt"


def test_check_json_contract(cli, corpus_index_path):
    out = cli("check", SAMPLE, "--json", "--index", corpus_index_path)
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    text = SAMPLE.read_text(encoding="utf-8")
    assert row["file"] == str(SAMPLE)
    assert row["chars"] == len(text)
    assert 0.5 < row["copy_ratio"] < 0.9
    assert "党建" not in lines[0] or "\\u" not in lines[0]  # Chinese stays readable
    copies = [p for p in row["passages"] if p["kind"] == "copy"]
    assert [p["source"]["doc"] for p in copies] == [
        "004_3442f27f9ba37306.txt#2", "000_8b880e3bb4cd86c7.txt#1", "002_5c485a01b3fa9e27.txt#2",
    ]
    # the stock phrase in the original opening paragraph is boilerplate, with no source
    stock = [p for p in row["passages"] if p["kind"] == "boilerplate"]
    assert [text[p["start"] : p["end"]] for p in stock] == ["在县委、县政府"]
    assert stock[0]["source"] is None and stock[0]["common_to"] >= 4
    assert 0 < row["boilerplate_ratio"] < 0.02
    for p in copies:
        assert set(p) >= {"start", "end", "kind", "score", "source"}
        assert set(p["source"]) >= {"file", "title", "start", "end"}
        source_text = (REPO / p["source"]["file"]).read_text(encoding="utf-8")
        assert source_text[p["source"]["start"] : p["source"]["end"]]
        assert text[p["start"] : p["end"]]


def test_check_several_drafts_one_line_each(cli, corpus_index_path, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("这是一篇完全原创的短文，用来确认多个文件各占一行输出。", encoding="utf-8")
    out = cli("check", SAMPLE, other, "--json", "--index", corpus_index_path)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["file"] for r in rows] == [str(SAMPLE), str(other)]
    assert rows[1]["copy_ratio"] == 0.0 and rows[1]["passages"] == []


def test_fail_over_exit_codes(cli, corpus_index_path):
    assert cli("check", SAMPLE, "--json", "--fail-over", "0.5", "--index", corpus_index_path).code == 1
    assert cli("check", SAMPLE, "--json", "--fail-over", "0.95", "--index", corpus_index_path).code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.txt"], "missing.txt: no such file or directory"),
        (["check", "{corpus}"], "corpus: is a directory, expected a file"),
        (["check", "{sample}", "--fail-over", "7"], "--fail-over takes a ratio between 0 and 1"),
        (["index", "missing-folder"], "missing-folder: no such file or directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, corpus_index_path, args, message):
    args = [a.format(corpus=REPO / "corpus", sample=SAMPLE) for a in args]
    out = cli(*args, "--index", corpus_index_path)
    assert out.code == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_usage_errors_exit_2(cli):
    assert cli("check").code == 2
    assert cli("no-such-command").code == 2


def test_corrupt_and_foreign_index_files(cli, tmp_path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not an index" * 100)
    out = cli("docs", "--index", garbage)
    assert out.code == 2 and "garbage.sqlite" in out.stderr and "Traceback" not in out.stderr
    future = tmp_path / "future.sqlite"
    db = sqlite3.connect(future)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('schema_version', '999')")
    db.commit()
    db.close()
    out = cli("check", SAMPLE, "--index", future)
    assert out.code == 2 and "incompatible version" in out.stderr


def test_bad_file_in_index_run_writes_nothing(cli, tmp_path, corpus_index_path):
    index = tmp_path / "i.sqlite"
    assert cli("index", REPO / "corpus" / "003_ec39d6286021c7d9.txt", "--index", index).code == 0
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"PK\x03\x04 not really text")
    out = cli("index", REPO / "corpus" / "000_8b880e3bb4cd86c7.txt", bad, "--index", index)
    assert out.code == 2 and "bad.txt: binary file (a zip archive)" in out.stderr
    docs = cli("docs", "--json", "--index", index)
    assert [json.loads(line)["doc"] for line in docs.stdout.splitlines()] == ["003_ec39d6286021c7d9.txt#1"]


def test_default_index_is_built_from_bundled_corpus(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = cli("check", SAMPLE, "--json")
    assert out.code == 0, out.stderr
    assert (tmp_path / "cache" / "chachong" / "index.sqlite").exists()
    assert [p["kind"] for p in json.loads(out.stdout)["passages"]].count("copy") == 3


def test_environment_variable_selects_index(cli, tmp_path, monkeypatch):
    index = tmp_path / "env.sqlite"
    monkeypatch.setenv("CHACHONG_INDEX", str(index))
    assert cli("index", REPO / "corpus" / "003_ec39d6286021c7d9.txt").code == 0
    docs = cli("docs", "--json")
    assert len(docs.stdout.splitlines()) == 1


def test_console_script_runs_from_another_folder(tmp_path):
    """The installed command works from any folder, with no options (default index)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("CHACHONG_INDEX", None)
    proc = subprocess.run(
        [sys.executable, "-m", "chachong", "check", str(SAMPLE), "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["copy_ratio"] > 0.5
    proc = subprocess.run(
        [sys.executable, "-m", "chachong", "check", "nope.txt"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "chachong: error: nope.txt: no such file or directory"
