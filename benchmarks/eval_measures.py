"""The PAN text-alignment measures (Potthast, Stein, Barrón-Cedeño, Rosso, COLING 2010;
Potthast et al., PAN 2012–2014 overviews), at character level.

A plagiarism case s and a detection r are both annotations: a span of a draft (the
"suspicious" document) and a span of a source document. Following PAN's reference
implementation (pan12-plagiarism-detection-evaluation.py, perfmeasures):

* r *detects* s iff they are in the same draft, name the same source document, and their
  spans overlap on the draft side AND on the source side;
* the characters of an annotation are its draft characters plus its source characters,
  so |s| = draft length + source length;
* macro recall    = 1/|S| · Σ_s |s ⊓ R| / |s|   (s ⊓ R: characters of s inside detections of s)
* macro precision = 1/|R| · Σ_r |r ⊓ S| / |r|   (the same with the roles swapped)
* granularity     = mean number of detections per case detected at least once (1 is best)
* plagdet         = F1(precision, recall) / log2(1 + granularity)

Besides this combined ("both sides", the official) measure we also report one side at a
time: the draft side (characters of the draft only; r detects s when their draft spans
overlap, whichever source r names: attribution is measured separately) and the source side
(characters of the source only; r detects s when it names the right source document and the
source spans overlap).

Written by hand rather than imported: PAN's script is Python 2-era code reading XML files
and is not on PyPI; the definitions are a few lines each.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SIDES = ("both", "draft", "source")


@dataclass(frozen=True, slots=True)
class Annotation:
    """A case or a detection. Offsets are end-exclusive."""

    draft: str  # which draft
    start: int  # span in the draft text
    end: int
    doc: str  # source document name (FILE#N)
    source_start: int  # span in the source FILE's text
    source_end: int

    @property
    def draft_len(self) -> int:
        return self.end - self.start

    @property
    def source_len(self) -> int:
        return self.source_end - self.source_start


def _overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return b1 > a0 and b0 < a1


def detects(case: Annotation, det: Annotation, side: str = "both") -> bool:
    """Whether ``det`` detects ``case`` (symmetric), on the given side."""
    if case.draft != det.draft:
        return False
    draft_ok = _overlap(case.start, case.end, det.start, det.end)
    source_ok = case.doc == det.doc and _overlap(
        case.source_start, case.source_end, det.source_start, det.source_end
    )
    if side == "draft":
        return draft_ok
    if side == "source":
        return source_ok
    return draft_ok and source_ok


def _covered(lo: int, hi: int, spans: Iterable[tuple[int, int]]) -> int:
    """Characters of [lo, hi) inside the union of ``spans``."""
    clipped = sorted((max(lo, a), min(hi, b)) for a, b in spans if b > lo and a < hi)
    total, cur_a, cur_b = 0, None, None
    for a, b in clipped:
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None:
        total += cur_b - cur_a
    return total


def _size(a: Annotation, side: str) -> int:
    if side == "draft":
        return a.draft_len
    if side == "source":
        return a.source_len
    return a.draft_len + a.source_len


def _share_detected(x: Annotation, others: Sequence[Annotation], side: str) -> float:
    """|x ⊓ others| / |x|: the share of x's characters inside the annotations detecting it."""
    hits = [o for o in others if detects(x, o, side)]
    size = _size(x, side)
    if not hits or size == 0:
        return 0.0
    chars = 0
    if side in ("both", "draft"):
        chars += _covered(x.start, x.end, [(o.start, o.end) for o in hits])
    if side in ("both", "source"):
        chars += _covered(x.source_start, x.source_end, [(o.source_start, o.source_end) for o in hits])
    return chars / size


def _by_draft(anns: Sequence[Annotation]) -> dict[str, list[Annotation]]:
    index: dict[str, list[Annotation]] = defaultdict(list)
    for a in anns:
        index[a.draft].append(a)
    return index


def macro_recall(cases: Sequence[Annotation], dets: Sequence[Annotation], side: str = "both") -> float:
    if not cases and not dets:
        return 1.0
    if not cases or not dets:
        return 0.0
    index = _by_draft(dets)
    return sum(_share_detected(s, index.get(s.draft, []), side) for s in cases) / len(cases)


def macro_precision(cases: Sequence[Annotation], dets: Sequence[Annotation], side: str = "both") -> float:
    return macro_recall(dets, cases, side)


def granularity(cases: Sequence[Annotation], dets: Sequence[Annotation], side: str = "both") -> float:
    index = _by_draft(dets)
    counts = [sum(detects(s, r, side) for r in index.get(s.draft, [])) for s in cases]
    hit = [c for c in counts if c > 0]
    return sum(hit) / len(hit) if hit else 1.0


def plagdet(precision: float, recall: float, gran: float) -> float:
    if (precision <= 0 and recall <= 0) or gran < 1:
        return 0.0
    f1 = 2 * precision * recall / (precision + recall)
    return f1 / math.log2(1 + gran)


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    granularity: float
    plagdet: float
    cases: int
    detections: int

    def to_json(self) -> dict:
        return {
            "plagdet": round(self.plagdet, 4), "precision": round(self.precision, 4),
            "recall": round(self.recall, 4), "granularity": round(self.granularity, 4),
            "cases": self.cases, "detections": self.detections,
        }


def score(cases: Sequence[Annotation], dets: Sequence[Annotation], side: str = "both") -> Scores:
    p = macro_precision(cases, dets, side)
    r = macro_recall(cases, dets, side)
    g = granularity(cases, dets, side)
    return Scores(p, r, g, plagdet(p, r, g), len(cases), len(dets))


def attribution(cases: Sequence[Annotation], dets: Sequence[Annotation]) -> tuple[float, int]:
    """Share of detected cases (draft-side overlap) whose main detection names the right source.

    The main detection of a case is the one covering most of the case's draft characters
    (ties: the one naming the right document does not win by default; the first by
    position does). Returns (share, number of detected cases).
    """
    index = _by_draft(dets)
    right = detected = 0
    for s in cases:
        hits = [r for r in index.get(s.draft, []) if detects(s, r, "draft")]
        if not hits:
            continue
        detected += 1
        main = max(hits, key=lambda r: (min(s.end, r.end) - max(s.start, r.start), -r.start))
        right += main.doc == s.doc
    return (right / detected if detected else 0.0), detected


def flagged_share(spans_by_draft: dict[str, list[tuple[int, int]]], texts: dict[str, str],
                  dets: Sequence[Annotation]) -> tuple[float, int]:
    """Share of the non-whitespace characters of ``spans_by_draft`` inside any detection.

    Used for original (never copied) text: the false-positive share. Returns (share, chars).
    """
    index = _by_draft(dets)
    total = flagged = 0
    for draft, spans in spans_by_draft.items():
        text = texts[draft]
        covered = [(r.start, r.end) for r in index.get(draft, [])]
        for lo, hi in spans:
            for i in range(lo, hi):
                if text[i].isspace():
                    continue
                total += 1
                flagged += any(a <= i < b for a, b in covered)
    return (flagged / total if total else 0.0), total
