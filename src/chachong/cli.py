"""The command line. The only module that parses arguments (typer).

Exit codes: 0 done; 1 ``check --fail-over`` found a draft above the ratio; 2 bad usage,
unreadable input or an unusable index (one line on stderr, no traceback); 130 interrupted
(SIGINT), 143 terminated (SIGTERM), 141 stdout closed early (``chachong … | head``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Annotated, Any, Protocol, TextIO, cast, runtime_checkable

import typer

from . import __version__
from .errors import ChachongError, IndexFileError, InputError, UsageError, without_secrets
from .report.format import name_text, pct, visible
from .store import Store

if TYPE_CHECKING:
    from .text.reading import SourceText

app = typer.Typer(
    name="chachong",
    help="查重: find copied passages and stock phrases in Chinese official documents.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

IndexOption = Annotated[
    str | None,
    typer.Option(
        "--index",
        envvar="CHACHONG_INDEX",
        help="Index file (or redis://HOST:PORT/DB). Default: a per-user index of the bundled corpus.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON Lines instead of tables.")]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", metavar="FILE", help="Also write a self-contained HTML report to FILE.",
                 show_default=False),
]


def _show_version(value: bool) -> None:
    if value:
        print(f"chachong {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_show_version)
    ] = False,
) -> None:
    """查重: find copied passages and stock phrases in Chinese official documents."""


def _location(index: str | None) -> str:
    from .indexer import default_index_location

    if index is not None and not index.strip():
        # An empty --index (a variable that expanded to nothing) must not quietly mean the
        # default index: the user named one, and indexing into another would be a surprise.
        raise UsageError("--index is empty: give an index file or a redis:// URL (or leave the option out)")
    return index or default_index_location()


def _shown(location: str) -> str:
    """``location`` as printed (a Redis password blanked)."""
    from .store import is_shared

    if is_shared(location):
        from .store.redis import redact

        return redact(location)
    return location


def _open_for_reading(index: str | None) -> Store:
    """Open the index. Only the default per-user index (neither --index nor CHACHONG_INDEX) is
    built from the bundled corpus when missing: any other location must hold an index, so a
    misspelt path or a new Redis database is an error, never a demo library."""
    from .indexer import ensure_index
    from .library.lifecycle import first_run
    from .report.terminal import progress_bar
    from .store import open_store, store_exists

    location = _location(index)
    if index is not None:
        if not store_exists(location):
            shown = _shown(location)
            raise IndexFileError(f"no index at {shown}; create it with: chachong index PATH --index {shown}")
        return open_store(location)
    with first_run(location, created=not store_exists(location)), \
            progress_bar("building the default index") as update:
        return ensure_index(location, on_progress=update)


def _collection_name(name: str) -> str:
    if not name or len(name) > 64 or any(not ch.isprintable() or ch.isspace() or ch in "/#" for ch in name):
        raise UsageError(f"--collection takes a name of 1-64 characters without spaces, '/' or '#', got {name!r}")
    return name


@app.command()
def index(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (.txt, .docx) to add.")] = None,
    index: IndexOption = None,
    json_out: JsonOption = False,
    collection: Annotated[
        str | None,
        typer.Option("--collection", metavar="NAME", help="Collection of the files added (default: library; "
                     "'quotation': texts drafts may quote, 'own': your own earlier documents). Files already "
                     "indexed move to it.", show_default=False),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Also take out indexed files that are gone from the folders given "
                           "(from anywhere, with no PATH).")
    ] = False,
) -> int:
    """Add files or folders to the index (incremental: unchanged files are skipped)."""
    from .indexer import index_paths
    from .library.lifecycle import first_run
    from .phrases.worker import BackgroundPhraseTable
    from .report.jsonl import json_line
    from .report.terminal import console_for, progress_bar, render_index_report
    from .store import open_store, store_exists

    if not paths and not prune:
        raise UsageError("give the files or folders to index (or --prune)")
    if collection is not None:
        collection = _collection_name(collection)
    location = _location(index)
    created = not store_exists(location)
    # A first run that does not complete (an error, Ctrl-C, SIGTERM: `Interrupted`, raised by
    # main's handlers) leaves no index behind; the one line is main's.
    with first_run(location, created=created):
        store = open_store(location, create=True)
        shown = store.location  # as users see it: a Redis password blanked
        # The phrase table is computed here, so the next check need not: beside MinHash and
        # the write, in a second process, when the run is large enough to gain from it.
        phrases = BackgroundPhraseTable(location)
        try:
            with progress_bar("indexing") as update:
                report = index_paths(store, paths or [], on_progress=update, on_split=phrases.start,
                                     collection=collection, prune=prune)
            if report.documents or report.pruned or report.moved:
                phrases.finish(store)
        finally:
            phrases.cancel()
            store.close()
    if json_out:
        print(json_line({
            "index": shown, "added": list(report.added), "replaced": list(report.replaced),
            "unchanged": list(report.unchanged), "documents": report.documents,
            "sentences": report.sentences, "chars": report.chars,
            "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
            "warnings": [{"file": f, "warning": w} for f, w in report.warnings],
            "moved": list(report.moved), "pruned": list(report.pruned),
        }))
    else:
        render_index_report(report, shown, console_for(sys.stdout))
    return 0


@app.command()
def remove(
    targets: Annotated[list[str], typer.Argument(
        metavar="PATH|DOC...", help="Documents (NAME#N), indexed files (name or path), or files and folders on disk.")],
    index: IndexOption = None,
    json_out: JsonOption = False,
) -> int:
    """Take documents out of the index (one transaction; nothing is removed if a target is unknown)."""
    from .library.lifecycle import resolve_removal
    from .report.jsonl import json_line

    store = _open_for_reading(index)
    try:
        with store.snapshot() as view:
            removal = resolve_removal(view, targets)
        if removal.unknown:
            for problem in removal.unknown:  # every target that names nothing, one line each
                _error_line(problem)
            return 2
        store.remove(paths=removal.files, documents=[e.id for e in removal.documents])
        left, shown = store.library_info(), store.location
    finally:
        store.close()
    if json_out:
        print(json_line({"index": shown, "removed_files": list(removal.files),
                         "removed_documents": [e.name for e in removal.documents],
                         "removed": removal.count, "documents": left.documents, "works": left.works}))
    else:
        print(f"{visible(shown)}: removed {removal.count} document(s) ({len(removal.files)} whole file(s)); "
              f"{left.documents} documents in {left.works} works left")
    return 0


@app.command()
def docs(index: IndexOption = None, json_out: JsonOption = False) -> int:
    """List the indexed documents (and what was set aside as distributor lines)."""
    from .library.listing import document_rows
    from .report.jsonl import json_line
    from .report.terminal import console_for, render_docs

    store = _open_for_reading(index)
    try:
        with store.snapshot() as view:
            documents = view.documents()
            files = view.files()
            info = view.library_info()
            shown = view.location
    finally:
        store.close()
    if json_out:
        for row in document_rows(documents):
            print(json_line(row.to_json()))
    else:
        render_docs(documents, files, console_for(sys.stdout), location=shown, info=info)
    return 0


@app.command()
def check(
    drafts: Annotated[list[Path], typer.Argument(help="Draft files (.txt, .docx) to check.")],
    index: IndexOption = None,
    json_out: JsonOption = False,
    fail_over: Annotated[
        float | None,
        typer.Option("--fail-over", help="Exit 1 if a draft's copy ratio is above RATIO (0-1).", metavar="RATIO"),
    ] = None,
    text: Annotated[bool, typer.Option("--text/--no-text", help="Show the draft with highlights.")] = True,
    html: HtmlOption = None,
    common_docs: Annotated[
        int | None,
        typer.Option("--common-docs", metavar="N", help="A phrase in at least N indexed works (reprints of "
                     "one article count once) is boilerplate (套话), not copying. Default: √works/2, at least 3."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", metavar="FILE|DOC|COLLECTION", help="Do not match against this file (or "
                     "folder), document (NAME#N) or collection, nor the reprints of a file or document. "
                     "Repeatable.", show_default=False),
    ] = None,
) -> int:
    """Check drafts for passages copied from indexed documents."""
    from .indexer import label_for
    from .match.check import CheckOptions, check_text
    from .report.jsonl import json_line
    from .report.terminal import console_for, render_check

    if fail_over is not None and not 0.0 <= fail_over <= 1.0:
        raise UsageError(f"--fail-over takes a ratio between 0 and 1, got {fail_over}")
    if common_docs is not None and common_docs < 2:
        raise UsageError(f"--common-docs takes a number of documents of at least 2, got {common_docs}")
    options = CheckOptions(common_docs=common_docs)
    if html is not None:
        _check_writable(html)
    sources, bad = _read_drafts(drafts)
    if not sources:
        return 2
    store = _open_for_reading(index)
    over = []
    results = []
    try:
        console = console_for(sys.stdout)
        for src in sources:
            result = check_text(store, src.text, file=name_text(str(src.path)), options=options, exclude=exclude or (),
                                sha256=src.sha256, draft_path=label_for(Path(src.path)))
            results.append(result)
            if fail_over is not None and result.copy_ratio > fail_over:
                over.append(result)
            if json_out:
                print(json_line(result.to_json()))
            else:
                render_check(result, console, show_text=text)
    finally:
        store.close()
    if html is not None:
        from .report.html import render_check_html

        _write_html(html, render_check_html(results))
    sys.stdout.flush()  # the reports first, then what the exit status is about
    for result in over:
        print(f"chachong: {visible(result.file)}: copy ratio {pct(result.copy_ratio)} is above "
              f"--fail-over {pct(fail_over or 0.0)}", file=sys.stderr)
    return 2 if bad else 1 if over else 0


def _read_drafts(drafts: list[Path]) -> tuple[list[SourceText], int]:
    """The drafts that can be read, and how many cannot (each reported on its own line).

    All are read before any work, each held to the smaller draft limit; a bad one does not
    stop the others from being checked (the exit status says so at the end).
    """
    from .text.reading import MAX_DRAFT_BYTES, read_text

    sources = []
    bad = 0
    for p in drafts:
        try:
            sources.append(read_text(p, max_bytes=MAX_DRAFT_BYTES))
        except InputError as exc:
            _error_line(exc)
            bad += 1
    return sources, bad


@app.command()
def phrases(
    index: IndexOption = None,
    json_out: JsonOption = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    top: Annotated[int, typer.Option("--top", metavar="N", help="How many phrases to show.")] = 50,
    min_docs: Annotated[
        int | None,
        typer.Option("--min-docs", metavar="N", help="Only phrases in at least N documents. "
                     "Default: √documents/2, at least 3 (what check calls common)."),
    ] = None,
) -> int:
    """List the most common stock phrases (套话) across the indexed documents."""
    from .phrases import phrase_table
    from .report.jsonl import json_line
    from .report.terminal import console_for, index_line, phrases_csv, render_phrases

    if top < 1:
        raise UsageError(f"--top takes a positive number, got {top}")
    if min_docs is not None and min_docs < 2:
        raise UsageError(f"--min-docs takes a number of documents of at least 2, got {min_docs}")
    store = _open_for_reading(index)
    try:
        table = phrase_table(store, min_docs=min_docs)
        shown, info = store.location, store.library_info()
    finally:
        store.close()
    if json_out:
        for p in table.phrases[:top]:
            print(json_line(p.to_json()))
    elif csv_out:
        sys.stdout.write(phrases_csv(table, top=top))
    else:
        console = console_for(sys.stdout)
        console.print(index_line(shown, info))
        render_phrases(table, console, top=top)
    return 0


@app.command()
def pairs(
    index: IndexOption = None,
    json_out: JsonOption = False,
    html: HtmlOption = None,
    max_docs: Annotated[
        int | None,
        typer.Option(
            "--max-docs", metavar="N", min=1,
            help="Text found in more than N works (reprints of one article count once) is stock phrasing and "
                 "not counted (like MOSS -m). Default: what check calls common for this index.",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Which indexed documents share text (beyond stock phrasing) with which, ranked."""
    from .match.pairs import find_pairs
    from .report.jsonl import json_line
    from .report.terminal import console_for, index_line, progress_bar, render_pairs

    if html is not None:
        _check_writable(html)
    store = _open_for_reading(index)
    try:
        with progress_bar("comparing documents") as update:
            result = find_pairs(store, max_docs=max_docs, on_progress=update)
        shown, info = store.location, store.library_info()
    finally:
        store.close()
    if json_out:
        for pair in result.pairs:
            print(json_line(pair.to_json()))
    else:
        console = console_for(sys.stdout)
        console.print(index_line(shown, info))
        render_pairs(result, console)
    if html is not None:
        from .report.html import render_pairs_html

        _write_html(html, render_pairs_html(result, compared=index_line(shown, info).plain))
    return 0


