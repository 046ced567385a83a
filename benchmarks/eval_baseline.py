"""The baseline: the "13 consecutive identical characters" rule of Chinese checkers (CNKI folk rule).

Applied literally, as the folk rule says, but after removing whitespace and punctuation from
both texts (so a changed comma or a line break does not hide a copy; full-width and
half-width punctuation would otherwise differ too). No other normalization: masks (XX, D)
stay as written, which is what a literal checker sees.

Every run of ≥ 13 identical content characters shared by the draft and a document is a
match, attributed to that document (a run shared with several documents is a match for each
of them, as such checkers list every source). Matches from the same document are merged into
one detection when they overlap or nearly touch on the draft side (at most ``K`` content
characters apart: one changed character breaks a copied run into two matches, and a run
shorter than K between two changes is invisible to the rule) and lie near each other on the
source side (within ``MERGE_SOURCE_GAP`` characters of the source file), so a copied
paragraph is one detection rather than one per fragment.

``longest_source`` is a kinder variant: where several documents share the same draft
characters, only the document with the longest detection there is kept (as a report
listing one source per highlighted fragment would).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

K = 13
MERGE_SOURCE_GAP = 80


def content_chars(text: str) -> tuple[str, np.ndarray]:
    """The text without whitespace and punctuation, and each kept character's offset."""
    keep = [i for i, ch in enumerate(text) if unicodedata.category(ch)[0] not in "PZSC"]
    return "".join(text[i] for i in keep), np.asarray(keep, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Match:
    doc: str
    start: int  # draft offsets (original text)
    end: int
    source_start: int  # source FILE offsets
    source_end: int


@dataclass(slots=True)
class _Doc:
    name: str
    file_start: int
    offsets: np.ndarray  # content char -> offset in doc.text


class ThirteenCharRule:
    """Index every K-gram of the documents' content characters; look a draft's K-grams up."""

    def __init__(self, documents, k: int = K) -> None:
        self.k = k
        self.docs: list[_Doc] = []
        self.grams: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for d, doc in enumerate(documents):
            chars, offsets = content_chars(doc.text)
            self.docs.append(_Doc(doc.name, doc.start, offsets))
            for j in range(len(chars) - k + 1):
                self.grams[chars[j : j + k]].append((d, j))

    def documents_with(self, gram: str) -> set[str]:
        return {self.docs[d].name for d, _ in self.grams.get(gram, ())}

    def matches(self, text: str) -> list[Match]:
        """Maximal exact runs (≥ k content characters) shared with each document."""
        chars, offsets = content_chars(text)
        k = self.k
        open_runs: dict[tuple[int, int], list[int]] = {}  # (doc, diagonal j-i) -> [first i, last i]
        runs: list[tuple[int, int, int, int]] = []  # doc, diagonal, first i, last i
        for i in range(len(chars) - k + 1):
            for d, j in self.grams.get(chars[i : i + k], ()):
                key = (d, j - i)
                run = open_runs.get(key)
                if run is not None and run[1] == i - 1:
                    run[1] = i
                else:
                    if run is not None:
                        runs.append((d, j - i, run[0], run[1]))
                    open_runs[key] = [i, i]
        runs.extend((d, diag, a, b) for (d, diag), (a, b) in open_runs.items())
        out = []
        for d, diag, a, b in runs:
            doc = self.docs[d]
            last = b + k - 1
            out.append(Match(
                doc=doc.name, start=int(offsets[a]), end=int(offsets[last]) + 1,
                source_start=doc.file_start + int(doc.offsets[a + diag]),
                source_end=doc.file_start + int(doc.offsets[last + diag]) + 1,
            ))
        out.sort(key=lambda m: (m.doc, m.start, m.source_start))
        return out

    def detect(self, text: str) -> list[Match]:
        """Matches merged per document into detections."""
        _chars, offsets = content_chars(text)
        # Draft offsets back to content-character positions, to test "touching" without
        # being fooled by punctuation between two runs.
        pos = {int(o): n for n, o in enumerate(offsets)}
        gap = MERGE_SOURCE_GAP
        merged: list[Match] = []
        by_doc: dict[str, list[Match]] = defaultdict(list)
        for m in self.matches(text):
            by_doc[m.doc].append(m)
        for name in sorted(by_doc):
            current: Match | None = None
            for m in sorted(by_doc[name], key=lambda m: (m.start, m.source_start)):
                if current is not None:
                    touches = pos[m.start] <= pos[current.end - 1] + 1 + self.k
                    near = (m.source_start <= current.source_end + gap
                            and m.source_end >= current.source_start - gap)
                    if touches and near:
                        current = Match(
                            name, current.start, max(current.end, m.end),
                            min(current.source_start, m.source_start),
                            max(current.source_end, m.source_end),
                        )
                        continue
                    merged.append(current)
                current = m
            if current is not None:
                merged.append(current)
        merged.sort(key=lambda m: (m.start, m.doc))
        return merged


def longest_source(detections: list[Match]) -> list[Match]:
    """Keep, longest first, the detections not mostly (≥ half) inside a kept one of another document."""
    kept: list[Match] = []
    for m in sorted(detections, key=lambda m: (-(m.end - m.start), m.start, m.doc)):
        inside = max(
            (min(m.end, k.end) - max(m.start, k.start) for k in kept if k.doc != m.doc), default=0
        )
        if inside * 2 < m.end - m.start:
            kept.append(m)
    kept.sort(key=lambda m: (m.start, m.doc))
    return kept
