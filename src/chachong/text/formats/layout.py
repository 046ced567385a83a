"""From the visual lines of fixed-layout pages (PDF, OFD) back to paragraphs.

A PDF or OFD holds text line by line as it was printed: a sentence that runs past the
right margin continues on the next line, or on the next page after a running footer, a
page number and a running header. The checker works on sentences, so a paragraph must be
one line again, as in a .txt or .docx. `join_pages` does that, in three steps:

1. **Running headers and footers** are dropped: a line among the first or last
   `EDGE_LINES` of a page whose digits-blind form (``第3页`` = ``第7页``) stands at the
   edge of at least `MIN_RECURRING_PAGES` pages (all pages of a 2-page file) and does not
   end with sentence punctuation (that is text, however often it recurs), and bare
   page numbers there (``3``, ``- 3 -``, ``第 3 页``, ``3/20``) on a file of two pages or more.
   A line that repeats the header just dropped above it (the title under a running header
   of the same words) is kept; a title alone on a first page that carries no header,
   under running headers of the same words on the other pages, is dropped with them.
2. **Wrapped lines are joined**: a line is continued by the next one (on the same page
   or the next) when it is *full* — at least `FULL_LINE_SHARE` of the file's full line
   width, measured in display columns (a Chinese character 2, a Latin letter or digit 1,
   as the fonts set them) — does not end with sentence punctuation (。！？；：…), and the
   next line does not open a heading or a numbered item (一、 （一） 1. 第二章 ①).
   A short line (a title, a paragraph's last line) always ends its paragraph. When the
   reader knows where lines begin (PDF) and the file indents the first line of its
   paragraphs (公文 indent two characters), that decides instead of the punctuation: a
   full line followed by a flush-left line runs on even if it ends with 。, and an
   indented line always begins a paragraph.
3. Wrapped lines are joined with nothing between them (Chinese has no spaces; a number or
   a mask such as ``xxxx`` broken across lines is one again; an English word at a line end
   runs into the next, which matching ignores as it ignores all whitespace); paragraphs
   are joined with ``"\\n"``.

What is not recovered: without first-line indentation (or in an OFD, whose reader does not
say where lines begin), a paragraph whose full last line ends with 。 is not told from a
line that ends a sentence at the right margin, so the paragraph is split there into two
lines (harmless to matching: 。 ends the sentence either way). Multi-column
order is whatever the reader gives (pdfium's text order; ofdkit finds columns).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

EDGE_LINES = 2
MIN_RECURRING_PAGES = 3
FULL_LINE_SHARE = 0.85
# The 90th percentile of line widths is the file's full line: most lines of prose are full.
FULL_LINE_PERCENTILE = 0.9
# Below this many columns (10 Chinese characters) no line counts as full: a file of short
# lines (a list, a table) is left line by line.
MIN_FULL_WIDTH = 20
# First-line indentation (PDF, where the reader knows where lines begin): a line beginning
# this many ems right of the margin is indented; the file marks paragraphs so when at
# least this share of the evidence agrees, with at least this many paragraph starts seen.
INDENT_EMS = 1.0
INDENT_SHARE = 0.8
MIN_INDENT_EVIDENCE = 3

_SENTENCE_END = frozenset("。．！？!?；;：:…")
_CLOSERS = frozenset("”’」』）)】》〉\"'")
_ITEM_START = re.compile(
    r"(?:[一二三四五六七八九十百零〇]+[、．.]"  # 一、
    r"|[（(][一二三四五六七八九十百零〇\d]{1,3}[)）]"  # （一） (1)
    r"|\d{1,3}(?:[.．]\d{1,3})*[、.．)）](?![\d.．])"  # 1. 1、 2.3. 1)
    r"|[①-⑳⑴-⒇⒈-⒛]"  # ① ⑴ ⒈
    r"|第[一二三四五六七八九十百零〇\d]+[章节条部分篇编])"  # 第二章
)
_PAGE_NUMBER = re.compile(
    r"[-—–_·.\s]*(?:第\s*)?#(?:\s*页)?(?:\s*[/／]\s*#)?(?:\s*[,，]?\s*共\s*#\s*页)?[-—–_·.\s]*"
    r"|(?:page|p\.)\s*#(?:\s*(?:of|/)\s*#)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PagedText:
    """Paragraphs (one per line) and where each page begins in that text."""

    text: str
    page_starts: tuple[int, ...]  # offset of page k's first kept character (k from 0)


def display_width(text: str) -> int:
    """Columns ``text`` takes in print: East Asian wide and full-width characters 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _edge_key(line: str) -> str:
    """A line as running headers repeat it: whitespace dropped, every number the same."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _is_page_number(key: str) -> bool:
    return _PAGE_NUMBER.fullmatch(key) is not None


def _edge_indices(count: int) -> list[int]:
    top = list(range(min(EDGE_LINES, count)))
    return top + [i for i in range(max(count - EDGE_LINES, 0), count) if i not in top]


class PrintedLine(NamedTuple):
    """A line as printed, with where it begins when the reader knows it."""

    text: str
    indent: float | None = None  # ems right of the page's left margin; None: unknown


@dataclass(frozen=True, slots=True)
class _Line:
    text: str  # stripped, never empty
    after_blank: bool  # a blank line came before it on its page: a break the reader saw
    indent: float | None


def _lines(page: Sequence[str | PrintedLine]) -> list[_Line]:
    out: list[_Line] = []
    blank = False
    for raw in page:
        printed = PrintedLine(raw) if isinstance(raw, str) else raw
        line = printed.text.strip()
        if not line:
            blank = bool(out)
            continue
        out.append(_Line(line, blank, printed.indent))
        blank = False
    return out


def drop_running_lines(pages: Sequence[Sequence[str | PrintedLine]]) -> list[list[str]]:
    """Each page's non-blank lines, stripped, without running headers, footers and page
    numbers (step 1)."""
    return [[line.text for line in page] for page in _drop_running([_lines(p) for p in pages])]


def _drop_running(pages: list[list[_Line]]) -> list[list[_Line]]:
    if len(pages) < 2:
        return pages
    at_edge: Counter[str] = Counter()
    for page in pages:
        at_edge.update({_edge_key(page[i].text) for i in _edge_indices(len(page))})
    need = min(MIN_RECURRING_PAGES, len(pages))

    def running(line: _Line) -> bool:
        key = _edge_key(line.text)
        # A line that ends a sentence is text, however often its words recur at page edges.
        return (at_edge[key] >= need and not _ends_sentence(line.text)) or _is_page_number(key)

    out = []
    for page in pages:
        start, end = 0, len(page)
        while start < min(EDGE_LINES, end) and running(page[start]) and not _repeats(page, start, start - 1):
            start += 1
        while end > max(start, len(page) - EDGE_LINES) and running(page[end - 1]) and not _repeats(page, end - 1, end):
            end -= 1
        kept = page[start:end]
        if kept and kept[0].after_blank:  # the blank line parted it from a dropped header
            kept[0] = _Line(kept[0].text, after_blank=False, indent=kept[0].indent)
        out.append(kept)
    return out


def _repeats(page: list[_Line], index: int, dropped: int) -> bool:
    """Whether line ``index`` repeats the line just dropped beside it: a title printed
    under a running header of the same words is the document's own line."""
    return 0 <= dropped < len(page) and page[dropped].text == page[index].text