@app.command()
def bench(
    sizes: Annotated[
        str, typer.Option("--sizes", help="Library sizes in characters, comma-separated (e.g. 1M,10M,90M).")
    ] = "1M,10M,90M",
    json_out: JsonOption = False,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the generated libraries and their indexes (cached).")
    ] = Path("benchmarks/out"),
    index: Annotated[
        str | None,
        typer.Option("--index", help="Build the benchmark indexes here instead; {size} is replaced by the "
                     "size (e.g. /tmp/bench-{size}.sqlite). Never $CHACHONG_INDEX.", show_default=False),
    ] = None,
    plot: Annotated[Path, typer.Option("--plot", help="Where to save the plot (PNG).")] = Path("docs/bench.png"),
    phrase_sample: Annotated[
        str | None,
        typer.Option("--phrase-sample", metavar="SIZE", help="Compute the stock-phrase table from at most SIZE "
                     "characters (e.g. 2M) instead of chachong's own limit.", show_default=False),
    ] = None,
    baseline_up_to: Annotated[
        str, typer.Option("--baseline-up-to", metavar="SIZE", help="Run the datasketch baseline on the "
                          "libraries up to SIZE characters (it takes ~8 s per million; 0: never).")
    ] = "10M",
    pairs_up_to: Annotated[
        str, typer.Option("--pairs-up-to", metavar="SIZE", help="Run `chachong pairs` on the libraries "
                          "up to SIZE characters (0: never).")
    ] = "10M",
) -> int:
    """Benchmark indexing and checking on synthetic 素材库 libraries, beside datasketch."""
    from .bench.library import parse_sizes
    from .bench.runner import run_bench
    from .bench.table import render_table, save_plot
    from .report.jsonl import json_line

    try:
        size_list = parse_sizes(sizes)
        sample = parse_sizes(phrase_sample)[0] if phrase_sample else None
        baseline_max = 0 if baseline_up_to.strip() == "0" else parse_sizes(baseline_up_to)[0]
        pairs_max = 0 if pairs_up_to.strip() == "0" else parse_sizes(pairs_up_to)[0]
    except ValueError as exc:
        raise UsageError(f"--sizes/--phrase-sample/--baseline-up-to/--pairs-up-to: {exc}") from None
    result = run_bench(sizes=size_list, out_dir=out, index_location=index, phrase_sample_chars=sample,
                       baseline_max_chars=baseline_max, pairs_max_chars=pairs_max,
                       log=lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        save_plot(result, plot)
    except ImportError:
        print("chachong: matplotlib is not installed (pip install 'chachong[bench]'): no plot", file=sys.stderr)
    if json_out:
        print(json_line(result.to_json()))
    else:
        print(render_table(result))
    return 0


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on. Beyond loopback a token is required.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    index: IndexOption = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="CHACHONG_TOKEN", show_default=False,
                     help="Every request must carry this token (Authorization: Bearer TOKEN, or the login page). "
                          "Prefer the environment variable: a command line is visible to other users."),
    ] = None,
    allow_index: Annotated[
        bool, typer.Option("--allow-index", help="Let users add files to the index (upload page, POST /api/index).")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", metavar="N", min=1, show_default=False,
                     help="Check worker processes. Default: one per core, at most 4."),
    ] = None,
) -> int:
    """Serve the web page and the HTTP API over the index (pip install 'chachong[serve]')."""
    try:
        from .web.config import config_for, default_workers
        from .web.server import run_server
    except ImportError as exc:
        raise UsageError(f"chachong serve needs the serve extra: pip install 'chachong[serve]' ({exc})") from None
    location = _location(index)
    config = config_for(host=host, location=location, token=token, allow_index=allow_index,
                        workers=workers or default_workers())
    store = _open_for_reading(index)  # fails here, with one line, on an unusable index
    shown = store.location
    store.close()
    return run_server(config, host=host, port=port, shown_location=shown)


