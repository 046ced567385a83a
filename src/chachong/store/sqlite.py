"""The embedded index: one SQLite file (the default backend).

Layout of the SQLite index (one file, WAL journal, every write one transaction):

* ``meta``: schema version and the LSH parameters the index was built with;
* ``files`` / ``documents``: what was indexed, with each document's text and the spans
  of its indexed sentences (an int32 array), so a check never needs the original files;
* ``lsh``: the band keys as *segments* of sorted arrays cut into chunks of 128 keys
  (``segment, band, first_key -> keys, ids``). A lookup is one B-tree seek to a chunk
  and a binary search inside it, so opening an index reads nothing up front and a
  check's memory does not grow with the index. Each ``index`` run adds one segment
  (incremental, no rebuild); past `MAX_SEGMENTS` they are merged (see `_compact`);
* ``postings`` / ``layer_segments``: the posting layers (`postings`: the fragment layer's
  winnowed fingerprints, the paraphrase layer's band keys), per segment as well, cut into
  buckets by the top ``bits`` of the key (``layer, segment, bucket -> keys, ids``): a
  lookup reads each bucket it needs once;
* the library layer: each file's identity (``name``, unique) and ``collection``, each
  document's ``work``, the near-duplicate links between documents (``doc_links``) and the
  document-level LSH keys new documents are compared with (``doc_bands``).

Never pickle: everything is SQL values and raw little-endian numpy buffers.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import numpy as np
import numpy.typing as npt

from ..errors import IndexBusyError, IndexFileError
from ..library.works import components, works_digest
from ..model import (
    WINDOW_FLAG,
    CatalogEntry,
    DocumentRecord,
    FileRecord,
    IntArray,
    LibraryInfo,
    NewFile,
    UInt32Array,
)
from ..sketch.lsh import LshParams, stable_argsort
from . import postings as layers
from .arrays import alive, chunk_bounds, count_pairs, matching
from .base import Candidates, SentenceOwners

# 3: the posting layers (fragments, paraphrases: issue 13) and the library layer (file
# identities, collections, works: issue 14), each of which was schema 2 on its own branch.
# Changing what a layer holds (winnowing window, caps, columns) changes the index: bump this,
# so an old index is refused with the command that rebuilds it.
SCHEMA_VERSION = 3
# A check reads a whole chunk per key it looks up, so chunks are small; but SQLite moves a row
# over ~1/4 of a page (WITHOUT ROWID) to overflow pages, half empty. 8 KB pages hold 128-key
# chunks (1.5 KB with their ids) in the page. Measured on a 10M-character library against
# 4 KB pages and 1,024-key chunks (12 KB, the layout before schema 2): check p50 69 ms
# against 105 ms, the write 0.89 s against 0.94 s, the file 3 % smaller; 4 KB pages with
# 64-key chunks check as fast but write 40 % slower (twice the rows).
CHUNK_KEYS = 128
PAGE_SIZE = 8192
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
    edge_lines TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL
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
    text TEXT NOT NULL,
    work INTEGER NOT NULL DEFAULT 0
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
CREATE TABLE layer_segments (
    layer INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    bits INTEGER NOT NULL,
    postings INTEGER NOT NULL,
    PRIMARY KEY (layer, segment)
) WITHOUT ROWID;
CREATE TABLE postings (
    layer INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    keys BLOB NOT NULL,
    ids BLOB NOT NULL,
    PRIMARY KEY (layer, segment, bucket)
) WITHOUT ROWID;
"""

