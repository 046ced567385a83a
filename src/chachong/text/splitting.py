"""Splitting a file into its documents.

素材库 files are compilations: a header line with a declared count (（13篇）), often a
目录 (table of contents, ``title<TAB>page``), then the documents, each opening with its
title line. Others hold one document, or several separated by a watermark line.

How we find the documents, most reliable evidence first:

1. a 目录: its entries are the titles; each document starts at the first line after the
   table of contents that equals the next entry (in order). A section heading that looks
   like a title (2024年工作打算) is not an entry, so it cannot split a document.
2. otherwise, title-shaped lines: short, a genre word (总结, 计划, 报告 …), not numbered
   (一、 （一） 1.), no sentence punctuation at the end, and followed by a blank line.
3. otherwise the whole file is one document, titled by its first line.

What the file declares (（N篇）, the 目录) is checked against what we find, and any
disagreement becomes a warning. Lines given in ``set_aside`` (distributor ads and
watermarks, found by the indexer because they recur verbatim across files) never belong
to a document: documents are trimmed so they neither start nor end with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DECLARED_COUNT = re.compile(r"[（(]\s*(\d+)\s*篇\s*[)）]")
_TOC_HEADING = re.compile(r"^\s*目\s*录\s*$")
_TOC_ENTRY = re.compile(r"^(?P<title>\S.*?)[\t ]*\t[\t ]*(?P<page>\d+)\s*$")
_GENRE_WORD = re.compile(r"总结|计划|打算|谋划|报告|要点|规划|汇报|述职|方案|讲话|工作思路")
_NUMBERED = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+\s*[、.．,，]|[（(]\s*[一二三四五六七八九十百\d]+\s*[)）]"
    r"|\d+\s*[、.．,，)）]|[①-⑳]|第[一二三四五六七八九十百\d]+[章节部分条点])"
)
_SENTENCE_END = "。；;：:，,！!？?、"
MAX_TITLE_CHARS = 48


@dataclass(frozen=True, slots=True)
class DocumentSpan:
    """One document of a file: its title line and its character span in the file."""

    ordinal: int  # 1-based position in the file
    title: str
    start: int  # offset of the title line's first character
    end: int  # end of the document's last non-blank, non-set-aside line


@dataclass(frozen=True, slots=True)
class Split:
    documents: tuple[DocumentSpan, ...]
    declared_count: int | None
    warnings: tuple[str, ...]
    set_aside: tuple[tuple[int, int, str], ...]  # (start, end, line) of ads/watermarks


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int  # end of the line's text, without its line break
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e")
        out.append(_Line(pos, pos + len(body), body))
        pos += len(raw)
    return out


def line_key(line: str) -> str:
    """How set-aside lines are compared: whitespace-insensitive."""
    return "".join(line.split())


def looks_like_title(line: str) -> bool:
    s = line.strip()
    return (
        0 < len(s) <= MAX_TITLE_CHARS
        and "\t" not in s
        and _GENRE_WORD.search(s) is not None
        and _NUMBERED.match(s) is None
        and s[-1] not in _SENTENCE_END
    )


def split_documents(
    text: str, *, fallback_title: str = "", set_aside: frozenset[str] = frozenset()
) -> Split:
    lines = _lines(text)
    warnings: list[str] = []
    aside = tuple(
        (ln.start, ln.end, ln.stripped)
        for ln in lines
        if ln.stripped and line_key(ln.text) in set_aside
    )
    aside_starts = {a[0] for a in aside}

    def blank(i: int) -> bool:
        return not lines[i].stripped

    def is_aside(i: int) -> bool:
        return lines[i].start in aside_starts

    content = [i for i in range(len(lines)) if not blank(i) and not is_aside(i)]
    if not content:
        return Split((), None, ("no text outside distributor lines",) if aside else (), aside)

    declared = None
    header: int | None = None
    first = content[0]
    m = _DECLARED_COUNT.search(lines[first].stripped)
    if m and len(lines[first].stripped) <= MAX_TITLE_CHARS + 10:
        declared = int(m.group(1))
        header = first

    title_lines = _titles_from_toc(lines, content, header, warnings)
    toc_found = title_lines is not None
    if title_lines is None:
        body = [i for i in content if i != header]
        title_lines = [
            i
            for i in body
            if looks_like_title(lines[i].text)
            and (i + 1 >= len(lines) or blank(i + 1) or is_aside(i + 1))
        ]
        if not title_lines or (declared is None and title_lines[0] != body[0]):
            # Not a recognisable compilation: the whole text is one document.
            title_lines = [body[0]] if body else []
    if not title_lines:
        return Split((), declared, tuple(warnings), aside)

    docs: list[DocumentSpan] = []
    for k, start_line in enumerate(title_lines):
        stop_line = title_lines[k + 1] if k + 1 < len(title_lines) else len(lines)
        last = start_line
        for i in range(start_line, stop_line):
            if not blank(i) and not is_aside(i):
                last = i
        title = lines[start_line].stripped
        if not looks_like_title(title) and len(title) > MAX_TITLE_CHARS:
            title = title[:MAX_TITLE_CHARS] + "…"
        docs.append(
            DocumentSpan(
                ordinal=k + 1,
                title=title or fallback_title,
                start=lines[start_line].start + (len(lines[start_line].text) - len(lines[start_line].text.lstrip())),
                end=lines[last].end - (len(lines[last].text) - len(lines[last].text.rstrip())),
            )
        )
    if declared is not None and declared != len(docs):
        how = "in its table of contents" if toc_found else "by title lines"
        warnings.append(f"declares {declared} documents but {len(docs)} were found {how}")
    return Split(tuple(docs), declared, tuple(warnings), aside)


def _titles_from_toc(
    lines: list[_Line], content: list[int], header: int | None, warnings: list[str]
) -> list[int] | None:
    """Line numbers of the documents' title lines as listed in a 目录, or None."""
    head = content[:8]
    toc_at = next((i for i in head if _TOC_HEADING.match(lines[i].text)), None)
    if toc_at is None:
        return None
    header_title = lines[header].stripped if header is not None else None
    entries: list[str] = []
    last_entry = toc_at
    for i in content:
        if i <= toc_at:
            continue
        m = _TOC_ENTRY.match(lines[i].text.strip("\r\n"))
        if not m:
            if entries:
                break
            continue
        title = m.group("title").strip()
        last_entry = i
        # The compilation lists itself and its 目录 first; those are not documents.
        if title == header_title or _TOC_HEADING.match(title) or _DECLARED_COUNT.search(title):
            continue
        entries.append(title)
    if not entries:
        return None
    found: list[int] = []
    cursor = last_entry + 1
    for title in entries:
        target = line_key(title)
        hit = next(
            (i for i in content if i >= cursor and line_key(lines[i].text) == target), None
        )
        if hit is None:
            warnings.append(f"table of contents entry not found in the text: {title}")
            continue
        found.append(hit)
        cursor = hit + 1
    return found or None
