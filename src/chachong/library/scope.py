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
  LSH band hits over the whole draft; on a tie, the document that names the work). A copied
  passage thus names the best-matching reprint, and ``reprints`` says how many others there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..indexer import label_for
from ..model import FileRecord, IntArray, SkippedSource
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


def one_document_per_work(
    view: IndexView, q: IntArray, sid: IntArray, hits: IntArray, barred: frozenset[int]
) -> tuple[IntArray, IntArray, IntArray]:
    """The LSH candidates of a draft, less barred and dead sentences, and of each work only
    the sentences of its best-matching document."""
    if not sid.size:
        return q, sid, hits
    docs, works = view.sentence_owners(sid)
    keep = docs >= 0
    if barred:
        keep &= ~np.isin(docs, np.fromiter(barred, dtype=np.int64, count=len(barred)))
    q, sid, hits, docs, works = q[keep], sid[keep], hits[keep], docs[keep], works[keep]
    if not sid.size:
        return q, sid, hits
    # Per (work, document): total bands shared with the draft; the best document of each work.
    pairs, inverse = np.unique(np.stack((works, docs), axis=1), axis=0, return_inverse=True)
    totals = np.bincount(inverse.reshape(-1), weights=hits, minlength=len(pairs))
    # Rank by work, then most hits, then the document naming the work, then the lowest id.
    order = np.lexsort((pairs[:, 1], pairs[:, 1] != pairs[:, 0], -totals, pairs[:, 0]))
    ranked = pairs[order]
    first = np.concatenate(([True], ranked[1:, 0] != ranked[:-1, 0]))
    chosen = ranked[first, 1]
    keep = np.isin(docs, chosen)
    return q[keep], sid[keep], hits[keep]
