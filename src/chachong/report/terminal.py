"""Terminal reports (rich): check, docs, index, phrases, pairs, and the progress bar.

The report package is the only one that imports rich. Renderers take a `Console`, so tests
render into a StringIO at a fixed width.

Untrusted text (draft text, titles, file names, phrases, the index location) is never given
to rich as a string, which rich would parse as markup (``[/]`` raises, ``[link=…]`` makes a
hyperlink): it goes in as `Text` made by `_plain`, with control characters made visible
(`format.visible`), whether or not the output is a terminal.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..indexer import IndexReport
from ..match.pairs import PairsResult
from ..model import CheckResult, CopyPassage, DocumentRecord, FileRecord, LibraryInfo
from ..phrases.table import PhraseTable
from .format import MATCH_LABELS, compared_with, pct, snippet, source_note, swap_list, visible

# One colour per source, in rank order; boilerplate is shown muted.
SOURCE_STYLES = (
    "bold white on red3",
    "bold black on dark_orange",
    "bold white on blue",
    "bold black on green3",
    "bold white on magenta",
    "bold black on cyan",
    "bold black on yellow3",
    "bold white on purple4",
)
BOILERPLATE_STYLE = "dim italic"
SNIPPET_CHARS = 160


def _plain(text: str, style: str = "") -> Text:
    """Untrusted text on one line, as literal text (no markup), control characters visible."""
    return Text(visible(text), style=style)


def console_for(stream: IO[str] | None = None, *, width: int | None = None, color: bool | None = None) -> Console:
    return Console(
        file=stream or sys.stdout, width=width, highlight=False, soft_wrap=False,
        force_terminal=color, no_color=(color is False),
    )


def source_styles(result: CheckResult) -> dict[str, str]:
    return {
        s.source.doc: SOURCE_STYLES[i % len(SOURCE_STYLES)] for i, s in enumerate(result.sources)
    }


def render_check(result: CheckResult, console: Console, *, show_text: bool = True) -> None:
    styles = source_styles(result)
    copies = result.copies
    boiler = result.boilerplate

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    verdict_style = (
        "bold red" if result.copy_ratio >= 0.3 else "bold yellow" if result.copy_ratio > 0.05 else "bold green"
    )
    summary.add_row("总文字复制比 copy ratio", Text(pct(result.copy_ratio), style=verdict_style))
    summary.add_row("去除引用文献复制比 excluding quotation", pct(result.copy_ratio_excluding_quotation))
    summary.add_row("去除本人文献复制比 excluding own", pct(result.copy_ratio_excluding_own))
    summary.add_row("单篇最大文字复制比 largest source", pct(result.max_source_share))
    summary.add_row("套话 boilerplate ratio", pct(result.boilerplate_ratio))
    summary.add_row("copied passages / sources", f"{len(copies)} / {len(result.sources)}")
    summary.add_row("characters", f"{result.chars} ({result.content_chars} counted)")
    title = Text.assemble(("chachong check", "bold"), ": ", _plain(result.file))
    console.print(Panel(summary, title=title, expand=False))
    if result.index is not None:
        console.print(Text("compared with ", style="bold") + _plain(compared_with(result)))
    for skipped in result.skipped_sources:
        console.print(Text("not compared with ", style="bold") + _plain(f"{skipped.doc}: {skipped.reason}"))

    if result.sources:
        table = Table(title="Sources", title_justify="left", show_lines=False)
        table.add_column("#", justify="right")
        table.add_column("document", overflow="fold")  # titles are shown whole, folded if narrow
        table.add_column("file", overflow="fold")
        table.add_column("share", justify="right")
        table.add_column("chars", justify="right")
        table.add_column("passages", justify="right")
        for i, s in enumerate(result.sources, 1):
            note = source_note(s.source)
            table.add_row(
                Text(f" {i} ", style=styles[s.source.doc]), _plain(s.source.title),
                _plain(s.source.doc + (f" ({note})" if note else "")),
                pct(s.share), str(s.chars), str(s.passages),
            )
        console.print(table)

    if show_text and result.passages:
        console.print(Text("Draft (copied text highlighted per source, boilerplate dimmed)", style="bold"))
        console.print(Panel(highlighted_draft(result, styles), expand=True))

    for n, p in enumerate(copies, 1):
        title = Text.assemble(
            f"Passage {n}: draft [{p.start}:{p.end}] ← ", _plain(p.source.doc),
            f" [{p.source.start}:{p.source.end}]", _plain(f" ({note})" if note else ""),
            f"  match {pct(p.score)}, {MATCH_LABELS[p.match]}",
        )
        grid = Table(show_header=True, expand=True, title_justify="left", title=title)
        grid.add_column("draft", ratio=1)
        grid.add_column(Text("source: ") + _plain(p.source.title), ratio=1)
        grid.add_row(
            Text(snippet(p.text, SNIPPET_CHARS), style=styles[p.source.doc]),
            Text(snippet(p.source_text, SNIPPET_CHARS)),
        )
        console.print(grid)
        if p.swaps:
            console.print(Text("synonyms swapped (source → draft): ", style="bold") + _plain(swap_list(p.swaps)))
    if boiler:
        table = Table(title="Stock phrases (套话, not counted as copying)", title_justify="left")
        table.add_column("draft span")
        table.add_column("phrase")
        table.add_column("common to", justify="right")
        for bp in boiler:
            table.add_row(Text(f"[{bp.start}:{bp.end}]"), Text(snippet(bp.text, 60)), f"{bp.common_to} works")
        console.print(table)
    if not result.passages:
        console.print(Text("No copied passages found.", style="bold green"))


def highlighted_draft(result: CheckResult, styles: dict[str, str]) -> Text:
    """The draft, its lines kept, each passage in its style. Cut at passage edges before
    control characters are made visible (which changes lengths), so styles stay on the
    right characters."""
    style_at: list[tuple[int, int, str]] = []
    for p in result.passages:
        style = styles[p.source.doc] if isinstance(p, CopyPassage) else BOILERPLATE_STYLE
        style_at.append((p.start, p.end, style))
    cuts = sorted({0, len(result.text)} | {x for a, b, _ in style_at for x in (a, b)})
    piece_style = [""] * (len(cuts) - 1)
    for start, end, style in style_at:  # a later passage wins, as with successive stylize()
        for k in range(bisect.bisect_left(cuts, start), bisect.bisect_left(cuts, end)):
            piece_style[k] = style
    text = Text()
    for (lo, hi), style in zip(itertools.pairwise(cuts), piece_style):
        text.append(visible(result.text[lo:hi], keep_breaks=True), style=style)
    return text


def index_line(location: str, info: LibraryInfo) -> Text:
    """Which index a report is about: where, how large, since when."""
    collections = ", ".join(f"{name} {n}" for name, n in info.collections.items())
    return Text("index ", style="bold") + _plain(
        f"{location}: {info.documents:,} documents in {info.works:,} works (reprints count once)"
        + (f"; collections: {collections}" if collections else "")
        + f"; updated {info.updated or 'never'}"
    )


def render_docs(
    docs: Sequence[DocumentRecord], files: Sequence[FileRecord], console: Console, *,
    location: str | None = None, info: LibraryInfo | None = None,
) -> None:
    if location is not None and info is not None:
        console.print(index_line(location, info))
    names = {d.id: d.name for d in docs}
    members: dict[int, list[DocumentRecord]] = {}
    for d in docs:
        members.setdefault(d.work, []).append(d)
    table = Table(title=f"{len(docs)} documents in {len(files)} files", title_justify="left")
    table.add_column("doc")
    table.add_column("title")
    table.add_column("chars", justify="right")
    table.add_column("sentences", justify="right")
    table.add_column("collection")
    table.add_column("work")  # a reprint names the document that names its work
    for d in docs:
        work = "" if len(members[d.work]) == 1 else ("✓" if d.work == d.id else names.get(d.work, "?"))
        table.add_row(_plain(d.name), _plain(d.title), str(d.chars), str(d.sentence_count), _plain(d.collection),
                      _plain(work))
    console.print(table)
    groups = [ms for ms in members.values() if len(ms) > 1]
    if groups:
        console.print(Text(f"{len(groups)} works with reprints (near-duplicate documents, counted once):",
                           style="bold"))
        for ms in sorted(groups, key=lambda ms: names.get(ms[0].work, "")):
            console.print(_plain(f"  {names.get(ms[0].work, '?')}: " + ", ".join(m.name for m in ms)))
    for f in files:
        notes: list[str] = []
        if f.declared_count is not None:
            notes.append(f"declares {f.declared_count}, found {f.documents}")
        notes.extend(visible(w) for w in f.warnings)
        if f.set_aside:
            lines = " | ".join(snippet(s, 40) for s in f.set_aside)
            notes.append(f"set aside {len(f.set_aside)} distributor line(s): " + lines)
        if notes:
            console.print(_plain(f"{f.path}: ", style="bold") + Text("; ".join(notes)), soft_wrap=True)


def render_index_report(report: IndexReport, location: str, console: Console) -> None:
    """``location``: the index as shown to users (a Redis password already blanked).

    One line per file, never broken by the renderer (soft wrap), so scripts can read them."""
    console.print(Text.assemble(
        _plain(location, style="bold"),
        f": {len(report.added)} file(s) added, {len(report.replaced)} replaced, "
        f"{len(report.unchanged)} unchanged; {report.documents} documents, "
        f"{report.sentences} sentences, {report.chars} characters indexed"
        + (f"; {len(report.moved)} moved to another collection" if report.moved else "")
        + (f"; {len(report.pruned)} gone from disk taken out" if report.pruned else ""),
    ), soft_wrap=True)
    for path, warning in report.warnings:
        console.print(Text.assemble(("warning", "yellow"), ": ", _plain(f"{path}: {warning}")), soft_wrap=True)
    for path, reason in report.skipped:
        console.print(Text.assemble(("skipped", "yellow"), ": ", _plain(f"{path}: {reason}")), soft_wrap=True)


@contextmanager
def progress_bar(description: str, *, stream: IO[str] | None = None) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on stderr; yields the callback the indexer reports to."""
    console = Console(file=stream or sys.stderr)
    progress = Progress(
        # The current file's name is untrusted: no markup, control characters visible.
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn("{task.fields[current]}", markup=False), console=console,
        transient=True, disable=not console.is_terminal,
    )
    task = progress.add_task(description, total=None, current="")

    def update(done: int, total: int, current: str) -> None:
        progress.update(task, completed=done, total=total, current=visible(current.rsplit("/", 1)[-1]))

    with progress:
        yield update


