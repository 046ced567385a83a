"""Index files: damaged, foreign, incompatible or untrusted ones are refused and left alone;
a run killed mid-write, and readers and writers at the same time, never see half a state."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ..conftest import CORPUS, REPO
from ..drafts import ORIGINAL_OPENING
from ..fixtures_inputs import (
    SMALL_FILE,
    assert_one_line_error,
    docs_state,
    file_digest,
    planted_lines,
)

SAMPLE = REPO / "examples" / "sample_draft.txt"
SUBPROCESS_TIMEOUT = 120  # seconds; a hung child fails the test instead of the suite


# -- damaged, foreign and incompatible index files ----------------------------------------


def _damage(index: Path, how: str) -> None:
    data = bytearray(index.read_bytes())
    if how == "truncated-half":
        data = data[: len(data) // 2]
    elif how == "truncated-tiny":
        data = data[:1000]
    elif how == "header-overwritten":
        data[0:100] = bytes(range(100))
    elif how == "btree-page-overwritten":
        db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'documents'").fetchone()[0]
        db.close()
        offset = (root - 1) * page_size
        data[offset : offset + 12] = b"\xee" * 12  # page type and cell pointers
    elif how == "text-value-overwritten":
        # Bytes inside a stored document text: SQLite's structure is intact.
        offset = bytes(data).find(SMALL_FILE.read_text(encoding="utf-8")[200:230].encode("utf-8"))
        assert offset > 0
        data[offset : offset + 6] = b"\xff" * 6
    index.write_bytes(bytes(data))


DAMAGES = ["truncated-half", "truncated-tiny", "header-overwritten", "btree-page-overwritten"]
COMMANDS = {
    "docs": lambda index: ("docs", "--index", index),
    "check": lambda index: ("check", SAMPLE, "--index", index),
    "index": lambda index: ("index", CORPUS / "004_3442f27f9ba37306.txt", "--index", index),
}
CORRUPT = re.compile(r"index file is corrupt|not a chachong index|not a readable chachong index")


def _assert_refused_unchanged(cli, index: Path, command: str) -> None:
    before = file_digest(index)
    out = cli(*COMMANDS[command](index))
    assert_one_line_error(out, str(index), "")
    assert CORRUPT.search(out.stderr), out.stderr
    assert file_digest(index) == before  # not repaired, not overwritten, not deleted


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_damaged_index_is_refused_and_left_alone(cli, small_index, how, command):
    _damage(small_index, how)
    _assert_refused_unchanged(cli, small_index, command)


@pytest.mark.parametrize("command", ["docs", "check"])
def test_damaged_text_value_is_refused(cli, small_index, tmp_path, command):
    """Damage PRAGMA quick_check cannot see (bytes inside a stored text) surfaces when the
    damaged document is read: by `docs`, or by a check of a draft copied from it."""
    _damage(small_index, "text-value-overwritten")
    draft = tmp_path / "copy.txt"
    # Not byte for byte: a draft identical to an indexed file is not matched against it.
    draft.write_text(SMALL_FILE.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = file_digest(small_index)
    args = ("docs",) if command == "docs" else ("check", draft, "--json")
    out = cli(*args, "--index", small_index)
    assert_one_line_error(out, str(small_index), "index file is corrupt")
    assert file_digest(small_index) == before


# 1: before document identities and the fragment layer; 2: either branch's schema 2, the
# library layer (works, FILE_NAME#N identities) or the posting layers (fragments, paraphrases),
# each lacking the other.
@pytest.mark.parametrize("old", ["1", "2"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_index_of_another_schema_version_is_refused(cli, small_index, command, old):
    db = sqlite3.connect(small_index)
    stored = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert stored == "3"  # the version is stored in the index itself
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (old,))
    db.commit()
    db.close()
    before = file_digest(small_index)
    out = cli(*COMMANDS[command](small_index))
    assert_one_line_error(
        out, str(small_index),
        f"index written by an incompatible version (schema {old}, this chachong reads schema 3); rebuild it with: "
        f"chachong index --index {small_index} PATH",
    )
    assert file_digest(small_index) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_foreign_sqlite_file_is_refused(cli, tmp_path, command):
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.execute("INSERT INTO notes VALUES ('not chachong')")
    db.commit()
    db.close()
    before = file_digest(other)
    out = cli(*COMMANDS[command](other))
    assert_one_line_error(out, str(other), "not a chachong index")
    assert file_digest(other) == before


# -- untrusted index files -----------------------------------------------------------------


def test_package_never_unpickles_or_evaluates():
    """An index is data: no pickle/marshal/shelve, no eval/exec, no numpy object arrays,
    no SQLite extension loading anywhere in the package."""
    forbidden = re.compile(
        r"\bimport (pickle|marshal|shelve|dill|cloudpickle)\b|\bfrom (pickle|marshal|shelve) import"
        r"|\b(pickle|marshal)\.loads?\(|(?<![\w.])(eval|exec)\(|allow_pickle\s*=\s*True"
        r"|enable_load_extension|load_extension\(|yaml\.load\(|__import__\("
    )
    package = REPO / "src" / "chachong"
    # The one exception: the benchmark's datasketch baseline measures len(pickle.dumps(lsh)),
    # the size of what a datasketch user stores; it never loads one (pickle.load is still banned).
    allowed = {("src/chachong/bench/baseline.py", "import pickle  # only dumps: the size of what a datasketch user would store")}
    hits = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line) and not line.lstrip().startswith("#")
        and (str(path.relative_to(REPO)), line.strip()) not in allowed
    ]
    assert hits == []


def test_index_with_planted_trigger_is_refused(cli, small_index, tmp_path):
    """A tampered index file cannot make chachong run SQL of its choosing on write."""
    db = sqlite3.connect(small_index)
    db.execute("CREATE TRIGGER wipe AFTER INSERT ON files BEGIN DELETE FROM documents; END")
    db.commit()
    db.close()
    before = file_digest(small_index)
    out = cli("index", CORPUS / "004_3442f27f9ba37306.txt", "--index", small_index)
    assert_one_line_error(out, str(small_index), "not a chachong index")
    assert file_digest(small_index) == before


# -- crash safety and concurrency (subprocesses) -------------------------------------------

# Runs the real CLI in a child process whose index connection SIGKILLs the process at the
# N-th document insert: in the middle of the run's one write transaction, deterministically.
# A tiny page cache makes SQLite spill the half-written transaction into the WAL file
# first, so the kill leaves uncommitted pages on disk (the hard case for recovery).
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from chachong.store import sqlite as storage
    from chachong.cli import main

    kill_at = int(sys.argv[1])
    real_init = storage.SqliteStore.__init__

    class KillingConnection:
        def __init__(self, db):
            self._db, self._inserts = db, 0
        def execute(self, sql, *args):
            if sql.startswith("INSERT INTO documents"):
                self._inserts += 1
                if self._inserts == kill_at:
                    sys.stderr.write(f"wal bytes at kill: {os.path.getsize(self.wal)}\\n")
                    sys.stderr.flush()
                    os.kill(os.getpid(), signal.SIGKILL)
            return self._db.execute(sql, *args)
        def __getattr__(self, name):
            return getattr(self._db, name)

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._db.execute("PRAGMA cache_size = 8")
        conn = KillingConnection(self._db)
        conn.wal = self.location + "-wal"
        self._db = conn

    storage.SqliteStore.__init__ = init
    sys.exit(main(sys.argv[2:]))
    """
)


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT, **kwargs
    )


