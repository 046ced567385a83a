"""Formatting shared by the terminal and HTML reports (no rich, no HTML here)."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import DEFAULT_COLLECTION, CheckResult, MatchKind, SourceRef, Swap

# How a passage was found (CopyPassage.match), as both reports name it.
MATCH_LABELS: dict[MatchKind, str] = {
    "verbatim": "verbatim 原文照搬",
    "near": "near-verbatim 近似",
    "paraphrase": "paraphrase 改写",
}


def pct(x: float) -> str:
    """A ratio as a percentage with one decimal: 0.7614 → "76.1%"."""
    return f"{100 * x:.1f}%"


def snippet(text: str, limit: int) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def compared_with(result: CheckResult) -> str:
    """What a check compared the draft with, in one line: the index, its size and age, the
    thresholds (every report states it)."""
    info = result.index
    if info is None:
        return ""
    thresholds = result.thresholds or {}
    line = (
        f"{info.location}: {info.documents:,} documents in {info.works:,} works"
        f" (reprints count once), updated {info.updated or 'never'};"
        f" stock phrasing: in ≥ {info.common_docs} works"
    )
    if "min_passage_chars" in thresholds:
        line += f"; passages ≥ {thresholds['min_passage_chars']} characters"
    if result.excluded:
        line += "; excluded: " + ", ".join(result.excluded)
    return line


def source_note(source: SourceRef) -> str:
    """What a reader should know about a source besides its name: its collection, if not the
    default, and its reprints (the other documents of its work)."""
    notes = []
    if source.collection != DEFAULT_COLLECTION:
        notes.append(source.collection)
    if source.reprints:
        notes.append(f"+{source.reprints} reprint{'s' if source.reprints > 1 else ''}")
    return ", ".join(notes)


def swap_list(swaps: Sequence[Swap]) -> str:
    """``加强→强化, 推进→推动``: each swapped word once, in draft order (source word first)."""
    seen: dict[tuple[str, str], None] = {}
    for s in swaps:
        seen.setdefault((" ".join(s.source_word.split()), " ".join(s.draft_word.split())), None)
    return ", ".join(f"{a}→{b}" for a, b in seen)
