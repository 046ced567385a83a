"""What the library pages show: the index's status and its documents, read in one snapshot.

These reads run in threads of the server process (not the check workers, so the pages answer
while every worker is checking), each on a connection opened for the request. The list of
documents is kept per index generation: reading it loads every document's text, which is
worth doing once per change of the index, not once per page.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..library.listing import DocRow, document_rows
from ..match.check import CheckOptions
from ..model import FileRecord
from ..phrases import default_min_docs, index_generation
from ..store import open_store
from ..text.reading import MAX_DRAFT_BYTES


@dataclass(frozen=True, slots=True)
class Status:
    location: str  # as the store shows it: a Redis password blanked
    backend: str
    generation: str
    counts: dict[str, int]  # files, documents, sentences, chars, segments
    lsh: dict[str, int]
    files: tuple[FileRecord, ...]


@dataclass(frozen=True, slots=True)
class Library:
    generation: str
    files: tuple[FileRecord, ...]
    documents: tuple[DocRow, ...]


def read_status(location: str) -> Status:
    with open_store(location) as store, store.snapshot() as view:
        files = tuple(view.files())
        return Status(
            location=view.location, backend=store.backend, generation=index_generation(view, files=files),
            counts=view.stats(), lsh=view.params.to_dict(), files=files,
        )


def read_library(location: str) -> Library:
    with open_store(location) as store, store.snapshot() as view:
        files = tuple(view.files())
        docs = tuple(document_rows(view.documents()))
        return Library(index_generation(view, files=files), files, docs)


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds")


class Changes:
    """When this server saw the index change, and a cache of its document list per generation.

    The index itself records no time of its last run; the server notes when it first saw each
    generation (the set of indexed files and their contents). (An index file's modification
    time is no substitute: checks write the stock-phrase cache into it, and SQLite checkpoints.)
    """

    def __init__(self) -> None:
        self.started = time.time()
        self._seen: dict[str, float] = {}
        self._library: Library | None = None
        self._lock = threading.Lock()

    def seen(self, generation: str) -> float | None:
        """When the server first saw ``generation`` (None: it was the state at start)."""
        with self._lock:
            if not self._seen:
                self._seen[generation] = 0.0  # the state at start: changed before we looked
            first = self._seen.setdefault(generation, time.time())
        return first or None

    def library(self, location: str, generation: str) -> Library:
        cached = self._library
        if cached is not None and cached.generation == generation:
            return cached
        library = read_library(location)
        self._library = library
        self.seen(library.generation)
        return library

    def last_change(self, status: Status) -> dict[str, str | None]:
        seen = self.seen(status.generation)
        return {
            "seen": _iso(seen) if seen else None,  # None: before this server started
            "server_started": _iso(self.started),
        }


def thresholds(documents: int) -> dict[str, Any]:
    options = CheckOptions()
    return {
        "common_docs": default_min_docs(documents),
        "min_passage_chars": options.min_passage_chars,
        "candidates_per_sentence": options.candidates_per_sentence,
        "max_gap_chars": options.max_gap_chars,
        "max_draft_bytes": MAX_DRAFT_BYTES,
    }
