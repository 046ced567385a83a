"""Exit codes, pipes, missing extras, options that name nothing, shared scratch files and the
wait for a Redis writer's lease (issue 15 items 8, 9, 12, 13)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chachong

from .conftest import CORPUS, REPO

SAMPLE = REPO / "examples" / "sample_draft.txt"


def _run(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chachong", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, **kw)


# -- 8: a missing optional dependency ----------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["index", str(CORPUS / "003_ec39d6286021c7d9.txt")], ["docs"], ["check", str(SAMPLE)], ["phrases"], ["pairs"],
])
def test_redis_index_without_the_redis_extra_is_one_line_naming_the_extra(args, tmp_path):
    """As if installed without ``chachong[redis]``: importing redis fails."""
    code = ("import sys; sys.modules['redis'] = None\n"  # `import redis` now raises ImportError
            "from chachong.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, *args, "--index", "redis://:pw1234@127.0.0.1:1/0"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "chachong: error: a redis:// index needs the redis client: pip install 'chachong[redis]'\n"
    assert proc.stdout == ""


# -- 9: exit codes and pipes -------------------------------------------------------------------
@pytest.mark.parametrize("args", [["docs"], ["check", str(SAMPLE)], ["docs", "--json"], ["phrases", "--top", "50"]])
def test_a_reader_that_closes_the_pipe_early_ends_the_command_quietly(args, corpus_index_path):
    proc = subprocess.Popen([sys.executable, "-m", "chachong", *args, "--index", str(corpus_index_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # `| head -1`: one line, then the reader is gone
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 141)
    assert err == ""  # no traceback, no "Exception ignored"


def test_fail_over_names_each_draft_above_the_ratio(cli, corpus_index_path, tmp_path):
    original = tmp_path / "original.txt"
    original.write_text("这是一篇完全原创的短文，用来确认它不会超过阈值，也不会被列出来。", encoding="utf-8")
    out = cli("check", SAMPLE, original, "--json", "--fail-over", "0.5", "--index", corpus_index_path)
    assert out.code == 1
    assert len(out.stdout.splitlines()) == 2  # both reports
    assert out.stderr.splitlines() == [f"chachong: {SAMPLE}: copy ratio 76.1% is above --fail-over 50.0%"]
    assert cli("check", original, "--fail-over", "0.5", "--index", corpus_index_path).stderr == ""


def test_a_batch_with_bad_drafts_checks_every_good_one_and_exits_2(cli, corpus_index_path, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    other = tmp_path / "other.txt"
    other.write_text("另一篇原创的短文，和语料库没有什么关系，只是用来凑数的。", encoding="utf-8")
    out = cli("check", empty, SAMPLE, tmp_path / "missing.txt", other, "--json", "--fail-over", "0.5",
              "--index", corpus_index_path)
    assert out.code == 2  # bad input outranks --fail-over
    assert [json.loads(line)["file"] for line in out.stdout.splitlines()] == [str(SAMPLE), str(other)]
    assert out.stderr.splitlines() == [
        f"chachong: error: {empty}: file is empty",
        f"chachong: error: {tmp_path / 'missing.txt'}: no such file or directory",
        f"chachong: {SAMPLE}: copy ratio 76.1% is above --fail-over 50.0%",
    ]


def test_version(cli):
    out = cli("--version")
    assert out.code == 0 and out.stdout == f"chachong {chachong.__version__}\n"


# -- 13: an empty --index; a Redis writer that died --------------------------------------------
@pytest.mark.parametrize("command", [["docs"], ["check", str(SAMPLE)], ["index", str(SAMPLE)], ["phrases"], ["pairs"]])
def test_an_empty_index_option_is_an_error_not_the_default_index(cli, tmp_path, command):
    out = cli(*command, "--index", "")
    assert out.code == 2 and out.stdout == ""
    assert out.stderr == ("chachong: error: --index is empty: give an index file or a redis:// URL "
                          "(or leave the option out)\n")
    assert not (tmp_path / "cache" / "chachong" / "index.sqlite").exists()


def test_index_says_it_waits_for_a_dead_writers_lease_and_for_whom(redis_server, tmp_path):
    from .conftest import fresh_redis_url

    url = fresh_redis_url(redis_server)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = _run("index", CORPUS / "003_ec39d6286021c7d9.txt", "--index", url, env=env)
    assert first.returncode == 0, first.stderr
    prefix = url.split("prefix=")[1].split("&")[0]
    lock, holder = f"{{{prefix}}}:lock", f"{{{prefix}}}:lock:holder"
    with redis_server.client() as c:  # what a writer killed mid-run leaves: its lock, its name
        c.set(lock, "dead-token", px=5000)
        c.set(holder, json.dumps({"host": "build-7", "pid": 4242, "since": 1_700_000_000}), px=5000)
    t0 = time.monotonic()
    out = _run("index", CORPUS / "000_8b880e3bb4cd86c7.txt", "--index", url, env=env)
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - t0 > 4  # it did wait for the lease (and said so after 2 s)
    [line] = out.stderr.splitlines()
    assert line.startswith(f"chachong: {url}: waiting for the write lock, held by build-7 pid 4242 since ")
    assert re.search(r"; its lease ends in [0-3] s unless renewed \(a writer that died frees it then; "
                     r"giving up after 120 s\)$", line), line
    with redis_server.client() as c:  # released, with its holder record
        assert not c.exists(lock) and not c.exists(holder)


def test_remove_and_a_collection_change_wait_for_the_lock_the_same_way(redis_server, tmp_path):
    """Every write takes the one lock (main's remove and index --collection too): the same
    notice naming the holder, the lock and its record released after."""
    from .conftest import fresh_redis_url

    url = fresh_redis_url(redis_server)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = _run("index", CORPUS / "003_ec39d6286021c7d9.txt", CORPUS / "000_8b880e3bb4cd86c7.txt", "--index", url,
                 env=env)
    assert first.returncode == 0, first.stderr
    prefix = url.split("prefix=")[1].split("&")[0]
    lock, holder = f"{{{prefix}}}:lock", f"{{{prefix}}}:lock:holder"
    for args in (["index", CORPUS / "003_ec39d6286021c7d9.txt", "--collection", "own"],
                 ["remove", "000_8b880e3bb4cd86c7.txt#1"]):
        with redis_server.client() as c:
            c.set(lock, "dead-token", px=3000)
            c.set(holder, json.dumps({"host": "build-7", "pid": 4242, "since": 1_700_000_000}), px=3000)
        out = _run(*args, "--index", url, env=env)
        assert out.returncode == 0, out.stderr
        [line] = out.stderr.splitlines()
        assert line.startswith(f"chachong: {url}: waiting for the write lock, held by build-7 pid 4242 since "), line
        with redis_server.client() as c:
            assert not c.exists(lock) and not c.exists(holder)
    docs = [json.loads(row) for row in _run("docs", "--json", "--index", url, env=env).stdout.splitlines()]
    collections = {d["doc"]: d["collection"] for d in docs}
    assert "000_8b880e3bb4cd86c7.txt#1" not in collections and collections["003_ec39d6286021c7d9.txt#1"] == "own"


# -- 12: jieba's dictionary cache --------------------------------------------------------------
def test_jiebas_cache_is_kept_in_the_per_user_folder_and_a_foreign_one_is_ignored(tmp_path, corpus_index_path):
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    planted = shared_tmp / "jieba.cache"
    planted.write_bytes(b"another user's file, not a marshal dump")
    os.chmod(planted, 0o444)
    cache = tmp_path / "cache"
    index = tmp_path / "i.sqlite"
    out = _run("index", CORPUS / "003_ec39d6286021c7d9.txt", CORPUS / "000_8b880e3bb4cd86c7.txt", "--index", index,
               env={"TMPDIR": str(shared_tmp), "XDG_CACHE_HOME": str(cache)})
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # no "Dump cache file failed" traceback, no jieba chatter
    assert (cache / "chachong" / "jieba.cache").stat().st_size > 1_000_000
    assert (cache / "chachong").stat().st_mode & 0o077 == 0  # private to the user
    assert planted.read_bytes() == b"another user's file, not a marshal dump"
    assert sorted(p.name for p in shared_tmp.iterdir()) == ["jieba.cache"]


def test_an_unwritable_cache_folder_costs_no_traceback(tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("a file where the folder should be", encoding="utf-8")
    index = tmp_path / "i.sqlite"
    out = _run("index", CORPUS, "--index", index,  # the phrase table of the corpus loads jieba
               env={"XDG_CACHE_HOME": str(cache), "TMPDIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert not (tmp_path / "jieba.cache").exists()  # not in the shared folder either
    assert json.loads(_run("phrases", "--json", "--index", index, env={"XDG_CACHE_HOME": str(cache)}).stdout
                      .splitlines()[0])["phrase"] == "D的二十大精神"


def test_interrupt_and_terminate_are_one_line_each(tmp_path):
    """SIGINT and SIGTERM while indexing: one line, 130/143, and the index as it was (here:
    a first run leaves none). The crash-loop test does this at random moments, both backends."""
    import signal

    lib = tmp_path / "lib"
    lib.mkdir()
    for f in CORPUS.iterdir():
        (lib / f.name).write_bytes(f.read_bytes())
    for sig, code, word in ((signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")):
        index = tmp_path / f"{word}.sqlite"
        proc = subprocess.Popen([sys.executable, "-m", "chachong", "index", str(lib), "--index", str(index)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
        time.sleep(0.8)  # past start-up (imports), into the run
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        if proc.returncode == 0:  # the machine was fast: it finished before the signal
            continue
        assert proc.returncode == code, err
        assert err == f"chachong: {word}\n" and out == ""
        assert not Path(index).exists()


def test_an_error_the_server_logs_keeps_its_traceback_made_visible(capsys):
    """`chachong serve` logs an unexpected error under "chachong.serve": the CLI's notice
    handler writes its line and its traceback, control characters escaped, no password."""
    import logging

    from chachong.cli import _notices
    from chachong.errors import register_secret

    register_secret("hunter2-pass")
    with _notices():
        try:
            raise RuntimeError("boom \x1b[2J hunter2-pass")
        except RuntimeError:
            logging.getLogger("chachong.serve").exception("unexpected error on %s %s", "GET", "/x\x1b]8;;\x07")
    err = capsys.readouterr().err
    assert err.startswith("chachong: unexpected error on GET /x\\x1b]8;;\\x07\nTraceback (most recent call last):")
    assert "RuntimeError: boom \\x1b[2J ***" in err and "\x1b" not in err and "hunter2-pass" not in err
