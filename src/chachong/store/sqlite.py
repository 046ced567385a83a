"""The embedded index: one SQLite file (the default backend).

Layout of the SQLite index (one file, WAL journal, every write one transaction):

* ``meta``: schema version and the LSH parameters the index was built with;
* ``files`` / ``documents``: what was indexed, with each document's text and the spans
  of its indexed sentences (an int32 array), so a check never needs the original files;
* ``lsh``: the band keys as *segments* of sorted arrays cut into chunks of ~1K keys
  (``segment, band, first_key -> keys, ids``). A lookup is one B-tree seek to a chunk
  and a binary search inside it, so opening an index reads nothing up front and a
  check's memory does not grow with the index. Each ``index`` run adds one segment
  (incremental, no rebuild); past `MAX_SEGMENTS` they are merged (see `_compact`).

Never pickle: everything is SQL values and raw little-endian numpy buffers.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import numpy as np
import numpy.typing as npt

from ..errors import IndexBusyError, IndexFileError
from ..model import DocumentRecord, FileRecord, IntArray, NewFile, UInt32Array
from ..sketch.lsh import LshParams, stable_argsort
from .arrays import alive, chunk_bounds, count_pairs
from .base import Candidates, SentenceOwners

SCHEMA_VERSION = 1
CHUNK_KEYS = 1024  # ~12 KB per chunk read: measured faster candidate lookups than 4096 (+2% file size)
MAX_SEGMENTS = 8
BUSY_TIMEOUT_S = 120.0
# PRAGMA quick_check reads the whole file (0.75 s for a 90M-character library): opening a
# large index for one check must not cost that, so larger files skip it and rely on
# SQLite's own checks of every page it reads.
QUICK_CHECK_MAX_BYTES = 64 << 20

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    chars INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    declared_count INTEGER,
    warnings TEXT NOT NULL,
    set_aside TEXT NOT NULL,
    edge_lines TEXT NOT NULL
);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    sent_base INTEGER NOT NULL,
    sent_count INTEGER NOT NULL,
    spans BLOB NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX documents_by_sentence ON documents(sent_base);
CREATE INDEX documents_by_file ON documents(file_id);
CREATE TABLE edge_lines (key TEXT PRIMARY KEY, occurrences INTEGER NOT NULL, files INTEGER NOT NULL);
CREATE TABLE segments (id INTEGER PRIMARY KEY, sentences INTEGER NOT NULL);
CREATE TABLE lsh (
    segment INTEGER NOT NULL,
    band INTEGER NOT NULL,
    first_key INTEGER NOT NULL,
    keys BLOB NOT NULL,
    ids BLOB NOT NULL,
    PRIMARY KEY (segment, band, first_key)
) WITHOUT ROWID;
"""


_P = ParamSpec("_P")
_R = TypeVar("_R")