def _full_width(pages: Sequence[Sequence[_Line]]) -> int:
    widths = sorted(display_width(line.text) for page in pages for line in page)
    if not widths:
        return 0
    return widths[min(len(widths) - 1, int(FULL_LINE_PERCENTILE * len(widths)))]


def _ends_sentence(line: str) -> bool:
    stripped = line
    while stripped and stripped[-1] in _CLOSERS:
        stripped = stripped[:-1]
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _uses_first_line_indent(lines: Sequence[_Line], full: Callable[[str], bool]) -> bool:
    """Whether the file marks paragraphs by indenting their first line (as 公文 do, two
    characters): most lines after a short line (a paragraph's end) are indented, and most
    lines after a full unfinished line (a wrap) are not."""
    starts = [b.indent for a, b in itertools.pairwise(lines) if not full(a.text) and b.indent is not None]
    wraps = [
        b.indent for a, b in itertools.pairwise(lines)
        if full(a.text) and not _ends_sentence(a.text) and b.indent is not None
    ]
    indented = sum(1 for i in starts if i >= INDENT_EMS)
    flush = sum(1 for i in wraps if i < INDENT_EMS)
    return (
        len(starts) >= MIN_INDENT_EVIDENCE and indented >= INDENT_SHARE * len(starts)
        and flush >= INDENT_SHARE * len(wraps)
    )


def join_pages(pages: Sequence[Sequence[str | PrintedLine]]) -> PagedText:
    """Paragraphs from the visual lines of each page (steps 1-3 above).

    ``pages``: each page's lines in reading order; a blank line between two lines is a
    paragraph break the reader saw (ofdkit marks vertical gaps so): never joined across.
    """
    kept = _drop_running([_lines(page) for page in pages])
    threshold = max(MIN_FULL_WIDTH, FULL_LINE_SHARE * _full_width(kept))

    def full(text: str) -> bool:
        return display_width(text) >= threshold

    indents = _uses_first_line_indent([line for page in kept for line in page], full)
    parts: list[str] = []
    length = 0
    page_starts: list[int] = []
    waiting = 0  # pages without text, which begin where the next text does
    previous: str | None = None
    for page in kept:
        waiting += 1
        for line in page:
            if previous is None or line.after_blank or not full(previous) or _ITEM_START.match(line.text):
                wrapped = False
            elif indents and line.indent is not None:
                wrapped = line.indent < INDENT_EMS  # flush left: the paragraph goes on, even after 。
            else:
                wrapped = not _ends_sentence(previous)
            sep = "" if wrapped or previous is None else "\n"
            parts.append(sep)
            length += len(sep)
            page_starts.extend([length] * waiting)
            waiting = 0
            parts.append(line.text)
            length += len(line.text)
            previous = line.text
    page_starts.extend([length] * waiting)
    return PagedText("".join(parts), tuple(page_starts))
