"""Verifying a candidate sentence pair and aligning it to exact characters.

MinHash/LSH only says two sentences are probably alike; rapidfuzz's Indel alignment
says which characters match, so a highlight starts and ends on the copied characters
even when the drafter added or removed a clause around them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Indel

MIN_BLOCK = 2  # shorter equal runs are chance (工作, 加强 …)
EDGE_BLOCK = 4  # a match region starts and ends on an equal run at least this long
MIN_MATCHED = 8
MIN_SIMILARITY = 0.5  # 2*matched / (len(a) + len(b)), what rapidfuzz's fuzz.ratio computes
MIN_CONTAINMENT = 0.7  # matched / shorter sentence, for a sentence copied into a longer one
# Beside an already copied sentence of the same document, less evidence is enough.
RELAXED_SIMILARITY = 0.4
RELAXED_CONTAINMENT = 0.55


@dataclass(frozen=True, slots=True)
class Alignment:
    matched: int  # characters in equal runs of at least MIN_BLOCK inside the regions
    a_start: int  # region of `a` (draft) that is copied, normalized coordinates
    a_end: int
    b_start: int  # region of `b` (source)
    b_end: int
    similarity: float  # 2*matched / (len(a) + len(b))
    containment: float  # matched / min(len(a), len(b))


def align(a: str, b: str, *, score_cutoff: float = 0.0, relaxed: bool = False) -> Alignment | None:
    """Align draft sentence ``a`` with source sentence ``b`` (both normalized).

    Returns None when they do not share enough text to call one a copy of the other:
    at least MIN_MATCHED characters, and either similar overall or one contained in the
    other. ``score_cutoff`` additionally rejects similarity below it. ``relaxed`` lowers
    the bar for a sentence next to one already copied from the same document.
    """
    if not a or not b:
        return None
    blocks = [
        (op.src_start, op.src_end, op.dest_start, op.dest_end)
        for op in Indel.opcodes(a, b)
        if op.tag == "equal" and op.src_end - op.src_start >= MIN_BLOCK
    ]
    if not blocks:
        return None
    strong = [blk for blk in blocks if blk[1] - blk[0] >= EDGE_BLOCK] or blocks
    a_start, b_start = strong[0][0], strong[0][2]
    a_end, b_end = strong[-1][1], strong[-1][3]
    matched = sum(blk[1] - blk[0] for blk in blocks if a_start <= blk[0] and blk[1] <= a_end)
    if matched < MIN_MATCHED:
        return None
    similarity = 2 * matched / (len(a) + len(b))
    containment = matched / min(len(a), len(b))
    min_similarity, min_containment = (
        (RELAXED_SIMILARITY, RELAXED_CONTAINMENT) if relaxed else (MIN_SIMILARITY, MIN_CONTAINMENT)
    )
    if similarity < min_similarity and containment < min_containment:
        return None
    if similarity < score_cutoff:
        return None
    return Alignment(matched, a_start, a_end, b_start, b_end, similarity, containment)
