"""The phrase table of an index, cached in the index under the state it was computed from.

The table is computed over one document per work (its first member, `library.works`), so a
phrase's ``docs`` counts works: reprints of one article never make its sentences stock phrasing.

One table is cached per state: the phrases in at least `table.BASE_MIN_DOCS` works.
Every threshold (``check --common-docs``, ``phrases --min-docs``, ``pairs --max-docs``) is
that table `restrict`-ed, so a higher threshold can only drop phrases below it and every
threshold shares one cache entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..model import DocumentRecord, FileRecord, LibraryInfo
from ..store import IndexView
from .table import PhraseTable, all_phrases, default_min_docs, restrict, table_from_json, table_to_json

# Version 2: the table of every phrase in BASE_MIN_DOCS works (version 1 cached one table
# per threshold, each computed at that threshold).
CACHE_NAME = "phrases-v2"


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
    """The phrase table of ``view`` at ``min_docs`` (default: `default_min_docs`), from the
    cache when the index has not changed.

    ``files``, ``info``: ``view.files()``, ``view.library_info()`` when the caller has read
    them in the same snapshot;
    ``max_chars``: the size of the sample it is computed from when not cached (default
    `table.MAX_CORPUS_CHARS`).
    """
    info = view.library_info() if info is None else info
    min_docs = default_min_docs(info.works) if min_docs is None else min_docs
    return restrict(base_table(view, files=files, max_chars=max_chars, info=info), min_docs)


def base_table(
    view: IndexView, *, files: Sequence[FileRecord] | None = None, max_chars: int | None = None,
    info: LibraryInfo | None = None,
) -> PhraseTable:
    """Every phrase of ``view`` in at least `table.BASE_MIN_DOCS` works (cached), computed
    over the first document of each work."""
    generation = index_generation(view, files=files, info=info)
    cached = view.get_derived(CACHE_NAME, generation)
    if cached is not None:
        return table_from_json(cached)
    table = all_phrases(first_of_works(view.documents()), max_chars=max_chars)
    cache_if_current(view, generation, table_to_json(table))
    return table


def cache_if_current(view: IndexView, generation: str, table: dict[str, Any]) -> bool:
    """Cache a base table (`all_phrases`) computed for ``generation`` if the index is still at it.

    Another process may have changed the index while the table was computed: only a table
    known to belong to one generation is cached.
    """
    if index_generation(view) != generation:
        return False
    view.put_derived(CACHE_NAME, generation, json.dumps(table, ensure_ascii=False).encode())
    return True
