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
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from ..errors import ChachongError, InputError
from ..match.check import CheckOptions, check_text
from ..model import CheckResult
from ..phrases import index_generation, phrase_table
from ..store import Store, open_store
from ..text.reading import MAX_DRAFT_BYTES, read_text

_stores: dict[str, Store] = {}
# Shared by the workers (given at start): while one of them computes the stock-phrase table of
# an index state that has none cached yet (right after an `index` run), the others wait for it
# and then read it from the index instead of each computing it again (seconds of CPU each).
_phrase_lock: _Lock | None = None
PARENT_CHECK_S = 2.0
PHRASE_WAIT_S = 120.0  # a worker that died holding the lock must not stop the others for good
_phrases_ready: set[tuple[str, str, int | None]] = set()  # (location, generation, min_docs) seen cached


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


class _Lock(Protocol):
    def acquire(self, block: bool = True, timeout: float | None = None) -> bool: ...

    def release(self) -> None: ...


def warm_up(location: str, phrase_lock: _Lock | None = None) -> None:
    """Worker start: import and open everything a check needs, so the first check is not slow.

    Best effort: an index that cannot be opened now is reported by the check that needs it
    (an exception here would break the whole pool).
    """
    global _phrase_lock  # noqa: PLW0603 - set once per worker process, at its start
    _phrase_lock = phrase_lock
    _leave_signals_to_the_server()
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    try:
        store = _store(location)
        _phrase_table_once(location, store, None)  # a table missing from the index: computed once, not per worker
        check_text(store, "预热。", file="<warm-up>")
    except Exception:  # noqa: BLE001 - see the docstring: the first real check reports the problem
        _forget(location)


def _leave_signals_to_the_server() -> None:
    """Ctrl-C in a terminal reaches every process of the group: a worker ignores it (no
    KeyboardInterrupt traceback of its own); the server stops its workers and says the one
    line `chachong serve` ends with."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_with_parent(parent: int) -> None:
    """End this worker when the server is gone (killed with SIGKILL, it cannot stop its workers,
    and a worker waiting for its next job would wait forever)."""
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(0)


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
        store = _store(location)
        _phrase_table_once(location, store, common_docs)
        return check_text(store, text, file=name, options=CheckOptions(common_docs=common_docs))
    except ChachongError:
        _forget(location)
        raise


def _phrase_table_once(location: str, store: Store, min_docs: int | None) -> None:
    """Make sure the index has its phrase table cached, computed by one worker at a time."""
    generation = index_generation(store)
    key = (location, generation, min_docs)
    if key in _phrases_ready:
        return
    locked = _phrase_lock is not None and _phrase_lock.acquire(timeout=PHRASE_WAIT_S)
    try:
        phrase_table(store, min_docs=min_docs)  # from the cache if another worker made it meanwhile
    finally:
        if locked and _phrase_lock is not None:
            _phrase_lock.release()
    _phrases_ready.add(key)


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
    from ..report.html import render_pairs_html

    _leave_signals_to_the_server()
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