# The library layer (`chachong.library`): near-duplicate links between documents (a < b), each
# document's work, and the document-level LSH keys new documents are compared with.
_LIBRARY_SCHEMA = """
CREATE INDEX documents_by_work ON documents(work);
CREATE TABLE doc_links (
    a INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    b INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX doc_links_by_b ON doc_links(b);
CREATE TABLE doc_bands (
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    PRIMARY KEY (band, key, doc)
) WITHOUT ROWID;
CREATE INDEX doc_bands_by_doc ON doc_bands(doc);
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
            else:
                self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before WAL: fixed from then on
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
        self._snapshot_docs: dict[int, tuple[DocumentRecord, int]] | None = None

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
            for statement in (_SCHEMA + _LIBRARY_SCHEMA).split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("params", json.dumps(params.to_dict(), sort_keys=True)),
                    ("next_sentence_id", "0"),
                    ("updated", ""),
                    ("works_digest", works_digest(())),
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
        self._snapshot_docs = {}  # documents read in this snapshot (they cannot change in it)
        try:
            yield self
        finally:
            self._snapshot_docs = None
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
            " f.set_aside, (SELECT count(*) FROM documents d WHERE d.file_id = f.id), f.name, f.collection"
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
                name=r[9], collection=r[10],
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
        "d.id, f.path, d.ordinal, d.title, d.start, d.end, d.text, d.sent_base, d.spans,"
        " f.name, f.collection, d.work"
    )

    @staticmethod
    def _doc(row: Sequence[Any]) -> DocumentRecord:
        return DocumentRecord(
            id=row[0], file=row[1], ordinal=row[2], title=row[3], start=row[4], end=row[5],
            text=row[6], sent_base=row[7],
            spans=np.frombuffer(row[8], dtype="<i4").reshape(-1, 2),
            file_name=row[9], collection=row[10], work=row[11],
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
        # Inside a snapshot the documents read before are still the same: a check asks once per
        # layer (sentences, fragments, paraphrases), mostly for the same documents.
        docs = self._snapshot_docs if self._snapshot_docs is not None else {}
        doc_ids = sorted({d for _, d in owners if d is not None} - docs.keys())
        for row in self._db.execute(
            f"SELECT {self._DOC_COLUMNS}, d.sent_count FROM documents d"  # noqa: S608 - constant columns
            " JOIN files f ON f.id = d.file_id WHERE d.id IN (SELECT value FROM json_each(?))",
            (json.dumps(doc_ids),),
        ):
            docs[row[0]] = (self._doc(row), row[12])
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
        q_parts: list[npt.NDArray[np.integer]] = []
        s_parts: list[npt.NDArray[np.integer]] = []
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
            # A band's chunks are key ranges that never share a key: in first-key order their
            # keys are one sorted array, searched for every query of the band at once.
            per_band: dict[int, list[tuple[bytes, bytes]]] = {}
            for band, kb, ib in rows:
                per_band.setdefault(band, []).append((kb, ib))
            for band, chunks in per_band.items():
                chunks.sort(key=lambda c: int(np.frombuffer(c[0], dtype="<i8", count=1)[0]))
                band_keys = np.frombuffer(b"".join(c[0] for c in chunks), dtype="<i8")
                band_ids = np.frombuffer(b"".join(c[1] for c in chunks), dtype="<u4")
                queries, found = matching(keys[:, band], band_keys, band_ids)
                q_parts.append(queries)
                s_parts.append(found)
        return count_pairs(q_parts, s_parts)

    @_guarded
    def postings(self, layer: int, keys: UInt32Array) -> tuple[IntArray, UInt32Array]:
        """(index into ``keys``, posted id) for every posting of the distinct ``keys`` in
        ``layer``; keys over the layer's cap (stock phrasing) give nothing."""
        keys = np.asarray(keys, dtype=np.uint32)
        parts: list[layers.Found] = []
        for segment, bits in self._db.execute(
            "SELECT segment, bits FROM layer_segments WHERE layer = ? ORDER BY segment", (layer,)
        ).fetchall():
            wanted = np.unique(layers.bucket_of(keys, bits))
            if wanted.size == 0:
                continue
            rows = self._db.execute(
                "SELECT keys, ids FROM postings WHERE layer = ? AND segment = ?"
                " AND bucket IN (SELECT value FROM json_each(?)) ORDER BY bucket",
                (layer, segment, json.dumps(wanted.tolist())),
            ).fetchall()
            if not rows:
                continue
            # Buckets are key ranges, so in bucket order their postings are sorted by key.
            stored_keys = np.frombuffer(b"".join(r[0] for r in rows), dtype="<u4")
            stored_ids = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4")
            parts.append(layers.find(keys, stored_keys, stored_ids))
        return layers.combine(parts, keys.size, layers.LAYERS[layer].cap)

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
    def write(self, new_files: Sequence[NewFile]) -> None:  # noqa: PLR0912 - one transaction, in steps
        """Add files (replacing earlier versions of the same paths) in one transaction."""
        if not new_files:
            return
        with self._write():
            next_sid = int(
                self._db.execute("SELECT value FROM meta WHERE key = 'next_sentence_id'").fetchone()[0]
            )
            key_parts: list[IntArray] = []
            id_parts: list[UInt32Array] = []
            written: dict[tuple[str, int], int] = {}  # (path, ordinal) -> id of a document written
            relink: set[int] = set()  # documents whose work may change
            posted: dict[int, tuple[list[UInt32Array], list[UInt32Array]]] = {
                layer: ([], []) for layer in layers.LAYERS
            }
            for nf in new_files:
                old = self._db.execute(
                    "SELECT id, sha256, edge_lines, name FROM files WHERE path = ?", (nf.path,)
                ).fetchone()
                name = nf.name or (old[3] if old is not None else "")
                if old is not None:
                    if old[1] == nf.sha256:
                        continue
                    relink |= self._linked_outside(self._documents_of_files([old[0]]))
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
                    " set_aside, edge_lines, name, collection) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        nf.path, nf.sha256, nf.chars, nf.encoding, nf.declared_count,
                        json.dumps(list(nf.warnings), ensure_ascii=False),
                        json.dumps(list(nf.set_aside), ensure_ascii=False),
                        json.dumps(nf.edge_lines, ensure_ascii=False, sort_keys=True),
                        self._free_name(name or nf.path.rsplit("/", 1)[-1], nf.path), nf.collection,
                    ),
                ).lastrowid
                for i, doc in enumerate(nf.documents):
                    n = int(doc.spans.shape[0])
                    doc_id = self._db.execute(
                        "INSERT INTO documents (file_id, ordinal, title, start, end, sent_base,"
                        " sent_count, spans, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            file_id, doc.ordinal, doc.title, doc.start, doc.end, next_sid, n,
                            doc.spans.astype("<i4").tobytes(), doc.text,
                        ),
                    ).lastrowid
                    written[(nf.path, doc.ordinal)] = int(doc_id or 0)  # lastrowid: set after an INSERT
                    if nf.sketches is not None and nf.sketches[i].any():
                        self._db.executemany(
                            "INSERT OR IGNORE INTO doc_bands VALUES (?, ?, ?)",
                            [(band, key, doc_id) for band, key in enumerate(nf.sketches[i].tolist())],
                        )
                    if n:
                        key_parts.append(doc.keys)
                        id_parts.append(np.arange(next_sid, next_sid + n, dtype=np.uint32))
                        for layer, found in layers.of_document(doc).items():
                            posted[layer][0].append(found.keys)
                            posted[layer][1].append(layers.global_ids(found.units, next_sid))
                    next_sid += n
            if next_sid >= WINDOW_FLAG:
                raise IndexFileError("the index is full (2^31 sentences)", path=self.location)
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'next_sentence_id'", (str(next_sid),)
            )
            self._write_links(new_files, written, relink)
            if key_parts:
                self._add_segment(np.concatenate(key_parts), np.concatenate(id_parts), posted)
            if self._db.execute("SELECT count(*) FROM segments").fetchone()[0] > MAX_SEGMENTS:
                self._compact()

    def _add_segment(
        self, keys: IntArray, ids: UInt32Array, posted: dict[int, tuple[list[UInt32Array], list[UInt32Array]]]
    ) -> None:
        """One segment: the LSH bands of ``keys`` (sentences ``ids``), then each posting layer
        from its parts (concatenated only once the band keys are written and dropped: at 90M
        characters each is a few hundred MB)."""
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
        del keys, ids  # the caller passes them as temporaries: freed here
        for layer, (key_parts, id_parts) in posted.items():
            layer_keys = np.concatenate(key_parts) if key_parts else np.zeros(0, dtype=np.uint32)
            layer_ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.uint32)
            key_parts.clear()
            id_parts.clear()
            bits = layers.bucket_bits(layer_keys.size)  # before duplicates and stopped keys go: near enough
            stored = 0
            # Built a key range at a time: sorting all postings of a 90M-character library at
            # once (~25M) would hold several copies of them in memory.
            for part_keys, part_ids in layers.key_ranges(layer_keys, layer_ids, bits):
                stored_keys, stored_ids = layers.build(part_keys, part_ids, layers.LAYERS[layer].cap)
                stored += int(stored_keys.size)
                self._db.executemany(
                    "INSERT INTO postings VALUES (?, ?, ?, ?, ?)",
                    (
                        (layer, segment, bucket, k.astype("<u4").tobytes(), i.astype("<u4").tobytes())
                        for bucket, k, i in layers.buckets(stored_keys, stored_ids, bits)
                    ),
                )
            del layer_keys, layer_ids
            self._db.execute("INSERT INTO layer_segments VALUES (?, ?, ?, ?)", (layer, segment, bits, stored))

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
        bases = np.array(sorted(live), dtype=np.int64).reshape(-1, 2)
        posted: dict[int, tuple[list[UInt32Array], list[UInt32Array]]] = {}
        for layer in layers.LAYERS:
            rows = self._db.execute(
                "SELECT keys, ids FROM postings WHERE layer = ? AND segment IN (SELECT value FROM json_each(?))",
                (layer, chosen),
            ).fetchall()
            k = np.frombuffer(b"".join(r[0] for r in rows), dtype="<u4")
            i = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4")
            # Postings of replaced files go; a stopped key stays stopped.
            keep = (i == layers.STOPPED) | alive(layers.sentence_of(i), bases)
            posted[layer] = ([k[keep]], [i[keep]])
        for table in ("lsh", "postings", "layer_segments"):
            self._db.execute(
                f"DELETE FROM {table} WHERE segment IN (SELECT value FROM json_each(?))", (chosen,)  # noqa: S608 - constant names
            )
        self._db.execute("DELETE FROM segments WHERE id IN (SELECT value FROM json_each(?))", (chosen,))
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
            self._add_segment(keys, ids, posted)


    # -- the library layer (`chachong.library`): identities, collections, works, removal ----
    def _free_name(self, name: str, path: str) -> str:
        """``name``, or, when another file has it, ``name~DIGEST`` (the indexer picks unique
        names; this guards against a concurrent run that picked the same one)."""
        candidate = name
        digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()
        width = 8
        while True:
            row = self._db.execute("SELECT path FROM files WHERE name = ?", (candidate,)).fetchone()
            if row is None or row[0] == path:
                return candidate
            candidate = f"{name}~{digest[:width]}"
            width += 4

    def _documents_of_files(self, file_ids: Iterable[int]) -> set[int]:
        return {r[0] for r in self._db.execute(
            "SELECT id FROM documents WHERE file_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(file_ids)),),
        )}

    def _linked_outside(self, doc_ids: set[int]) -> set[int]:
        """Documents outside ``doc_ids`` linked to one inside (their work may change)."""
        ids = json.dumps(sorted(doc_ids))
        rows = self._db.execute(
            "SELECT a, b FROM doc_links WHERE a IN (SELECT value FROM json_each(?))"
            " OR b IN (SELECT value FROM json_each(?))", (ids, ids),
        )
        return {x for r in rows for x in r} - doc_ids

    def _write_links(self, new_files: Sequence[NewFile], written: dict[tuple[str, int], int],
                     relink: set[int]) -> None:
        """Store the near-duplicate links of the documents just written; recompute the works."""
        if not written and not relink:
            return
        pairs: set[tuple[int, int]] = set()
        for nf in new_files:
            for ordinal, ref in nf.links:
                a = written.get((nf.path, ordinal))
                b = ref if isinstance(ref, int) else written.get(ref)
                if a is not None and b is not None and a != b:
                    pairs.add((min(a, b), max(a, b)))
        # A link to a document that is gone (its file replaced meanwhile) is dropped.
        self._db.executemany(
            "INSERT OR IGNORE INTO doc_links SELECT ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?)"
            " AND EXISTS (SELECT 1 FROM documents WHERE id = ?)",
            [(a, b, a, b) for a, b in sorted(pairs)],
        )
        self._refresh_works(set(written.values()) | relink)

    def _refresh_works(self, seeds: set[int]) -> None:
        """Recompute the work of every document connected to ``seeds``; then the index's
        works digest and its time of change."""
        members: set[int] = set()
        frontier = {r[0] for r in self._db.execute(
            "SELECT id FROM documents WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(seeds)),)
        )}
        links: set[tuple[int, int]] = set()
        while frontier:
            members |= frontier
            ids = json.dumps(sorted(frontier))
            found = self._db.execute(
                "SELECT a, b FROM doc_links WHERE a IN (SELECT value FROM json_each(?))"
                " OR b IN (SELECT value FROM json_each(?))", (ids, ids),
            ).fetchall()
            links.update((a, b) for a, b in found)
            frontier = {x for r in found for x in r} - members
        names = {
            r[0]: (r[1], r[2]) for r in self._db.execute(
                "SELECT d.id, f.name, d.ordinal FROM documents d JOIN files f ON f.id = d.file_id"
                " WHERE d.id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(members)),),
            )
        }
        work = components(names, links)
        self._db.executemany("UPDATE documents SET work = ? WHERE id = ?", [(w, d) for d, w in sorted(work.items())])
        heads = self._db.execute(
            "SELECT f.name, d.ordinal FROM documents d JOIN files f ON f.id = d.file_id WHERE d.work = d.id"
        ).fetchall()
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
            ("works_digest", works_digest((n, o) for n, o in heads)),
            ("updated", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
        ])

    @_guarded
    def library_info(self) -> LibraryInfo:
        meta = dict(self._db.execute(
            "SELECT key, value FROM meta WHERE key IN ('updated', 'works_digest')"
        ).fetchall())
        documents, works = self._db.execute("SELECT count(*), count(DISTINCT work) FROM documents").fetchone()
        collections = dict(self._db.execute(
            "SELECT f.collection, count(*) FROM documents d JOIN files f ON f.id = d.file_id"
            " GROUP BY f.collection ORDER BY f.collection"
        ).fetchall())
        return LibraryInfo(documents=documents, works=works, updated=meta.get("updated") or None,
                           works_digest=meta.get("works_digest", ""), collections=collections)

    @_guarded
    def catalog(
        self, *, files: Collection[str] | None = None, works: Collection[int] | None = None
    ) -> list[CatalogEntry]:
        sql = ("SELECT d.id, f.path, f.name, d.ordinal, f.collection, d.work FROM documents d"
               " JOIN files f ON f.id = d.file_id")
        args: tuple[str, ...] = ()
        if files is not None or works is not None:
            # A union of two indexed lookups (an OR of the two would scan every document).
            sql += (" WHERE d.id IN (SELECT d2.id FROM files f2 JOIN documents d2 ON d2.file_id = f2.id"
                    " WHERE f2.path IN (SELECT value FROM json_each(?))"
                    " UNION SELECT d3.id FROM documents d3 WHERE d3.work IN (SELECT value FROM json_each(?)))")
            args = (json.dumps(sorted(files or ())), json.dumps(sorted(works or ())))
        return [
            CatalogEntry(id=r[0], file=r[1], file_name=r[2], ordinal=r[3], collection=r[4], work=r[5])
            for r in self._db.execute(sql + " ORDER BY f.path, d.ordinal", args)
        ]

    @_guarded
    def documents_by_id(self, ids: Collection[int]) -> dict[int, DocumentRecord]:
        rows = self._db.execute(
            f"SELECT {self._DOC_COLUMNS} FROM documents d JOIN files f ON f.id = d.file_id"  # noqa: S608 - constant columns
            " WHERE d.id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(ids)),),
        )
        return {r[0]: self._doc(r) for r in rows}

    @_guarded
    def sentence_owners(self, sentence_ids: IntArray) -> tuple[IntArray, IntArray]:
        sids = np.asarray(sentence_ids, dtype=np.int64)
        docs = np.full(sids.size, -1, dtype=np.int64)
        works = np.full(sids.size, -1, dtype=np.int64)
        distinct, inverse = np.unique(sids, return_inverse=True)
        if not distinct.size:
            return docs, works
        rows = self._db.execute(
            "SELECT q.value, d.id, d.work, d.sent_base + d.sent_count FROM json_each(?) q"
            " JOIN documents d ON d.id = (SELECT d2.id FROM documents d2 WHERE d2.sent_base <= q.value"
            " ORDER BY d2.sent_base DESC LIMIT 1)",
            (json.dumps(distinct.tolist()),),
        ).fetchall()
        owner = {sid: (doc, work) for sid, doc, work, end in rows if sid < end}
        found = np.array([owner.get(s, (-1, -1)) for s in distinct.tolist()], dtype=np.int64).reshape(-1, 2)
        return found[inverse, 0], found[inverse, 1]

    @_guarded
    def sketch_candidates(self, keys: IntArray) -> list[tuple[int, int]]:
        probe = [[row, band, key] for row, values in enumerate(np.asarray(keys, dtype=np.int64).tolist())
                 if any(values) for band, key in enumerate(values)]
        if not probe:
            return []
        rows = self._db.execute(
            "SELECT DISTINCT json_extract(q.value, '$[0]'), b.doc FROM json_each(?) q JOIN doc_bands b"
            " ON b.band = json_extract(q.value, '$[1]') AND b.key = json_extract(q.value, '$[2]')",
            (json.dumps(probe),),
        ).fetchall()
        return sorted((int(r), int(d)) for r, d in rows)

    def remove(self, *, paths: Collection[str] = (), documents: Collection[int] = ()) -> None:
        """Take whole files (by path) and single documents (by id) out, in one transaction.

        Their sentences stay in the LSH segments until the next merge, unreachable (as those
        of replaced files): no document owns them any more."""
        if not paths and not documents:
            return
        with self._write():
            files = self._db.execute(
                "SELECT id, edge_lines FROM files WHERE path IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(paths)),),
            ).fetchall()
            gone = self._documents_of_files(f[0] for f in files) | set(documents)
            relink = self._linked_outside(gone)
            for file_id, edge_lines in files:
                for key, count in json.loads(edge_lines).items():
                    self._db.execute(
                        "UPDATE edge_lines SET occurrences = occurrences - ?, files = files - 1 WHERE key = ?",
                        (count, key),
                    )
                self._db.execute("DELETE FROM files WHERE id = ?", (file_id,))
            self._db.execute("DELETE FROM edge_lines WHERE files <= 0")
            self._db.execute(
                "DELETE FROM documents WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(gone)),)
            )
            self._refresh_works(relink)

    def set_collection(self, paths: Collection[str], collection: str) -> None:
        if not paths:
            return
        with self._write():
            self._db.execute(
                "UPDATE files SET collection = ? WHERE path IN (SELECT value FROM json_each(?))",
                (collection, json.dumps(sorted(paths))),
            )
            self._refresh_works(set())
