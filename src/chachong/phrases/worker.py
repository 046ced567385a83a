"""The phrase table of an index being written, computed in a second process meanwhile.

`BackgroundPhraseTable` (the index process's side) starts ``python -m chachong.phrases.worker``
(`main`, the worker's side): it reads the request (where the index is, and the new files'
documents) on stdin and prints one JSON line, the table with the generation it belongs to,
on stdout. It prints nothing when it fails: the index process then computes the table itself.
Only `chachong index` imports this module; a check never starts a process.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from ..indexer import SplitFile
from ..library.works import components, works_digest
from ..model import DocRef, DocumentRecord, FileRecord, Link, document_name
from ..store import IndexView, Store, open_store
from .cache import cache_if_current, generation_of, phrase_table
from .table import (
    MAX_CORPUS_CHARS,
    PhraseSource,
    PhraseTable,
    all_phrases,
    default_min_docs,
    restrict,
    table_from_dict,
    table_to_json,
)

# Below this many new characters the index work is too short for a second process to pay
# for its start-up (~0.3 s).
BACKGROUND_MIN_CHARS = 1_000_000


class BackgroundPhraseTable:
    """The default phrase table of an index being written, computed meanwhile.

    `chachong index` must leave the phrase table cached (a check needs it), and on a large
    library computing it takes as long as the MinHash work. Both need only the documents, so
    ``start`` (an ``on_split`` for `index_paths`) hands the new files to a second process
    (``python -m chachong.phrases.worker``) while this one computes signatures and writes;
    ``finish`` caches the worker's table once the write is committed, or computes the table
    here when the worker could not (one core, little to do, a worker error, another writer
    in between). A fresh interpreter rather than a fork: a forked child must not touch the
    SQLite state it inherits, and multiprocessing's spawn would re-run the caller's script.
    ``max_chars``: the size of the sample the table is computed from.
    """

    def __init__(self, location: str, *, max_chars: int = MAX_CORPUS_CHARS):
        self._location = location  # what the worker opens (sent on its stdin, never argv)
        self._max_chars = max_chars
        self._process: subprocess.Popen[bytes] | None = None
        self._feeder: threading.Thread | None = None
        self.in_background = False
        self.worker_seconds: float | None = None  # the worker's own time and peak memory
        self.worker_peak_rss: int | None = None

    def start(self, files: list[SplitFile]) -> None:
        """Start the worker on the files of a run (when it is worth it)."""
        chars = sum(d.end - d.start for f in files for d in f.documents)
        if chars < BACKGROUND_MIN_CHARS or _usable_cpus() < 2:
            return
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "chachong.phrases.worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except OSError:  # no process to spare: `finish` computes the table here
            return
        # Written from a thread: the pipe takes the texts as fast as the worker reads them,
        # and this process has MinHash to do meanwhile.
        self._feeder = threading.Thread(
            target=_send_request, args=(process.stdin, self._location, self._max_chars, files),
            daemon=True,
        )
        self._feeder.start()
        self._process = process
        self.in_background = True

    def finish(self, store: Store) -> PhraseTable:
        """The (default) table of ``store`` as committed; its base table is cached in it."""
        payload = self._collect()
        if payload is not None and cache_if_current(store, payload["generation"], payload["table"]):
            return restrict(table_from_dict(payload["table"]), default_min_docs(store.library_info().works))
        return phrase_table(store, max_chars=self._max_chars)

    def cancel(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._end()

    def _end(self) -> None:
        process, self._process = self._process, None
        if self._feeder is not None:
            self._feeder.join()
        if process is None:
            return
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if process.stdin is not None and not process.stdin.closed:  # the feeder stopped on a broken pipe
            with contextlib.suppress(OSError):
                process.stdin.close()

    def _collect(self) -> dict[str, Any] | None:
        if self._process is None or self._process.stdout is None:
            return None
        raw = self._process.stdout.read()
        self._end()
        try:
            payload: dict[str, Any] = json.loads(raw)
        except ValueError:  # the worker failed (it printed nothing)
            return None
        self.worker_seconds = payload["seconds"]
        self.worker_peak_rss = payload["peak_rss"]
        return payload


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _send_request(pipe: IO[bytes], location: str, max_chars: int, files: Sequence[SplitFile]) -> None:
    """One JSON line (where, and the files' documents), then each file's text in UTF-8,
    after its length in 8 bytes (encoded one at a time: no second copy of a library)."""
    header = {
        "location": location, "max_chars": max_chars,
        "files": [
            {"path": f.path, "sha256": f.sha256, "name": f.name,
             "documents": [[d.ordinal, d.title, d.start, d.end] for d in f.documents],
             "links": [[o, ref if isinstance(ref, int) else list(ref)] for o, ref in f.links]}
            for f in files
        ],
    }
    try:
        with pipe:
            pipe.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
            for f in files:
                data = f.text.encode("utf-8")
                pipe.write(len(data).to_bytes(8, "little") + data)
    except OSError:
        pass  # the worker is gone; `finish` finds no table and computes it


@dataclass(frozen=True, slots=True)
class NewFileDocuments:
    path: str
    sha256: str
    text: str
    documents: list[tuple[int, str, int, int]]  # (ordinal, title, start, end)
    name: str
    links: list[Link]


def read_request(stream: IO[bytes]) -> tuple[str, int, list[NewFileDocuments]]:
    """The worker's side of `_send_request`."""
    header = json.loads(stream.readline())
    files = []
    for f in header["files"]:
        size = int.from_bytes(stream.read(8), "little")
        data = stream.read(size)
        if len(data) != size:  # the index process is gone
            raise EOFError("request cut short")
        text = data.decode("utf-8")
        documents = [(int(o), str(t), int(s), int(e)) for o, t, s, e in f["documents"]]
        links: list[Link] = [(int(o), ref if isinstance(ref, int) else (str(ref[0]), int(ref[1])))
                             for o, ref in f["links"]]
        files.append(NewFileDocuments(f["path"], f["sha256"], text, documents, str(f["name"]), links))
    return str(header["location"]), int(header["max_chars"]), files


def table_after_write(location: str, files: list[NewFileDocuments], *, max_chars: int) -> dict[str, Any]:
    """The base table (`all_phrases`) of the index at ``location`` as it will be once
    ``files`` are in.

    With the generation that state will have, so the writer caches it only if that is the
    state it committed.
    """
    new_paths = {f.path for f in files}
    with open_store(location) as store, store.snapshot() as view:
        before, docs = _committed_state(view, new_paths)
    kept = [(f.path, f.sha256) for f in before if f.path not in new_paths]
    # The order stores list them in: files by path, documents by file and ordinal.
    new_docs = [_NewDocument(f, *d) for f in files for d in f.documents]
    heads = _first_members(docs, new_docs, files)
    everything: list[PhraseSource] = sorted(
        [d for d in docs if d.id in heads] + [d for d in new_docs if (d.file, d.ordinal) in heads],
        key=lambda d: (d.file, d.ordinal),
    )
    table = all_phrases(everything, max_chars=max_chars)
    names = [(d.file_name, d.ordinal) for d in docs if d.id in heads]
    names += [(d.file_name, d.ordinal) for d in new_docs if (d.file, d.ordinal) in heads]
    return {
        "generation": generation_of(sorted(kept + [(f.path, f.sha256) for f in files]), works=works_digest(names)),
        "table": table_to_json(table),
    }


def _first_members(
    docs: list[DocumentRecord], new_docs: list[_NewDocument], files: list[NewFileDocuments]
) -> set[DocRef]:
    """The documents that will name their works once ``files`` are written: the indexed works
    (``docs``: the indexed documents that stay) joined by the new documents' links. Where the
    replaced documents were what held a work together, the store splits it and this does
    not: the table then belongs to another state and `BackgroundPhraseTable.finish` computes
    it anew."""
    names: dict[DocRef, tuple[str, int]] = {d.id: (d.file_name, d.ordinal) for d in docs}
    names.update({(d.file, d.ordinal): (d.file_name, d.ordinal) for d in new_docs})
    by_work: dict[int, list[int]] = {}
    for d in docs:
        by_work.setdefault(d.work, []).append(d.id)
    links: list[tuple[DocRef, DocRef]] = [
        pair for members in by_work.values() for pair in itertools.pairwise(members)
    ]
    links += [((f.path, ordinal), ref) for f in files for ordinal, ref in f.links]
    return {node for node, head in components(names, links).items() if node == head}


class _NewDocument:
    """A document of a file being indexed, as `all_phrases` reads one.

    Its text is cut from the file's only when read: the phrase table reads a sample, and
    at 90M characters a copy of every document would double the worker's memory.
    """

    __slots__ = ("_file_text", "end", "file", "file_name", "ordinal", "start", "title")

    def __init__(self, new_file: NewFileDocuments, ordinal: int, title: str, start: int, end: int):
        self.file, self._file_text, self.file_name = new_file.path, new_file.text, new_file.name
        self.ordinal, self.title, self.start, self.end = ordinal, title, start, end

    @property
    def text(self) -> str:
        return self._file_text[self.start : self.end]

    @property
    def chars(self) -> int:
        return self.end - self.start

    @property
    def name(self) -> str:
        return document_name(self.file_name, self.ordinal)


def _committed_state(view: IndexView, leave_out: set[str]) -> tuple[list[FileRecord], list[DocumentRecord]]:
    """Files and documents (but those of ``leave_out``) of the committed state ``view`` shows."""
    return view.files(), [d for d in view.documents() if d.file not in leave_out]


def main() -> int:
    """``python -m chachong.phrases.worker``: one request on stdin, one JSON line on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the index process's to handle
    t0 = time.perf_counter()
    location, max_chars, files = read_request(sys.stdin.buffer)
    payload = table_after_write(location, files, max_chars=max_chars)
    payload["seconds"] = time.perf_counter() - t0
    payload["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
