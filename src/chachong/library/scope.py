"""What a draft is compared with: every indexed document, less those it must not be matched to.

* ``check --exclude FILE|DOC|COLLECTION`` (Turnitin's "exclude source"): a file on disk or a
  folder (the indexed files in it), a document (``NAME#N``), an indexed file (its name or
  path), or a collection. A document or file is excluded with its whole work: reprints of a
  text one asked not to be matched against are that text.
* A draft whose content is itself indexed is not matched against it: documents of a file with
  the draft's SHA-256 (the draft was indexed, or a copy of it), and of the file at the draft's
  own path (an earlier version of the draft), with their works; the report lists them
  (``skipped_sources``). Another file that merely copies a whole indexed document is a copy
  like any other and is reported as one.
* Of each work, only one document is matched: the one the draft shares the most with (the most
  LSH band hits over the whole draft; on a tie, the document that names the work; a work the
  LSH missed: the most keys of the layer that found it). A copied passage thus names the
  best-matching reprint, whatever its ``match``, and ``reprints`` says how many others there are.
* All this applies to the candidates of every layer of a check (`CandidateScope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..indexer import label_for
from ..model import WINDOW_FLAG, FileRecord, IntArray, SkippedSource
from ..store import IndexView

SAME_CONTENT = "same content as the draft"
EARLIER_VERSION = "an earlier version of the draft (indexed from its path)"


@dataclass(frozen=True, slots=True)
class Scope:
    barred: frozenset[int] = frozenset()  # ids of documents not to match
    skipped: tuple[SkippedSource, ...] = ()
    excluded: tuple[str, ...] = ()  # the --exclude values, as given
    notes: dict[str, int] = field(default_factory=dict)  # excluded value -> documents it covers


def resolve_scope(  # noqa: PLR0912 - one branch per kind of --exclude value
    view: IndexView, files: Sequence[FileRecord], *, exclude: Sequence[str] = (),
    sha256: str | None = None, draft_path: str | None = None,
) -> Scope:
    """The documents a draft is not matched against (see the module's docstring)."""
    barred: set[int] = set()
    notes: dict[str, int] = {}
    if exclude:
        catalog = view.catalog()
        by_doc = {e.name: e for e in catalog}
        by_file_name = {f.name: f.path for f in files}
        by_path = {f.path for f in files}
        collections = {e.collection for e in catalog}
        for value in exclude:
            paths: set[str] = set()
            docs: set[int] = set()
            whole_works = True  # a collection is excluded as it is, reprints elsewhere not
            on_disk = Path(value)
            if value in by_doc:
                docs.add(by_doc[value].id)
            elif value in by_file_name or value in by_path:
                paths.add(by_file_name.get(value, value))
            elif on_disk.is_dir():
                root = on_disk.resolve()
                paths.update(f.path for f in files if Path(f.path).is_absolute() and Path(f.path).is_relative_to(root))
            elif on_disk.is_file() and label_for(on_disk) in by_path:
                paths.add(label_for(on_disk))
            elif value in collections:
                docs.update(e.id for e in catalog if e.collection == value)
                whole_works = False
            else:
                raise UsageError(f"--exclude {value}: no such document, file or collection in the index")
            docs.update(e.id for e in catalog if e.file in paths)
            if whole_works:
                works = {e.work for e in catalog if e.id in docs}
                docs.update(e.id for e in catalog if e.work in works)
            if not docs:
                raise UsageError(f"--exclude {value}: no indexed document in it")
            notes[value] = len(docs)
            barred |= docs
    skipped: list[SkippedSource] = []
    own = {f.path: SAME_CONTENT for f in files if sha256 is not None and f.sha256 == sha256}
    if draft_path is not None:
        own.setdefault(draft_path, EARLIER_VERSION)
    if own:
        mine = view.catalog(files=list(own))
        members = view.catalog(works={e.work for e in mine})
        reason_of_work = {e.work: own[e.file] for e in mine if e.file in own}
        for e in members:
            if e.id not in barred:
                skipped.append(SkippedSource(doc=e.name, file=e.file, reason=reason_of_work[e.work]))
                barred.add(e.id)
    return Scope(barred=frozenset(barred), skipped=tuple(skipped), excluded=tuple(exclude), notes=notes)


class CandidateScope:
    """The one filter every layer's candidates pass through (`match.check`: the sentence
    layer's LSH candidates, the fragment layer's fingerprints, the paraphrase layer's keys),
    so a check's scope holds whatever found a passage.

    Drops candidates of barred documents and dead sentences, and keeps of each work only the
    sentences of one document: the first layer that finds a work chooses it (the document
    sharing the most keys with the whole draft in that layer: LSH bands for the sentence
    layer, which runs first), and the later layers keep to that choice, so passages of every
    kind (verbatim, near, paraphrase) from one work name the same reprint, and a clause
    reprinted in many documents still counts as one work's (not as stock phrasing).
    """

    def __init__(self, view: IndexView, barred: frozenset[int]) -> None:
        self._view = view
        self._barred = np.fromiter(barred, dtype=np.int64, count=len(barred))
        self._chosen: dict[int, int] = {}  # work -> the document its candidates must come from

    def filter(self, q: IntArray, ids: IntArray, hits: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """The candidates (draft sentence ``q``, posted ``ids``: sentence ids, with
        `model.WINDOW_FLAG` for a window of two, sharing ``hits`` keys) in scope."""
        if not ids.size:
            return q, ids, hits
        docs, works = self._view.sentence_owners(np.asarray(ids, dtype=np.int64) & ~WINDOW_FLAG)
        keep = docs >= 0
        if self._barred.size:
            keep &= ~np.isin(docs, self._barred)
        q, ids, hits, docs, works = q[keep], ids[keep], hits[keep], docs[keep], works[keep]
        if not ids.size:
            return q, ids, hits
        new = ~np.isin(works, np.fromiter(self._chosen, dtype=np.int64, count=len(self._chosen)))
        if new.any():
            # Per (work, document): keys shared with the draft; the best document of each work.
            pairs, inverse = np.unique(np.stack((works[new], docs[new]), axis=1), axis=0, return_inverse=True)
            totals = np.bincount(inverse.reshape(-1), weights=hits[new], minlength=len(pairs))
            # Rank by work, then most hits, then the document naming the work, then the lowest id.
            order = np.lexsort((pairs[:, 1], pairs[:, 1] != pairs[:, 0], -totals, pairs[:, 0]))
            ranked = pairs[order]
            first = np.concatenate(([True], ranked[1:, 0] != ranked[:-1, 0]))
            self._chosen.update(zip(ranked[first, 0].tolist(), ranked[first, 1].tolist()))
        chosen = np.array([self._chosen[w] for w in works.tolist()], dtype=np.int64)
        keep = docs == chosen
        return q[keep], ids[keep], hits[keep]
