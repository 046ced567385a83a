"""The one interface every index backend implements (SQLite file, Redis).

Callers (indexer, check, pairs, phrases, bench) see only these protocols: `Store` to open,
write and close an index, and `IndexView`, the reads of one committed state that
``Store.snapshot()`` yields. Backends are chosen by the form of the location
(`chachong.store.open_store`), so no caller branches on the backend.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..model import CatalogEntry, DocumentRecord, FileRecord, IntArray, LibraryInfo, NewFile, UInt32Array
from ..sketch.lsh import LshParams

# (query sentence, indexed sentence id, shared bands), one row per distinct pair.
Candidates = tuple[IntArray, IntArray, IntArray]
SentenceOwners = dict[int, tuple[DocumentRecord, int]]


class IndexView(Protocol):
    """Reads of an index. Inside ``Store.snapshot()`` they all see one committed state."""

    @property
    def location(self) -> str:
        """Where the index is, as shown to users (a Redis password is blanked)."""
        ...

    @property
    def params(self) -> LshParams: ...

    def files(self) -> list[FileRecord]:
        """Indexed files, by path."""
        ...

    def documents(self) -> list[DocumentRecord]:
        """Indexed documents, by file path and ordinal."""
        ...

    def document_count(self) -> int: ...

    def file_sha256(self, path: str) -> str | None: ...

    def file_edge_lines(self, path: str) -> dict[str, int]:
        """Edge lines the stored version of ``path`` contributed to the recurrence counts."""
        ...

    def edge_line_counts(self, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(occurrences, files) of lines seen at the edges of indexed files."""
        ...

    def documents_for_sentences(self, sentence_ids: npt.NDArray[np.int64]) -> SentenceOwners:
        """Map live sentence ids to (document, index of the sentence in the document)."""
        ...

    def candidates(self, keys: IntArray) -> Candidates:
        """LSH candidates of query band keys, shape (m, bands)."""
        ...

    def postings(self, layer: int, keys: UInt32Array) -> tuple[IntArray, UInt32Array]:
        """(index into ``keys``, posted id) for every posting of the distinct ``keys`` in a
        posting layer (`store.postings`), sorted; keys over the layer's cap give nothing.
        An id is a sentence id, with `model.WINDOW_FLAG` set for a window of two."""
        ...

    def stats(self) -> dict[str, int]: ...

    def get_derived(self, name: str, generation: str) -> bytes | None:
        """A cached value computed from the index at ``generation``, or None."""
        ...

    def put_derived(self, name: str, generation: str, value: bytes) -> None:
        """Cache a derived value (best effort: a read-only index just recomputes it)."""
        ...

    # -- the library layer (`chachong.library`): identities, collections, works ------------
    def library_info(self) -> LibraryInfo: ...

    def catalog(
        self, *, files: Collection[str] | None = None, works: Collection[int] | None = None
    ) -> list[CatalogEntry]:
        """Documents (no text) of the given files or works, or all of them; by file path, ordinal."""
        ...

    def documents_by_id(self, ids: Collection[int]) -> dict[int, DocumentRecord]:
        """The live documents among ``ids``."""
        ...

    def sentence_owners(self, sentence_ids: IntArray) -> tuple[IntArray, IntArray]:
        """Per sentence id: its live document's id and that document's work (-1, -1 if none)."""
        ...

    def sketch_candidates(self, keys: IntArray) -> list[tuple[int, int]]:
        """(row of ``keys``, document id): documents whose document-level LSH keys share a band
        with the row (`library.works.DOC_BANDS` columns; rows of zeros match nothing)."""
        ...


class Store(IndexView, Protocol):
    """An open index: reads (of the latest state), one-transaction writes, snapshots."""

    @property
    def backend(self) -> str:
        """"sqlite" or "redis"."""
        ...

    def snapshot(self) -> AbstractContextManager[IndexView]:
        """Reads through the view it yields see one committed state, whatever writers do."""
        ...

    def write(self, new_files: Sequence[NewFile]) -> None:
        """Add files (replacing earlier versions of the same paths) in one atomic run."""
        ...

    def remove(self, *, paths: Collection[str] = (), documents: Collection[int] = ()) -> None:
        """Take whole files (by path) and single documents (by id) out, in one transaction."""
        ...

    def set_collection(self, paths: Collection[str], collection: str) -> None:
        """Move indexed files to ``collection`` (one transaction)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...