def render_phrases(table: PhraseTable, console: Console, *, top: int) -> None:
    shown = table.phrases[:top]
    title = (
        f"Top {len(shown)} of {len(table.phrases)} stock phrases (套话) in ≥ {table.min_docs} "
        f"of {table.documents} works (reprints count once)"
        + (" (sampled)" if table.sampled else "")
    )
    t = Table(title=Text(title), title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("phrase", overflow="fold", ratio=3)  # the phrase is shown whole, folded if needed
    t.add_column("works", justify="right")
    t.add_column("count", justify="right")
    t.add_column("example", ratio=2, overflow="fold")
    for i, p in enumerate(shown, 1):
        example = p.examples[0] if p.examples else None
        t.add_row(str(i), _plain(p.phrase), str(p.docs), str(p.count),
                  _plain(f"{example.doc}: ") + Text(snippet(example.context, 48)) if example else "")
    console.print(t)


def phrases_csv(table: PhraseTable, *, top: int) -> str:
    """The table as CSV. CSV has no escapes of its own, and is often read in a terminal: text
    fields show control characters as `visible` does (JSON keeps them exactly, escaped)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["phrase", "docs", "count", "files", "example_doc", "example_context"])
    for p in table.phrases[:top]:
        e = p.examples[0] if p.examples else None
        writer.writerow([visible(p.phrase), p.docs, p.count, p.files, visible(e.doc) if e else "",
                         visible(e.context) if e else ""])
    return buf.getvalue()


TITLE_CHARS = 28


def render_pairs(result: PairsResult, console: Console) -> None:
    paired = {d for p in result.pairs for d in (p.a.doc, p.b.doc)}
    console.print(
        Text.assemble(
            ("chachong pairs", "bold"),
            f": {len(result.documents)} documents, {len(result.pairs)} pairs share text "
            f"({len(paired)} documents involved); text found in more than {result.max_docs} "
            f"works is stock phrasing and not counted ({result.stock_sentences} sentences set aside)"
            + (f"; {result.reprint_pairs} pairs of reprints (one work) not listed" if result.reprint_pairs else ""),
        )
    )
    if not result.pairs:
        console.print(Text("No two documents share text beyond stock phrasing.", style="bold green"))
        return
    table = Table(title="Document pairs, most shared text first", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("document A", overflow="fold")
    table.add_column("document B", overflow="fold")
    table.add_column("shared chars", justify="right")
    table.add_column("of A", justify="right")
    table.add_column("of B", justify="right")
    table.add_column("passages", justify="right")
    for i, p in enumerate(result.pairs, 1):
        table.add_row(
            str(i),
            Text(snippet(p.a.title, TITLE_CHARS)) + Text("\n") + _plain(p.a.doc, style="dim"),
            Text(snippet(p.b.title, TITLE_CHARS)) + Text("\n") + _plain(p.b.doc, style="dim"),
            str(p.shared_chars), pct(p.share_a), pct(p.share_b), str(len(p.passages)),
        )
    console.print(table)