def _library(tmp_path: Path, name: str, sources: list[str], copies: int = 1) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for i in range(copies):
        for src in sources:
            text = (CORPUS / src).read_text(encoding="utf-8")
            (folder / f"{i:02d}_{src}").write_text(text, encoding="utf-8")
    return folder


def _integrity(index: Path) -> str:
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def test_index_killed_mid_write_keeps_the_old_state(cli, tmp_path):
    lib = _library(tmp_path, "lib", ["000_8b880e3bb4cd86c7.txt", "003_ec39d6286021c7d9.txt"])
    index = tmp_path / "i.sqlite"
    assert cli("index", lib, "--index", index).code == 0
    old = docs_state(cli, index)
    # The next run replaces a changed file and adds three: 40+ documents in one transaction.
    changed = lib / "00_000_8b880e3bb4cd86c7.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充说明：本材料已更新。\n", encoding="utf-8")
    for src in ("001_e5cfe61341d97502.txt", "002_5c485a01b3fa9e27.txt", "004_3442f27f9ba37306.txt"):
        shutil.copy(CORPUS / src, lib / f"00_{src}")
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER, encoding="utf-8")
    proc = _run(killer, 20, "index", lib, "--index", index)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    wal_bytes = int(re.search(r"wal bytes at kill: (\d+)", proc.stderr).group(1))
    assert wal_bytes > 0  # the half-written transaction had reached the disk
    assert _integrity(index) == "ok"
    assert docs_state(cli, index) == old  # nothing of the killed run is visible
    # The next run completes and gives exactly what an uninterrupted run gives.
    out = cli("index", lib, "--index", index, "--json")
    assert out.code == 0, out.stderr
    new = docs_state(cli, index)
    reference = tmp_path / "ref.sqlite"
    shutil.copytree(lib, tmp_path / "ref-lib")
    assert cli("index", lib, "--index", reference).code == 0
    assert new == docs_state(cli, reference) and len(new) > len(old)


