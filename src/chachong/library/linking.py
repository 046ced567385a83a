"""Linking the documents of an `index` run to the near-duplicates already indexed.

Computed before anything is written (like the rest of a run), from the documents' texts:
fingerprints and document-level LSH keys (`works`), candidates among the indexed documents (the
store's ``sketch_candidates``) and among the run's own documents, each candidate verified on
the fingerprints. The store keeps the keys and the links and derives the works from them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..model import DocRef, IntArray, Link
from ..store import IndexView
from .works import Fingerprint, candidate_pairs, fingerprint, near_duplicates, sketch_keys


@dataclass(frozen=True, slots=True)
class RunDocument:
    path: str  # its file's label in the index
    ordinal: int
    text: str


@dataclass(frozen=True, slots=True, eq=False)
class RunLinks:
    sketches: dict[str, IntArray]  # path -> (documents, DOC_BANDS) keys, in the order given
    links: dict[str, tuple[Link, ...]]  # path -> (ordinal, other document) links


def link_documents(view: IndexView, documents: Sequence[RunDocument], *, replaced: Collection[str]) -> RunLinks:
    """Sketch ``documents`` and link each to its near-duplicates, indexed or in the run.

    ``replaced``: paths whose indexed versions this run replaces (never linked to)."""
    prints = [fingerprint(d.text) for d in documents]
    keys = sketch_keys(prints)
    links: dict[str, list[Link]] = {d.path: [] for d in documents}

    def link(i: int, other: DocRef) -> None:
        links[documents[i].path].append((documents[i].ordinal, other))

    for i, j in candidate_pairs(keys):
        if near_duplicates(prints[i], prints[j]):
            link(i, (documents[j].path, documents[j].ordinal))
            link(j, (documents[i].path, documents[i].ordinal))
    candidates = view.sketch_candidates(keys)
    if candidates:
        indexed = view.documents_by_id({doc_id for _, doc_id in candidates})
        indexed_prints: dict[int, Fingerprint] = {}
        for i, doc_id in candidates:
            doc = indexed.get(doc_id)
            if doc is None or doc.file in replaced:
                continue
            if doc_id not in indexed_prints:
                indexed_prints[doc_id] = fingerprint(doc.text)
            if near_duplicates(prints[i], indexed_prints[doc_id]):
                link(i, doc_id)
    sketches: dict[str, list[int]] = {}
    for i, d in enumerate(documents):
        sketches.setdefault(d.path, []).append(i)
    return RunLinks(
        sketches={path: keys[rows] for path, rows in sketches.items()},
        links={path: tuple(sorted(ls, key=repr)) for path, ls in links.items()},
    )
