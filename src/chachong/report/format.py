"""Formatting shared by the terminal, JSON and HTML reports and by error messages (no rich,
no HTML here).

`visible` is THE function that makes untrusted text (drafts, titles, file names, index
locations, phrases) safe to show: every report, progress line and error message passes text
through it, so a control sequence in a document can never reach a terminal as one. It is
plain string work (the rest of the module needs only `model`), so `chachong.errors` can use
it too.
"""

from __future__ import annotations

import os
import re
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
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` characters,
    with control characters made visible (see `visible`)."""
    flat = " ".join(visible(text, keep_breaks=True).split())
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


# -- untrusted text made visible -----------------------------------------------------------
# Characters a terminal may act on rather than draw, or that reorder what it draws:
# C0 controls and DEL (ESC starts CSI/OSC sequences, BEL rings, BS overwrites, CR returns),
# C1 controls (U+009B is an 8-bit CSI for some terminals), the Unicode line and paragraph
# separators, the bidirectional embedding/override/isolate controls (they make a file name
# read backwards, "Trojan Source"), and lone surrogates (a file name that is not UTF-8, as
# Python decodes it; they cannot even be written to a UTF-8 stream).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")
_BREAKS = "\n\t"  # kept by keep_breaks=True (a draft's own lines)
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code < 0x80:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the undecodable byte itself
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def visible(text: str, *, keep_breaks: bool = False) -> str:
    """``text`` with every character a terminal could act on shown as an escape.

    ESC becomes ``\\x1b``, BEL ``\\x07``, a newline ``\\n`` (kept as a line break with
    ``keep_breaks=True``, as are tabs: a draft's lines), U+202E ``\\u202e``, and a byte that
    was not UTF-8 in a file name (a surrogateescape surrogate) ``\\xff``. Everything else,
    backslashes included, is left as written. One line in, one line out (unless
    ``keep_breaks``): a file name cannot forge a line of output.
    """
    if _UNSAFE.search(text) is None:  # the usual case: nothing to do
        return text
    if keep_breaks:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in _BREAKS else _escape(m.group()), text)
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def name_text(name: str | os.PathLike[str]) -> str:
    """A file name as text that can be stored and written as UTF-8: bytes of the name that
    are not UTF-8 (lone surrogates, as Python decodes them with surrogateescape) become
    ``\\xNN``; everything else is kept exactly, control characters included (stored data,
    shown through `visible`)."""
    text = os.fspath(name)
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: _escape(m.group()), text)
