"""A full disk and read-only places (issue 15 item 11): one true line, exit 2, the index as it
was, no stub left by a first run, and a read-only index still serves checks.

Simulated in-process (SQLite's own limit on pages gives SQLITE_FULL at any moment), and for
real on a small tmpfs mounted in a private mount namespace (``unshare``) where the machine
allows it (root, as in CI, or unprivileged user namespaces)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from ..conftest import CORPUS, REPO
from ..fixtures_inputs import docs_state
from ..redis_server import RedisServer, require_redis

SAMPLE = REPO / "examples" / "sample_draft.txt"
SMALL = CORPUS / "003_ec39d6286021c7d9.txt"


@pytest.fixture
def pages_limited(monkeypatch):
    """Connections to the index get a page limit a little above its size: SQLITE_FULL."""
    from chachong.store import sqlite as backend

    real_connect = sqlite3.connect
    extra = {"pages": 2}

    def connect(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {max(pages, 1) + extra['pages']}")
        return db

    monkeypatch.setattr(backend.sqlite3, "connect", connect)
    return extra


def _one_line(out, problem: str) -> None:
    assert out.code == 2, (out.stdout, out.stderr)
    assert len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr, out.stderr
    assert problem in out.stderr, out.stderr


def test_disk_full_while_indexing_is_one_line_and_leaves_the_index_as_it_was(cli, tmp_path, monkeypatch):
    index = tmp_path / "i.sqlite"
    assert cli("index", SMALL, "--index", index).code == 0
    before = docs_state(cli, index)
    from chachong.store import sqlite as backend

    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 2}")
        return db

    monkeypatch.setattr(backend.sqlite3, "connect", connect)
    out = cli("index", CORPUS, "--index", index)
    _one_line(out, f"chachong: error: {index}: disk full")
    assert "nothing was written" in out.stderr
    monkeypatch.setattr(backend.sqlite3, "connect", real_connect)
    assert docs_state(cli, index) == before
    assert cli("index", CORPUS, "--index", index).code == 0  # with room again, the run completes


def test_disk_full_on_a_first_run_leaves_no_stub(cli, tmp_path, pages_limited):
    index = tmp_path / "new.sqlite"
    out = cli("index", SMALL, "--index", index)
    _one_line(out, f"chachong: error: {index}: disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no stub, no journal files
    pages_limited["pages"] = 30  # room for the tables (20 pages of 8 KB), not for the documents (41)
    out = cli("index", SMALL, "--index", index)
    _one_line(out, "disk full")
    assert not index.exists()


def _unshare_prefix() -> list[str] | None:
    """How to run a command in a private mount namespace here, or None if we cannot."""
    if shutil.which("unshare") is None or sys.platform != "linux":
        return None
    prefix = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=64k none /mnt 2>/dev/null || "
                            "mount -t tmpfs -o size=64k none /tmp"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else None


DRIVER = textwrap.dedent('''
    import json, os, subprocess, sys
    mnt, corpus, sample = sys.argv[1:4]
    small = os.path.join(corpus, "003_ec39d6286021c7d9.txt")
    out = {}
    def run(name, *args):
        p = subprocess.run([sys.executable, "-m", "chachong", *args], capture_output=True, text=True, timeout=120)
        out[name] = [p.returncode, p.stdout, p.stderr]
    def fill():
        with open(os.path.join(mnt, "fill"), "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"x" * 4096)
            except OSError:
                pass
    ix = os.path.join(mnt, "i.sqlite")
    run("first", "index", small, "--index", ix)
    run("fills", "index", corpus, "--index", ix)
    run("docs_after_fill", "docs", "--json", "--index", ix)
    fill()
    run("check_on_full_disk", "check", sample, "--json", "--index", ix)
    run("first_run_on_full_disk", "index", small, "--index", os.path.join(mnt, "new.sqlite"))
    out["files_after"] = sorted(os.listdir(mnt))
    os.remove(os.path.join(mnt, "fill"))
    subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
    run("check_read_only", "check", sample, "--json", "--index", ix)
    run("docs_read_only", "docs", "--json", "--index", ix)
    run("index_read_only", "index", os.path.join(corpus, "000_8b880e3bb4cd86c7.txt"), "--index", ix)
    run("new_index_read_only", "index", small, "--index", os.path.join(mnt, "other.sqlite"))
    print(json.dumps(out))
''')


def test_a_real_small_disk_fills_and_a_read_only_mount(tmp_path):
    prefix = _unshare_prefix()
    if prefix is None:
        pytest.skip("cannot mount a tmpfs in a private mount namespace here (no root, no user namespaces)")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    script = (f"mount -t tmpfs -o size=600k none {mnt} && {sys.executable} {driver} {mnt} {CORPUS} {SAMPLE}; "
              f"s=$?; umount {mnt}; exit $s")
    proc = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    ix = f"{mnt}/i.sqlite"
    assert r["first"][0] == 0, r["first"]
    # The disk fills while the whole corpus is written: one true line, the first file still there.
    assert r["fills"][0] == 2 and r["fills"][2].startswith(f"chachong: error: {ix}: disk full ("), r["fills"]
    assert r["fills"][2].count("\n") == 1 and "nothing was written" in r["fills"][2]
    assert [json.loads(line)["doc"] for line in r["docs_after_fill"][1].splitlines()] == ["003_ec39d6286021c7d9.txt#1"]
    # A full disk still serves checks (read-only).
    assert r["check_on_full_disk"][0] == 0 and json.loads(r["check_on_full_disk"][1])["chars"] > 0, r["check_on_full_disk"]
    # A first run on a full disk: one line, no stub.
    assert r["first_run_on_full_disk"][0] == 2 and "disk full" in r["first_run_on_full_disk"][2]
    assert not any(f.startswith("new.sqlite") for f in r["files_after"]), r["files_after"]
    # Read-only file system: checks and docs work, indexing says why it cannot.
    assert r["check_read_only"][0] == 0 and r["check_read_only"][1] == r["check_on_full_disk"][1]
    assert r["docs_read_only"][0] == 0 and r["docs_read_only"][1] == r["docs_after_fill"][1]
    assert r["index_read_only"][0] == 2
    assert r["index_read_only"][2] == (f"chachong: error: {ix}: index is read-only: cannot write the index file "
                                       "(Read-only file system)\n")
    assert r["new_index_read_only"][2] == (f"chachong: error: {mnt}/other.sqlite: index is read-only: cannot write "
                                           "in its folder (Read-only file system)\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file modes; the tmpfs test covers it as root")
def test_read_only_index_file_and_folder_by_permissions(cli, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    index = folder / "i.sqlite"
    assert cli("index", SMALL, "--index", index).code == 0
    expected = cli("check", SAMPLE, "--json", "--index", index).stdout
    os.chmod(index, 0o444)
    try:
        _one_line(cli("index", CORPUS, "--index", index), "index is read-only: cannot write the index file")
        assert cli("check", SAMPLE, "--json", "--index", index).stdout == expected
        os.chmod(folder, 0o555)  # noqa: S103 - read-only on purpose
        assert cli("check", SAMPLE, "--json", "--index", index).stdout == expected
        _one_line(cli("index", SMALL, "--index", folder / "new.sqlite"), "index is read-only: cannot write in its folder")
    finally:
        os.chmod(folder, 0o755)  # noqa: S103 - back to a usual mode
        os.chmod(index, 0o644)


def test_redis_out_of_memory_is_one_line_and_commits_nothing(tmp_path, cli):
    require_redis()
    server = RedisServer(tmp_path, args=("--maxmemory", "3mb", "--maxmemory-policy", "noeviction")).start()
    try:
        url = f"{server.url}?prefix=oom&bucket_bits=10"
        assert cli("index", SMALL, "--index", url).code == 0
        before = docs_state(cli, url)
        out = cli("index", CORPUS, "--index", url)
        _one_line(out, f"chachong: error: {url}: Redis is out of memory (maxmemory): nothing was committed")
        assert docs_state(cli, url) == before
        with server.client() as c:
            assert not c.exists("{oom}:lock")  # released: the next run does not wait
    finally:
        server.stop()
