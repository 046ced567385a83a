"""The work the server hands to its worker processes: checks, uploads to the index, the reuse map.

Runs in child processes (``spawn``), so it imports no web framework: a worker starts in the
time it takes to import the checker. Each process opens the index once and keeps it (a SQLite
connection or a Redis client is never shared between processes or threads); every check reads
one snapshot of it (`check_text`), so an ``index`` run committing meanwhile is seen whole or
not at all. Errors travel back to the server as `ChachongError`s whose message already names
the draft as the user called it, never the temporary file it was written to.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..errors import ChachongError, InputError
from ..match.check import CheckOptions, check_text
from ..model import CheckResult
from ..store import Store, open_store
from ..text.reading import MAX_DRAFT_BYTES, read_text

_stores: dict[str, Store] = {}


def _store(location: str) -> Store:
    """This process's own connection to the index, opened on first use."""
    store = _stores.get(location)
    if store is None:
        store = _stores[location] = open_store(location)
    return store


def _forget(location: str) -> None:
    """Drop a connection that failed (Redis went away, the file was replaced): reopen next time."""
    store = _stores.pop(location, None)
    if store is not None:
        # A broken connection may fail to close in any way; it is dropped all the same.
        with contextlib.suppress(Exception):
            store.close()


def warm_up(location: str) -> None:
    """Worker start: import and open everything a check needs, so the first check is not slow.

    Best effort: an index that cannot be opened now is reported by the check that needs it
    (an exception here would break the whole pool).
    """
    try:
        check_text(_store(location), "预热。", file="<warm-up>")
    except Exception:  # noqa: BLE001 - see the docstring: the first real check reports the problem
        _forget(location)


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file the server wrote to a private temporary file (a name it chose)."""

    path: str  # the temporary file: fixed name + the suffix sniffed from the content
    name: str  # how the user called it: used in results and messages, never as a path


def check_job(location: str, *, text: str | None, upload: Upload | None, name: str,
              common_docs: int | None) -> CheckResult:
    """Check a draft given as text or as an uploaded file; the result is what ``check`` gives."""
    if upload is not None:
        text = read_upload(upload, max_bytes=MAX_DRAFT_BYTES)
    if text is None:
        raise InputError("no draft: give the text or a file")
    try:
        return check_text(_store(location), text, file=name, options=CheckOptions(common_docs=common_docs))
    except ChachongError:
        _forget(location)
        raise


def read_upload(upload: Upload, *, max_bytes: int) -> str:
    """The text of an uploaded file, read as the CLI reads files (same formats, same messages)."""
    try:
        return read_text(upload.path, max_bytes=max_bytes).text
    except InputError as exc:
        raise InputError(exc.problem, path=upload.name) from None


def index_job(location: str, uploads: list[Upload]) -> dict[str, Any]:
    """Add uploaded files to the index in one run, as ``chachong index`` does, named by their
    labels; then compute the stock-phrase table, so the next check need not."""
    from ..indexer import index_paths
    from ..phrases import phrase_table

    store = _store(location)
    try:
        report = index_paths(store, [Path(u.path) for u in uploads],
                             labels={Path(u.path): u.name for u in uploads})
        if report.documents:
            phrase_table(store)
    except InputError as exc:
        # The indexer names the temporary file; the user knows the file by its label.
        by_path = {u.path: u.name for u in uploads}
        raise InputError(exc.problem, path=by_path.get(exc.path or "", exc.path)) from None
    except ChachongError:
        _forget(location)
        raise
    return {
        "index": store.location, "added": list(report.added), "replaced": list(report.replaced),
        "unchanged": list(report.unchanged), "documents": report.documents,
        "sentences": report.sentences, "chars": report.chars,
        "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
        "warnings": [{"file": f, "warning": w} for f, w in report.warnings],
    }


def pairs_job(location: str, max_docs: int | None, reply: Connection) -> None:
    """The reuse map, in a process of its own (the server ends it when it runs too long).

    Sends back ``("ok", generation, json_rows, html, max_docs)`` or ``("error", message, kind)``;
    the generation is that of the index before and after the run (None if it changed meanwhile).
    """
    from ..match.pairs import find_pairs
    from ..phrases import index_generation
    from ..report.html import render_pairs_html

    try:
        with open_store(location) as store:
            before = index_generation(store)
            result = find_pairs(store, max_docs=max_docs)
            after = index_generation(store)
        reply.send(("ok", before if before == after else None, [p.to_json() for p in result.pairs],
                    render_pairs_html(result), result.max_docs))
    except ChachongError as exc:
        reply.send(("error", str(exc), type(exc).__name__))
    finally:
        reply.close()