def _check_writable(path: Path) -> None:
    """Fail before any work when the report could not be written."""
    if path.is_dir():
        raise UsageError("is a directory; --html takes a file name", path=path)
    if not path.parent.is_dir():
        raise UsageError("no such directory for the report", path=path)


def _write_html(path: Path, page: str) -> None:
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the report ({exc.strerror or exc})", path=path) from None
    print(f"chachong: report written to {visible(name_text(str(path)))}", file=sys.stderr)


@runtime_checkable
class _Showable(Protocol):
    """A click exception that prints itself (the usage line and the error), as click does."""

    def show(self, file: IO[Any] | None = None) -> None: ...


class Interrupted(BaseException):
    """SIGINT or SIGTERM, raised where the program is, so cleanups (the rollback, the Redis
    lock's release, the phrase worker's end) run before the one-line message. Our own, not
    KeyboardInterrupt: the (vendored) click layer turns that into a silent exit 130."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _ClosedPipe(BaseException):
    """stdout was closed by its reader (``chachong … | head``)."""


class _GuardedStdout:
    """stdout whose closing by the reader ends the command quietly: a BrokenPipeError would
    be turned into exit 1 by the (vendored) click layer, and Python would then print
    "Exception ignored" when flushing at exit."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise _ClosedPipe from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise _ClosedPipe from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_DFL)  # a second one ends the process outright
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_and_pipes() -> Iterator[TextIO]:
    """SIGINT/SIGTERM raised as `Interrupted`; stdout guarded. Yields the real stdout."""
    stdout = sys.stdout
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {s: signal.signal(s, _on_signal) for s in _SIGNALS}
    sys.stdout = cast(TextIO, _GuardedStdout(stdout))
    try:
        yield stdout
    finally:
        sys.stdout = stdout
        for s, handler in previous.items():
            signal.signal(s, handler)


