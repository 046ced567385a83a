"""The command line. The only module that parses arguments (typer).

Exit codes: 0 done; 1 ``check --fail-over`` found a draft above the ratio; 2 bad usage,
unreadable input or an unusable index (one line on stderr, no traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Annotated, Any, Protocol, runtime_checkable

import typer

from .errors import ChachongError, IndexFileError, UsageError
from .store import Store

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


def _location(index: str | None) -> str:
    from .indexer import default_index_location

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
    from .library.lifecycle import Terminated, first_run
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
    try:
        # A first run that does not complete (an error, Ctrl-C, SIGTERM) leaves no index behind.
        with first_run(location, created=created):
            store = open_store(location, create=True)
            # The phrase table is computed here, so the next check need not: beside MinHash and
            # the write, in a second process, when the run is large enough to gain from it.
            phrases = BackgroundPhraseTable(location)
            try:
                with progress_bar("indexing") as update:
                    report = index_paths(store, paths or [], on_progress=update, on_split=phrases.start,
                                         collection=collection, prune=prune)
                if report.documents or report.pruned or report.moved:
                    phrases.finish(store)
                shown = store.location
            finally:
                phrases.cancel()
                store.close()
    except Terminated:
        print("chachong: terminated", file=sys.stderr)
        return Terminated.exit_code
    except KeyboardInterrupt:  # typer turns it into exit status 130 without a word: say it
        print("chachong: interrupted", file=sys.stderr)
        return 130
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
        store.remove(paths=removal.files, documents=[e.id for e in removal.documents])
        left, shown = store.library_info(), store.location
    finally:
        store.close()
    if json_out:
        print(json_line({"index": shown, "removed_files": list(removal.files),
                         "removed_documents": [e.name for e in removal.documents],
                         "removed": removal.count, "documents": left.documents, "works": left.works}))
    else:
        print(f"{shown}: removed {removal.count} document(s) ({len(removal.files)} whole file(s)); "
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
    from .text.reading import read_text

    if fail_over is not None and not 0.0 <= fail_over <= 1.0:
        raise UsageError(f"--fail-over takes a ratio between 0 and 1, got {fail_over}")
    if common_docs is not None and common_docs < 2:
        raise UsageError(f"--common-docs takes a number of documents of at least 2, got {common_docs}")
    options = CheckOptions(common_docs=common_docs)
    if html is not None:
        _check_writable(html)
    from .text.reading import MAX_DRAFT_BYTES

    # All inputs are validated before any work; a draft is held to the smaller draft limit.
    sources = [read_text(p, max_bytes=MAX_DRAFT_BYTES) for p in drafts]
    store = _open_for_reading(index)
    over = False
    results = []
    try:
        console = console_for(sys.stdout)
        for src in sources:
            result = check_text(store, src.text, file=str(src.path), options=options, exclude=exclude or (),
                                sha256=src.sha256, draft_path=label_for(Path(src.path)))
            results.append(result)
            over |= fail_over is not None and result.copy_ratio > fail_over
            if json_out:
                print(json_line(result.to_json()))
            else:
                render_check(result, console, show_text=text)
    finally:
        store.close()
    if html is not None:
        from .report.html import render_check_html

        _write_html(html, render_check_html(results))
    return 1 if over else 0


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
    from .report.terminal import console_for, index_line, render_pairs

    if html is not None:
        _check_writable(html)
    store = _open_for_reading(index)
    try:
        result = find_pairs(store, max_docs=max_docs)
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
    except ValueError as exc:
        raise UsageError(f"--sizes/--phrase-sample/--baseline-up-to: {exc}") from None
    result = run_bench(sizes=size_list, out_dir=out, index_location=index, phrase_sample_chars=sample,
                       baseline_max_chars=baseline_max,
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
    print(f"chachong: report written to {path}", file=sys.stderr)


@runtime_checkable
class _Showable(Protocol):
    """A click exception that prints itself (the usage line and the error), as click does."""

    def show(self, file: IO[Any] | None = None) -> None: ...


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0911 - one exit code per kind of failure
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="chachong", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("chachong: aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors of the (vendored) click parser
        if isinstance(exc, _Showable):
            exc.show(file=sys.stderr)
        else:  # no such exception is raised today: every one typer raises can show itself
            print(f"chachong: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except ChachongError as exc:
        print(f"chachong: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("chachong: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0
