"""The index's lifecycle: remove, prune, collections, a missing or empty index, stopped first runs."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

from chachong.bench.library import generate_library
from chachong.store import open_store, store_exists

from ..conftest import CORPUS, fresh_redis_url
from ..fixtures_inputs import assert_one_line_error

SMALL = CORPUS / "003_ec39d6286021c7d9.txt"


def _docs(cli, location) -> list[dict]:
    out = cli("docs", "--json", "--index", location)
    assert out.code == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def _state(location):
    with open_store(location) as store:
        return [(d.name, d.work, d.collection) for d in store.documents()], store.library_info().works


# -- remove ---------------------------------------------------------------------------------
def test_remove_takes_out_files_folders_and_documents(cli, index_location, corpus_copy):
    assert cli("index", corpus_copy, "--index", index_location).code == 0
    assert len(_docs(cli, index_location)) == 49
    out = cli("remove", corpus_copy / "000_8b880e3bb4cd86c7.txt", "002_5c485a01b3fa9e27.txt",
              "004_3442f27f9ba37306.txt#2", "004_3442f27f9ba37306.txt#3", "--json", "--index", index_location)
    assert out.code == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["removed"] == 4 + 17 + 2 and summary["documents"] == 49 - 23
    assert summary["removed_documents"] == ["004_3442f27f9ba37306.txt#2", "004_3442f27f9ba37306.txt#3"]
    docs = [d["doc"] for d in _docs(cli, index_location)]
    assert not any(d.startswith(("000_", "002_")) for d in docs)
    assert [d for d in docs if d.startswith("004_")] == [f"004_3442f27f9ba37306.txt#{i}" for i in (1, *range(4, 15))]
    # A document taken out of a file that stays is not added back by the next run (the file is unchanged).
    out = json.loads(cli("index", corpus_copy, "--json", "--index", index_location).stdout)
    assert sorted(out["added"]) == sorted(str((corpus_copy / n).resolve()) for n in ("000_8b880e3bb4cd86c7.txt",
                                                                                     "002_5c485a01b3fa9e27.txt"))
    assert len(_docs(cli, index_location)) == 49 - 2
    # A folder: every indexed file in it.
    assert cli("remove", corpus_copy, "--index", index_location).code == 0
    assert _docs(cli, index_location) == []


def test_remove_with_an_unknown_target_removes_nothing(cli, index_location, corpus_copy):
    assert cli("index", corpus_copy, "--index", index_location).code == 0
    before = _state(index_location)
    out = cli("remove", "001_e5cfe61341d97502.txt", "nothing.txt#4", "--index", index_location)
    assert_one_line_error(out, "nothing.txt#4", "not in the index")
    assert _state(index_location) == before


def test_check_against_an_index_with_no_documents_is_an_error(cli, index_location, tmp_path):
    assert cli("index", SMALL, "--index", index_location).code == 0
    assert cli("remove", SMALL, "--index", index_location).code == 0
    draft = tmp_path / "d.txt"
    draft.write_text("我们坚持把抓实调查研究作为推动主题教育有效开展的重要举措。\n", encoding="utf-8")
    out = cli("check", draft, "--index", index_location)
    assert_one_line_error(out, "", "the index holds no documents; add some with: chachong index PATH --index")
    assert "0.0%" not in out.stdout


# -- prune, collections -----------------------------------------------------------------------
def test_prune_drops_files_gone_from_the_folder(cli, index_location, corpus_copy):
    assert cli("index", corpus_copy, "--index", index_location).code == 0
    (corpus_copy / "001_e5cfe61341d97502.txt").unlink()
    out = cli("index", corpus_copy, "--index", index_location, "--json")
    assert json.loads(out.stdout)["pruned"] == [] and len(_docs(cli, index_location)) == 49  # not without --prune
    out = cli("index", corpus_copy, "--prune", "--index", index_location, "--json")
    assert out.code == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["pruned"] == [str((corpus_copy / "001_e5cfe61341d97502.txt").resolve())]
    assert len(_docs(cli, index_location)) == 49 - 13
    assert cli("index", "--prune", "--index", index_location).code == 0  # no path: anything gone from disk


def test_collections(cli, index_location, tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    shutil.copy(SMALL, own / "2018.txt")
    assert cli("index", CORPUS / "000_8b880e3bb4cd86c7.txt", "--index", index_location).code == 0
    assert cli("index", own, "--collection", "own", "--index", index_location).code == 0
    docs = _docs(cli, index_location)
    assert {d["doc"]: d["collection"] for d in docs} == {
        **{f"000_8b880e3bb4cd86c7.txt#{i}": "library" for i in range(1, 5)}, "2018.txt#1": "own",
    }
    shown = cli("docs", "--index", index_location).stdout
    assert "collections: library 4, own 1" in " ".join(shown.split())
    # Indexed again with another --collection, an unchanged file moves; without one, it stays.
    out = json.loads(cli("index", own, "--collection", "quotation", "--json", "--index", index_location).stdout)
    assert out["moved"] == [str((own / "2018.txt").resolve())]
    assert cli("index", own, "--index", index_location).code == 0
    assert {d["collection"] for d in _docs(cli, index_location) if d["doc"] == "2018.txt#1"} == {"quotation"}
    out = cli("index", own, "--collection", "my own", "--index", index_location)
    assert_one_line_error(out, "", "--collection takes a name")


# -- a location holding no index --------------------------------------------------------------
@pytest.mark.parametrize("command", ["docs", "check", "phrases", "pairs", "remove"])
def test_a_location_with_no_index_is_an_error_not_the_demo_library(cli, tmp_path, command, monkeypatch):
    args = {"docs": (), "check": (CORPUS / "003_ec39d6286021c7d9.txt",), "phrases": (), "pairs": (),
            "remove": ("x.txt#1",)}[command]
    where = tmp_path / "nonexistent" / "lib.sqlite"
    out = cli(command, *args, "--index", where)
    assert_one_line_error(out, "", f"no index at {where}; create it with: chachong index PATH --index {where}")
    # A misspelt CHACHONG_INDEX is the same error, for every reviewer using it.
    monkeypatch.setenv("CHACHONG_INDEX", str(tmp_path / "typo.sqlite"))
    out = cli(command, *args)
    assert_one_line_error(out, "", "no index at")
    assert not where.parent.exists() and not (tmp_path / "typo.sqlite").exists()


def test_an_empty_redis_database_is_not_filled_with_the_demo_library(cli, redis_server):
    url = fresh_redis_url(redis_server)
    keys_before = redis_server.client().dbsize()
    out = cli("check", SMALL, "--index", url)
    assert_one_line_error(out, "", "no index at redis://")
    assert redis_server.client().dbsize() == keys_before and not store_exists(url)


def test_only_the_default_location_gets_the_bundled_corpus(cli):
    out = cli("docs", "--json")  # neither --index nor CHACHONG_INDEX: the per-user index, built on first use
    assert out.code == 0 and len(out.stdout.splitlines()) == 49


# -- a first run stopped half-way ---------------------------------------------------------------
@pytest.mark.parametrize(("signum", "code", "line"), [
    (signal.SIGTERM, 143, "chachong: terminated"), (signal.SIGINT, 130, "chachong: interrupted"),
])
def test_a_first_run_stopped_half_way_leaves_no_index(index_location, tmp_path, signum, code, line):
    library = generate_library(3_000_000, tmp_path / "gen")  # long enough to be stopped while running
    process = subprocess.Popen(
        [sys.executable, "-m", "chachong", "index", str(library.path), "--index", index_location],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not store_exists(index_location):  # the run has created the index: stop it now
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert stderr.strip().splitlines() == [line] and stdout == ""
    assert not store_exists(index_location)
    assert not list(tmp_path.glob("index.sqlite*"))