def _error_line(exc: ChachongError) -> None:
    print(f"chachong: error: {exc}", file=sys.stderr)


def _silence(stream: TextIO) -> None:
    """Point a closed stdout at /dev/null, so the flush at exit has nowhere to fail."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


class _Notices(logging.Handler):
    """Notices of the library (``logging`` under "chachong", e.g. a wait for the write lock)
    as ``chachong: …`` lines on stderr: one line each (an error's traceback below it),
    control characters made visible, no credentials."""

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(visible(without_secrets(record.getMessage()), keep_breaks=True).split())
        if record.exc_info:  # an error the server logs (`chachong serve`): its traceback too
            trace = logging.Formatter().formatException(record.exc_info)
            text += "\n" + visible(without_secrets(trace), keep_breaks=True)
        print(f"chachong: {text}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _notices() -> Iterator[None]:
    logger = logging.getLogger("chachong")
    handler = _Notices(logging.INFO)
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    with _signals_and_pipes() as stdout, _notices():
        try:
            code = _run(argv)
            sys.stdout.flush()
        except _ClosedPipe:
            _silence(stdout)
            return 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader left
        except (KeyboardInterrupt, Interrupted) as exc:
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            print(f"chachong: {'terminated' if signum == signal.SIGTERM else 'interrupted'}", file=sys.stderr)
            return 128 + signum
        except Exception:  # noqa: BLE001 - a bug: its traceback, but never a credential or a control sequence
            trace = visible(without_secrets(traceback.format_exc()), keep_breaks=True)
            sys.stderr.write(f"{trace}chachong: internal error (a bug; please report it with the lines above)\n")
            return 1
        return code


def _run(argv: list[str] | None) -> int:
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="chachong", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("chachong: aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors of the (vendored) click parser
        # Its message quotes what was typed (a file name, say): shown with control
        # characters made visible, like every other message.
        shown = io.StringIO()
        if isinstance(exc, _Showable):
            exc.show(file=shown)
        else:  # no such exception is raised today: every one typer raises can show itself
            shown.write(f"chachong: error: {exc.format_message()}\n")
        sys.stderr.write(visible(shown.getvalue(), keep_breaks=True))
        return 2
    except ChachongError as exc:
        _error_line(exc)
        return exc.exit_code
    return result if isinstance(result, int) else 0