def test_index_killed_from_outside_is_old_or_new_never_a_mix(cli, tmp_path):
    """The real command, SIGKILLed by another process as soon as it starts writing."""
    lib = _library(tmp_path, "lib", ["003_ec39d6286021c7d9.txt"])
    index = tmp_path / "i.sqlite"
    assert cli("index", lib, "--index", index).code == 0
    old = docs_state(cli, index)
    big = _library(tmp_path, "big", sorted(p.name for p in CORPUS.glob("*.txt")), copies=4)
    wal = Path(str(index) + "-wal")
    proc = subprocess.Popen(
        [sys.executable, "-m", "chachong", "index", str(lib), str(big), "--index", str(index)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 0:  # the write transaction has begun
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    proc.wait(timeout=SUBPROCESS_TIMEOUT)
    proc.stderr.close()
    assert _integrity(index) == "ok"
    state = docs_state(cli, index)
    assert cli("index", lib, big, "--index", index).code == 0
    new = docs_state(cli, index)
    assert state in (old, new)
    if proc.returncode == -signal.SIGKILL:
        assert state == old  # killed before its commit: nothing of it is visible


def test_check_while_index_writes_sees_old_or_new_state(cli, tmp_path):
    """Checks run throughout a big index run in another process: each one sees the index
    before or after the run, never an error or a partial state."""
    lib = _library(tmp_path, "lib", ["000_8b880e3bb4cd86c7.txt", "004_3442f27f9ba37306.txt"])
    index = tmp_path / "i.sqlite"
    assert cli("index", lib, "--index", index).code == 0
    library, bank, _ = planted_lines()
    draft = tmp_path / "draft.txt"
    draft.write_text("\n".join([ORIGINAL_OPENING, library.text, bank.text]), encoding="utf-8")

    def check() -> dict:
        out = cli("check", draft, "--json", "--no-text", "--index", index)
        assert out.code == 0, out.stderr
        return json.loads(out.stdout)

    old = check()
    assert len([p for p in old["passages"] if p["kind"] == "copy"]) == 2
    big = _library(tmp_path, "big", sorted(p.name for p in CORPUS.glob("*.txt")), copies=2)
    writer = subprocess.Popen(
        [sys.executable, "-m", "chachong", "index", str(big), "--index", str(index)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    seen = []
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while writer.poll() is None and time.monotonic() < deadline:
        seen.append(check())
    _, err = writer.communicate(timeout=SUBPROCESS_TIMEOUT)
    assert writer.returncode == 0, err
    new = check()
    assert len(seen) >= 2  # the checks really overlapped the write
    for result in seen:
        assert result in (old, new)


def test_two_index_runs_at_once_both_complete(cli, tmp_path):
    base = _library(tmp_path, "base", ["003_ec39d6286021c7d9.txt"])
    index = tmp_path / "i.sqlite"
    assert cli("index", base, "--index", index).code == 0
    a = _library(tmp_path, "a", ["000_8b880e3bb4cd86c7.txt", "001_e5cfe61341d97502.txt"], copies=2)
    b = _library(tmp_path, "b", ["002_5c485a01b3fa9e27.txt", "004_3442f27f9ba37306.txt"], copies=2)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "chachong", "index", str(folder), "--index", str(index), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for folder in (a, b)
    ]
    results = [p.communicate(timeout=SUBPROCESS_TIMEOUT) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert len(json.loads(out)["added"]) == 4
    assert _integrity(index) == "ok"
    reference = tmp_path / "ref.sqlite"
    for folder in (base, a, b):
        assert cli("index", folder, "--index", reference).code == 0
    key = lambda docs: sorted((d["file"], d["doc"], d["title"], d["start"], d["end"]) for d in docs)  # noqa: E731
    assert key(docs_state(cli, index)) == key(docs_state(cli, reference))


def test_index_run_joins_another_that_is_creating_the_index(tmp_path):
    """A second `index` starting while the first is creating a new index file (file header
    written, schema not yet committed) waits for it instead of calling the file foreign.
    The same state is what SIGKILL leaves if it hits the very first run that early."""
    from chachong.store.sqlite import SqliteStore

    path = tmp_path / "new.sqlite"
    first = sqlite3.connect(path, isolation_level=None)  # exactly what SqliteStore does first
    first.execute("PRAGMA journal_mode = WAL")
    first.close()  # (as if killed here: a file with a header and no tables)
    store = SqliteStore(path, create=True)
    try:
        assert store.document_count() == 0
    finally:
        store.close()


def test_check_reads_one_snapshot_while_a_file_is_replaced(tmp_path):
    """Deterministic interleaving: a writer commits a new version of a source file between
    the check's LSH lookup and its document lookup. The check must report what either
    state says (the passage, from that file), not lose it."""
    from chachong.indexer import index_paths
    from chachong.match.check import check_text
    from chachong.store import open_store

    lib = _library(tmp_path, "lib", ["004_3442f27f9ba37306.txt"])
    index = tmp_path / "i.sqlite"
    with open_store(index, create=True) as store:
        index_paths(store, [lib])
    library, _, _ = planted_lines()
    draft = ORIGINAL_OPENING + "\n" + library.text
    source = lib / "00_004_3442f27f9ba37306.txt"

    reader = open_store(index)
    writer = open_store(index)
    real = reader._db

    class Interleaving:
        done = False

        def execute(self, sql, *args):
            if "d.sent_base <=" in sql and not Interleaving.done:  # sentence -> document lookup
                Interleaving.done = True
                source.write_text(source.read_text(encoding="utf-8") + "\n附：修订版。\n", encoding="utf-8")
                index_paths(writer, [source])  # commits a replacement of the source file
            return real.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(real, name)

    try:
        reader._db = Interleaving()
        result = check_text(reader, draft)
    finally:
        reader._db = real
        reader.close()
        writer.close()
    assert Interleaving.done
    copies = [p for p in result.passages if p.kind == "copy"]
    assert [p.source.doc for p in copies] == [f"00_{library.doc}"]
