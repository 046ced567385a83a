"""Terminal report of `chachong pairs` (rich): part of the report layer, like report.py."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .pairs import PairsResult

TITLE_CHARS = 28


def _short(title: str, limit: int = TITLE_CHARS) -> str:
    flat = " ".join(title.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render_pairs(result: PairsResult, console: Console) -> None:
    paired = {d for p in result.pairs for d in (p.a.doc, p.b.doc)}
    console.print(
        Text.assemble(
            ("chachong pairs", "bold"),
            f": {len(result.documents)} documents, {len(result.pairs)} pairs share text "
            f"({len(paired)} documents involved); text found in more than {result.max_docs} "
            f"documents is stock phrasing and not counted ({result.stock_sentences} sentences set aside)",
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
            Text(_short(p.a.title)) + Text(f"\n{p.a.doc}", style="dim"),
            Text(_short(p.b.title)) + Text(f"\n{p.b.doc}", style="dim"),
            str(p.shared_chars), _pct(p.share_a), _pct(p.share_b), str(len(p.passages)),
        )
    console.print(table)