# A write that fails with this little room left on the index's file system failed for lack
# of room, whatever SQLite called it ("disk I/O error" when the shared-memory file cannot grow).
LOW_SPACE_BYTES = 1 << 20
_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def _free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(path.parent if not path.is_dir() else path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _disk_full(path: Path) -> str:
    free = _free_bytes(path)
    if free is None or free < LOW_SPACE_BYTES:
        room = "no room left" if not free else f"{free / 1024:.0f} KiB free"
        return f"disk full ({room} on the index's file system); nothing was written"
    # SQLite said full with room to spare: a quota (which statvfs does not show) or a limit
    # on the file's size.
    return (f"disk full (SQLite: database or disk is full, with {free / 2**20:,.0f} MiB free on the "
            "file system: a quota or a file size limit applies); nothing was written")


def _storage_problem(exc: sqlite3.Error, path: Path) -> str | None:
    """A true one-line diagnosis when ``exc`` comes from a full disk or a read-only index
    (file, folder or file system), else None."""
    text = str(exc)
    free = _free_bytes(path)
    if "disk is full" in text or (
        any(k in text for k in ("disk I/O error", "unable to open")) and free is not None and free < LOW_SPACE_BYTES
    ):
        return _disk_full(path)
    if "readonly" in text or "read-only" in text:
        return f"index is read-only: it cannot be written here ({text})"
    return None


def _open_problem(exc: OSError, what: str) -> str:
    if exc.errno in _FULL_ERRNOS:
        return f"disk full: cannot write {what} ({exc.strerror})"
    if exc.errno in _READ_ONLY_ERRNOS:
        return f"index is read-only: cannot write {what} ({exc.strerror})"
    return f"cannot write {what} ({exc.strerror or exc})"


def _guarded(method: Callable[Concatenate[SqliteStore, _P], _R]) -> Callable[Concatenate[SqliteStore, _P], _R]:
    """Report damage PRAGMA quick_check cannot see (bytes overwritten inside a stored value)
    as a corrupt index when it is read, instead of a traceback."""

    @functools.wraps(method)
    def wrapper(self: SqliteStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise IndexBusyError(f"index is busy ({exc})", path=self.location) from None
            problem = _storage_problem(exc, Path(self.location))
            if problem:
                raise IndexFileError(problem, path=self.location) from None
            raise IndexFileError(f"index file is corrupt ({exc})", path=self.location) from None
        except (sqlite3.DatabaseError, ValueError) as exc:  # ValueError: a blob of the wrong size
            raise IndexFileError(f"index file is corrupt ({exc})", path=self.location) from None

    return wrapper


class SqliteStore:
    """The embedded index. Safe for many readers and one writer at a time."""

    backend = "sqlite"

    def __init__(self, path: str | Path, *, create: bool = False, params: LshParams | None = None):
        self.location = str(path)
        path = Path(path)
        if path.is_dir():
            raise IndexFileError("is a directory, not an index file", path=path)
        existed = path.exists() and path.stat().st_size > 0
        if not existed and not create:
            raise IndexFileError("no index here (build one with: chachong index PATH)", path=path)
        self.read_only = False
        if create:
            # Before any work: a run that cannot write must not first spend minutes reading.
            self._check_writable(path, existed=existed)
        stub = not existed  # a file we create and must not leave behind if we fail
        try:
            self._db = self._connect(path, existed=existed, create=create)
            self._db.execute("PRAGMA foreign_keys = ON")
            # An index file is untrusted data: SQL stored in its schema (views, triggers,
            # defaults, CHECKs) may not call functions with side effects.
            self._db.execute("PRAGMA trusted_schema = OFF")
            if existed and create and not self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                # A header and no tables: another `index` is creating this file right now,
                # or the first run was killed before its first commit. Create it as new:
                # _create waits for the other writer and adds nothing if it finished.
                existed = False
            if existed:
                self._check_schema(path)
            if create:  # (a reader leaves the journal mode as the writer set it: it may not write)
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            if not existed:
                self._create(params or LshParams())
        except (sqlite3.DatabaseError, IndexFileError) as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self._db.close()
            if stub:
                self._drop_stub(path)
            if isinstance(exc, IndexFileError):
                raise
            problem = _storage_problem(exc, path)
            raise IndexFileError(problem or f"not a readable chachong index ({exc})", path=path) from None
        self.params = self._read_params(path)
        self._path = path

    @staticmethod
    def _check_writable(path: Path, *, existed: bool) -> None:
        """`IndexFileError` ("index is read-only" / "disk full") unless the index file and its
        folder (its journal files live there) can be written."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexFileError(_open_problem(exc, "its folder"), path=path) from None
        if existed:
            try:
                os.close(os.open(path, os.O_RDWR))
            except OSError as exc:
                raise IndexFileError(_open_problem(exc, "the index file"), path=path) from None
        try:
            with tempfile.TemporaryFile(dir=path.parent):
                pass
        except OSError as exc:
            raise IndexFileError(_open_problem(exc, "in its folder"), path=path) from None

    def _connect(self, path: Path, *, existed: bool, create: bool) -> sqlite3.Connection:
        """A connection; for reading, a read-only one when the index cannot be written (a
        read-only file, folder or file system, or a full disk): such an index still serves
        checks."""
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        if create or not existed:
            return db
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the WAL index
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            if _storage_problem(exc, path) is None and "unable to open" not in str(exc):
                raise
        self.read_only = True
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
            wal = Path(f"{path}-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise  # committed data may be in the WAL: reading the file alone would miss it
        # Nothing can change it (no writer can create a journal here) and nothing is in a WAL:
        # read the file as it is, without the shared-memory file SQLite cannot create.
        return sqlite3.connect(f"{uri}&immutable=1", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)

    @classmethod
    def _drop_stub(cls, path: Path) -> None:
        """Remove what a failed first open created (an empty file and journal files)."""
        with contextlib.suppress(OSError):
            if path.exists() and path.stat().st_size <= 2 * 4096:  # no committed tables beyond a header
                cls.drop(str(path))

    # -- opening ---------------------------------------------------------------------
    def _create(self, params: LshParams) -> None:
        with self._write():
            if self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                return  # another process created it between our check and our lock
            # executescript() would COMMIT our transaction first; run statements one by one.
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("params", json.dumps(params.to_dict(), sort_keys=True)),
                    ("next_sentence_id", "0"),
                ],
            )

    def _check_schema(self, path: Path) -> None:
        try:
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise IndexFileError(f"not a chachong index ({exc})", path=path) from None
        if row is None:
            raise IndexFileError("not a chachong index (no schema version)", path=path)
        if row[0] != str(SCHEMA_VERSION):
            raise IndexFileError(
                f"index written by an incompatible version (schema {row[0]}, this chachong "
                f"reads schema {SCHEMA_VERSION}); rebuild it with: chachong index --index {path} PATH",
                path=path,
            )
        planted = self._db.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY name"
        ).fetchone()
        if planted is not None:
            # chachong creates neither; one in the file would run SQL of its author's choosing.
            raise IndexFileError(f"not a chachong index (unexpected {planted[0]} {planted[1]!r})", path=path)
        if path.stat().st_size > QUICK_CHECK_MAX_BYTES:
            return  # a full page scan of a large index would cost more than the check itself
        check = self._db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise IndexFileError(f"index file is corrupt ({check})", path=path)

    def _read_params(self, path: Path) -> LshParams:
        try:
            raw = self._db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()[0]
            return LshParams(**json.loads(raw))
        except (TypeError, ValueError, sqlite3.DatabaseError) as exc:
            raise IndexFileError(f"index metadata unreadable ({exc})", path=path) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction; waits up to BUSY_TIMEOUT_S for another writer.

        A full disk or a read-only index is one `IndexFileError` saying so; the transaction
        is rolled back (SQLite has already done it after SQLITE_FULL), the index as it was.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                problem = _storage_problem(exc, Path(self.location))
                if problem:
                    raise IndexFileError(problem, path=self.location) from None
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise IndexBusyError(f"index is locked by another writer ({exc})", path=self.location) from None
                time.sleep(0.05)
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException as exc:
            if self._db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                problem = _storage_problem(exc, Path(self.location))
                if problem:
                    raise IndexFileError(problem, path=self.location) from None
            raise

    def close(self) -> None:
        self._db.close()

    # -- derived data (the phrase table), cached in the same file ------------------------
    @_guarded
    def get_derived(self, name: str, generation: str) -> bytes | None:
        """A cached value computed from the index at ``generation``, or None."""
        try:
            row = self._db.execute(
                "SELECT value FROM derived WHERE name = ? AND generation = ?", (name, generation)
            ).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None  # nothing cached yet (the table is made on first write)
            raise
        return row[0] if row else None

    def put_derived(self, name: str, generation: str, value: bytes) -> None:
        # A connection of its own: inside a check, ours holds the snapshot's read transaction,
        # which cannot become a write once another writer has committed. Closed at once, so
        # no WAL file outlives the index.
        try:
            with contextlib.closing(sqlite3.connect(self.location, timeout=30)) as db, db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS derived"
                    " (name TEXT PRIMARY KEY, generation TEXT NOT NULL, value BLOB NOT NULL)"
                )
                db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)", (name, generation, value))
        except sqlite3.OperationalError:
            pass  # a read-only or busy index still answers; the table is just recomputed next time

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[SqliteStore]:
        """Reads inside see one committed state of the index, whatever writers commit meanwhile
        (one SQLite read transaction over this connection)."""
        self._db.execute("BEGIN")
        try:
            yield self
        finally:
            self._db.execute("COMMIT")

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the registry's class-level operations (see chachong.store) -------------------------
    @staticmethod
    def _files_of(location: str) -> list[Path]:
        return [Path(location + suffix) for suffix in ("", "-wal", "-shm", "-journal")]

    @classmethod
    def exists(cls, location: str) -> bool:
        return Path(location).exists()

    @classmethod
    def drop(cls, location: str) -> int:
        """Delete the index file and its journal files; returns how many files."""
        removed = 0
        for path in cls._files_of(location):
            if path.exists():
                path.unlink()
                removed += 1
        return removed

    @classmethod
    def footprint(cls, location: str) -> int:
        return sum(p.stat().st_size for p in cls._files_of(location) if p.exists())

    # -- reading ---------------------------------------------------------------------
    @_guarded
    def files(self) -> list[FileRecord]:
        rows = self._db.execute(
            "SELECT f.id, f.path, f.sha256, f.chars, f.encoding, f.declared_count, f.warnings,"
            " f.set_aside, (SELECT count(*) FROM documents d WHERE d.file_id = f.id)"
            " FROM files f ORDER BY f.path"
        ).fetchall()
        # Most files of a library have the same set-aside ads and no warnings: parse each
        # distinct value once (a check reads the file list of 1,800 files).
        parsed: dict[str, tuple[str, ...]] = {}

        def parse(raw: str) -> tuple[str, ...]:
            if raw not in parsed:
                parsed[raw] = tuple(json.loads(raw))
            return parsed[raw]

        return [
            FileRecord(
                id=r[0], path=r[1], sha256=r[2], chars=r[3], encoding=r[4], documents=r[8],
                declared_count=r[5], warnings=parse(r[6]), set_aside=parse(r[7]),
            )
            for r in rows
        ]

    @_guarded
    def file_edge_lines(self, path: str) -> dict[str, int]:
        """Edge lines the stored version of ``path`` contributed to the recurrence counts."""
        row = self._db.execute("SELECT edge_lines FROM files WHERE path = ?", (path,)).fetchone()
        return json.loads(row[0]) if row else {}

    @_guarded
    def file_sha256(self, path: str) -> str | None:
        row = self._db.execute("SELECT sha256 FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    _DOC_COLUMNS = (
        "d.id, f.path, d.ordinal, d.title, d.start, d.end, d.text, d.sent_base, d.spans"
    )

    @staticmethod
    def _doc(row: Sequence[Any]) -> DocumentRecord:
        return DocumentRecord(
            id=row[0], file=row[1], ordinal=row[2], title=row[3], start=row[4], end=row[5],
            text=row[6], sent_base=row[7],
            spans=np.frombuffer(row[8], dtype="<i4").reshape(-1, 2),
        )

    @_guarded
    def documents(self) -> list[DocumentRecord]:
        rows = self._db.execute(
            f"SELECT {self._DOC_COLUMNS} FROM documents d JOIN files f ON f.id = d.file_id"  # noqa: S608 - constant columns
            " ORDER BY f.path, d.ordinal"
        )
        return [self._doc(r) for r in rows]

    @_guarded
    def document_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    @_guarded
    def edge_line_counts(self, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(occurrences, files) of lines seen at the edges of indexed files."""
        out: dict[str, tuple[int, int]] = {}
        for key in set(keys):
            row = self._db.execute(
                "SELECT occurrences, files FROM edge_lines WHERE key = ?", (key,)
            ).fetchone()
            if row:
                out[key] = (row[0], row[1])
        return out

    @_guarded
    def documents_for_sentences(self, sentence_ids: IntArray) -> SentenceOwners:
        """Map live sentence ids to (document, index of the sentence in the document)."""
        sids = np.unique(np.asarray(sentence_ids, dtype=np.int64)).tolist()
        if not sids:
            return {}
        # Two queries for any number of sentences (not one per sentence): which document
        # holds each id, then each of those documents once (its text is the bulk).
        owners = self._db.execute(
            "SELECT q.value, (SELECT d.id FROM documents d WHERE d.sent_base <= q.value"
            " ORDER BY d.sent_base DESC LIMIT 1) FROM json_each(?) q",
            (json.dumps(sids),),
        ).fetchall()
        doc_ids = sorted({d for _, d in owners if d is not None})
        docs: dict[int, tuple[DocumentRecord, int]] = {}
        for row in self._db.execute(
            f"SELECT {self._DOC_COLUMNS}, d.sent_count FROM documents d"  # noqa: S608 - constant columns
            " JOIN files f ON f.id = d.file_id WHERE d.id IN (SELECT value FROM json_each(?))",
            (json.dumps(doc_ids),),
        ):
            docs[row[0]] = (self._doc(row), row[9])
        out: dict[int, tuple[DocumentRecord, int]] = {}
        for sid, doc_id in owners:
            found = docs.get(doc_id)
            if found is None:
                continue
            doc, count = found
            if sid >= doc.sent_base + count:
                continue  # the sentence belonged to a file that has since been replaced
            out[sid] = (doc, sid - doc.sent_base)
        return out

    @_guarded
    def candidates(self, keys: IntArray) -> Candidates:
        """LSH candidates of query band keys (shape (m, bands)).

        Returns ``(query_index, sentence_id, shared_bands)`` arrays, one row per distinct
        (query sentence, indexed sentence) pair that shares at least one band.
        """
        q_parts: list[npt.NDArray[np.intp]] = []
        s_parts: list[UInt32Array] = []
        keys = np.asarray(keys, dtype=np.int64)
        if keys.size == 0:
            return count_pairs(q_parts, s_parts)
        segments = [r[0] for r in self._db.execute("SELECT id FROM segments ORDER BY id")]
        distinct = [np.unique(keys[:, band]) for band in range(keys.shape[1])]
        probe = json.dumps([[b, k] for b, col in enumerate(distinct) for k in col.tolist()])
        for segment in segments:
            # One query per segment finds the chunk holding each (band, key) and reads every
            # such chunk once: the per-key B-tree seeks run inside SQLite, not one Python
            # round trip (and one chunk read) per key.
            rows = self._db.execute(
                "WITH q(band, key) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')"
                " FROM json_each(?)),"
                " c(band, first_key) AS (SELECT DISTINCT q.band, (SELECT l.first_key FROM lsh l"
                " WHERE l.segment = ? AND l.band = q.band AND l.first_key <= q.key"
                " ORDER BY l.first_key DESC LIMIT 1) FROM q)"
                " SELECT l.band, l.keys, l.ids FROM c JOIN lsh l ON l.segment = ? AND l.band = c.band"
                " AND l.first_key = c.first_key",
                (probe, segment, segment),
            ).fetchall()
            for band, kb, ib in rows:
                ckeys = np.frombuffer(kb, dtype="<i8")
                cids = np.frombuffer(ib, dtype="<u4")
                column = keys[:, band]
                wanted = distinct[band]
                wanted = wanted[(wanted >= ckeys[0]) & (wanted <= ckeys[-1])]
                lo = np.searchsorted(ckeys, wanted, side="left")
                hi = np.searchsorted(ckeys, wanted, side="right")
                for key, a, b in zip(wanted[hi > lo].tolist(), lo[hi > lo].tolist(), hi[hi > lo].tolist()):
                    queries = np.flatnonzero(column == key)
                    q_parts.append(np.repeat(queries, b - a))
                    s_parts.append(np.tile(cids[a:b], queries.size))
        return count_pairs(q_parts, s_parts)

    @_guarded
    def stats(self) -> dict[str, int]:
        def one(sql: str) -> int:
            return int(self._db.execute(sql).fetchone()[0])

        return {
            "files": one("SELECT count(*) FROM files"),
            "documents": one("SELECT count(*) FROM documents"),
            "sentences": one("SELECT coalesce(sum(sent_count), 0) FROM documents"),
            "chars": one("SELECT coalesce(sum(end - start), 0) FROM documents"),
            "segments": one("SELECT count(*) FROM segments"),
        }

    # -- writing ---------------------------------------------------------------------
    def write(self, new_files: Sequence[NewFile]) -> None:
        """Add files (replacing earlier versions of the same paths) in one transaction."""
        if not new_files:
            return
        with self._write():
            next_sid = int(
                self._db.execute("SELECT value FROM meta WHERE key = 'next_sentence_id'").fetchone()[0]
            )
            key_parts: list[IntArray] = []
            id_parts: list[UInt32Array] = []
            for nf in new_files:
                old = self._db.execute(
                    "SELECT id, sha256, edge_lines FROM files WHERE path = ?", (nf.path,)
                ).fetchone()
                if old is not None:
                    if old[1] == nf.sha256:
                        continue
                    self._db.execute("DELETE FROM files WHERE id = ?", (old[0],))
                    for key, count in json.loads(old[2]).items():
                        self._db.execute(
                            "UPDATE edge_lines SET occurrences = occurrences - ?, files = files - 1"
                            " WHERE key = ?",
                            (count, key),
                        )
                    self._db.execute("DELETE FROM edge_lines WHERE files <= 0")
                for key, count in nf.edge_lines.items():
                    self._db.execute(
                        "INSERT INTO edge_lines VALUES (?, ?, 1) ON CONFLICT(key) DO UPDATE"
                        " SET occurrences = occurrences + excluded.occurrences, files = files + 1",
                        (key, count),
                    )
                file_id = self._db.execute(
                    "INSERT INTO files (path, sha256, chars, encoding, declared_count, warnings,"
                    " set_aside, edge_lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        nf.path, nf.sha256, nf.chars, nf.encoding, nf.declared_count,
                        json.dumps(list(nf.warnings), ensure_ascii=False),
                        json.dumps(list(nf.set_aside), ensure_ascii=False),
                        json.dumps(nf.edge_lines, ensure_ascii=False, sort_keys=True),
                    ),
                ).lastrowid
                for doc in nf.documents:
                    n = int(doc.spans.shape[0])
                    self._db.execute(
                        "INSERT INTO documents (file_id, ordinal, title, start, end, sent_base,"
                        " sent_count, spans, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            file_id, doc.ordinal, doc.title, doc.start, doc.end, next_sid, n,
                            doc.spans.astype("<i4").tobytes(), doc.text,
                        ),
                    )
                    if n:
                        key_parts.append(doc.keys)
                        id_parts.append(np.arange(next_sid, next_sid + n, dtype=np.uint32))
                    next_sid += n
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'next_sentence_id'", (str(next_sid),)
            )
            if key_parts:
                self._add_segment(np.concatenate(key_parts), np.concatenate(id_parts))
            if self._db.execute("SELECT count(*) FROM segments").fetchone()[0] > MAX_SEGMENTS:
                self._compact()

    def _add_segment(self, keys: IntArray, ids: UInt32Array) -> None:
        segment = self._db.execute(
            "INSERT INTO segments (sentences) VALUES (?)", (int(ids.size),)
        ).lastrowid
        for band in range(keys.shape[1]):
            column = np.ascontiguousarray(keys[:, band])  # one band at a time: no copy of all
            order = stable_argsort(column)
            band_keys = column[order].astype("<i8")
            band_ids = ids[order].astype("<u4")
            self._db.executemany(
                "INSERT INTO lsh VALUES (?, ?, ?, ?, ?)",
                (
                    (segment, band, int(band_keys[lo]), band_keys[lo:hi].tobytes(), band_ids[lo:hi].tobytes())
                    for lo, hi in chunk_bounds(band_keys, CHUNK_KEYS)
                ),
            )

    def _compact(self) -> None:
        """Merge segments into one, dropping sentences of replaced files.

        Tiered: when one segment holds more than twice the sentences of all the others
        together (a large library, then small additions), only the others are merged. A
        full merge of a 90M-character library reads and rewrites ~850 MB (22 s, 2.2 GB
        measured); adding documents must stay seconds. Entries of replaced files left in
        the big segment are harmless (`documents_for_sentences` skips them) and go at the
        next full merge.
        """
        sizes = self._db.execute(
            "SELECT id, sentences FROM segments ORDER BY sentences DESC, id"
        ).fetchall()
        merge = [seg for seg, _ in sizes]
        if len(sizes) > 1 and sizes[0][1] > 2 * sum(n for _, n in sizes[1:]):
            merge = merge[1:]
        chosen = json.dumps(merge)
        live = self._db.execute("SELECT sent_base, sent_count FROM documents").fetchall()
        bands = self.params.bands
        per_band_keys: list[list[IntArray]] = [[] for _ in range(bands)]
        per_band_ids: list[list[UInt32Array]] = [[] for _ in range(bands)]
        for band, kb, ib in self._db.execute(
            "SELECT band, keys, ids FROM lsh WHERE segment IN (SELECT value FROM json_each(?))"
            " ORDER BY band",
            (chosen,),
        ):
            per_band_keys[band].append(np.frombuffer(kb, dtype="<i8"))
            per_band_ids[band].append(np.frombuffer(ib, dtype="<u4"))
        self._db.execute("DELETE FROM lsh WHERE segment IN (SELECT value FROM json_each(?))", (chosen,))
        self._db.execute("DELETE FROM segments WHERE id IN (SELECT value FROM json_each(?))", (chosen,))
        bases = np.array(sorted(live), dtype=np.int64).reshape(-1, 2)
        columns_k, columns_i = [], []
        for band in range(bands):
            k = np.concatenate(per_band_keys[band]) if per_band_keys[band] else np.zeros(0, "<i8")
            i = np.concatenate(per_band_ids[band]) if per_band_ids[band] else np.zeros(0, "<u4")
            live_ids = alive(i, bases)
            columns_k.append(k[live_ids])
            columns_i.append(i[live_ids])
        if columns_i and columns_i[0].size:
            # Each band holds every live sentence once, so sorting by id aligns the bands.
            orders = [stable_argsort(ci) for ci in columns_i]
            ids = columns_i[0][orders[0]]
            keys = np.stack([ck[o] for ck, o in zip(columns_k, orders)], axis=1)
            self._add_segment(keys, ids)

