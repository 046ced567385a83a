"""Taking documents out of an index, and leaving nothing behind when a first run is stopped.

``chachong remove TARGET…``: a target is an indexed document (``NAME#N``), an indexed file (its
name or its path in the index, e.g. a file since deleted), or a file or folder on disk (the
indexed files it is or holds). All targets are resolved before anything is removed, and all are
removed in one transaction; a target that names nothing indexed stops the command (every such
target is named, one line each, and nothing is removed).

A first ``index`` run (the index did not exist) that fails, is interrupted (Ctrl-C) or
terminated (SIGTERM) deletes the index it created: `first_run`. The signals reach it as
exceptions: the command line's handlers (`cli.main`) raise one where the program is, and print
the one line about it once the cleanups have run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChachongError, UsageError
from ..indexer import label_for
from ..model import CatalogEntry
from ..store import IndexView, remove_store


@dataclass(frozen=True, slots=True)
class Removal:
    files: tuple[str, ...]  # paths (in the index) of whole files to take out
    documents: tuple[CatalogEntry, ...]  # single documents of files that stay
    count: int  # documents taken out in all
    unknown: tuple[UsageError, ...] = ()  # targets that name nothing indexed: then nothing is removed


def resolve_removal(view: IndexView, targets: Sequence[str]) -> Removal:
    """What ``chachong remove TARGET…`` takes out (see the module's docstring)."""
    files = view.files()
    catalog = view.catalog()
    by_doc = {e.name: e for e in catalog}
    by_name = {f.name: f.path for f in files}
    indexed = {f.path for f in files}
    whole: set[str] = set()
    single: dict[int, CatalogEntry] = {}
    unknown: list[UsageError] = []
    for target in targets:
        on_disk = Path(target)
        if target in by_doc:
            single[by_doc[target].id] = by_doc[target]
        elif target in by_name or target in indexed:
            whole.add(by_name.get(target, target))
        elif on_disk.is_dir():
            root = on_disk.resolve()
            found = {p for p in indexed if Path(p).is_absolute() and Path(p).is_relative_to(root)}
            if not found:
                unknown.append(UsageError("no indexed file in this folder", path=target))
            whole |= found
        elif on_disk.exists() and label_for(on_disk) in indexed:
            whole.add(label_for(on_disk))
        else:
            unknown.append(UsageError("not in the index (give a document NAME#N, an indexed file or a folder)",
                                      path=target))
    documents = tuple(e for doc_id, e in sorted(single.items()) if e.file not in whole)
    count = sum(1 for e in catalog if e.file in whole) + len(documents)
    return Removal(files=tuple(sorted(whole)), documents=documents, count=count, unknown=tuple(unknown))


@contextmanager
def first_run(location: str, *, created: bool) -> Iterator[None]:
    """Around a run that may have created the index at ``location``: if it created it and does
    not complete (an error, or Ctrl-C/SIGTERM as the exception the command line raises for
    them), the index is deleted, as if never made, and the exception goes on. The store must
    be closed by the time the exception leaves the block's body."""
    if not created:
        yield
        return
    try:
        yield
    except BaseException:
        # Best effort: what failed (a read-only folder, Redis gone) may fail this too, and
        # the user must hear of the first problem, not of the cleanup's.
        with contextlib.suppress(ChachongError, OSError):
            remove_store(location)
        raise
