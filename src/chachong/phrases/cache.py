"""The phrase table of an index, cached in the index under the state it was computed from.

The table is computed over one document per work (its first member, `library.works`), so a
phrase's ``docs`` counts works: reprints of one article never make its sentences stock phrasing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..model import DocumentRecord, FileRecord, LibraryInfo
from ..store import IndexView
from .table import PhraseTable, compute_phrases, default_min_docs, table_from_json, table_to_json


def index_generation(
    view: IndexView, *, files: Sequence[FileRecord] | None = None, info: LibraryInfo | None = None
) -> str:
    """Changes whenever the set of indexed files or of works changes (``files``:
    ``view.files()``, ``info``: ``view.library_info()``, if read)."""
    works = (view.library_info() if info is None else info).works_digest
    return generation_of(((f.path, f.sha256) for f in (view.files() if files is None else files)), works=works)


def generation_of(files: Iterable[tuple[str, str]], *, works: str) -> str:
    """Of ``(path, sha256)`` pairs in path order (as stores list their files) and the works
    digest (`library.works.works_digest`)."""
    h = hashlib.sha256()
    for path, sha256 in files:
        h.update(f"{path}\0{sha256}\n".encode())
    h.update(f"works\0{works}".encode())
    return h.hexdigest()


def first_of_works(documents: Iterable[DocumentRecord]) -> list[DocumentRecord]:
    """One document per work: the one that names it."""
    return [d for d in documents if d.work == d.id]


def phrase_table(
    view: IndexView, *, min_docs: int | None = None, files: Sequence[FileRecord] | None = None,
    max_chars: int | None = None, info: LibraryInfo | None = None,
) -> PhraseTable:
    """The phrase table of ``view``, from its cache when the index has not changed.

    ``files``, ``info``: ``view.files()``, ``view.library_info()`` when the caller has read
    them in the same snapshot;
    ``max_chars``: the size of the sample it is computed from when not cached (default
    `table.MAX_CORPUS_CHARS`).
    """
    info = view.library_info() if info is None else info
    min_docs = default_min_docs(info.works) if min_docs is None else max(2, min_docs)
    generation = index_generation(view, files=files, info=info)
    cached = view.get_derived(_cache_name(min_docs), generation)
    if cached is not None:
        return table_from_json(cached)
    table = compute_phrases(first_of_works(view.documents()), min_docs=min_docs, max_chars=max_chars)
    cache_if_current(view, min_docs, generation, table_to_json(table))
    return table


def _cache_name(min_docs: int) -> str:
    return f"phrases:{min_docs}"


def cache_if_current(view: IndexView, min_docs: int, generation: str, table: dict[str, Any]) -> bool:
    """Cache a table computed for ``generation`` if the index is still at it.

    Another process may have changed the index while the table was computed: only a table
    known to belong to one generation is cached.
    """
    if index_generation(view) != generation:
        return False
    view.put_derived(_cache_name(min_docs), generation, json.dumps(table, ensure_ascii=False).encode())
    return True
