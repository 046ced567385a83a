"""Verifying a candidate sentence pair and aligning it to exact characters.

MinHash/LSH only says two sentences are probably alike; rapidfuzz's Indel alignment
says which characters match, so a highlight starts and ends on the copied characters
even when the drafter added or removed a clause around them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from ..sketch.thesaurus import MAX_WORD_CHARS, MIN_WORD_CHARS

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


# -- fragments: a clause shared by two longer sentences ---------------------------------------
FRAGMENT_MIN_CHARS = 13  # the CNKI floor, and the fragment layer's guarantee (sketch.winnow)
FRAGMENT_RUN = 4  # exact runs a fragment is built of
FRAGMENT_GAP = 4  # characters an edit may take between two runs of one fragment, on each side


@dataclass(frozen=True, slots=True)
class Fragment:
    a_start: int  # the shared region in `a` (draft) and `b` (source), from its first to its
    a_end: int  # last equal character
    b_start: int
    b_end: int
    matched: int  # characters in its equal runs
    runs: int  # 1: the region is the same text on both sides

    @property
    def exact(self) -> bool:
        return self.runs == 1


def common_runs(a: str, b: str, min_len: int = FRAGMENT_RUN) -> list[tuple[int, int, int]]:
    """Maximal exact common substrings of ``a`` and ``b`` of at least ``min_len`` characters:
    (start in a, start in b, length), by start in a.

    Hand-written (a dictionary of ``a``'s ``min_len``-grams and one pass over ``b``) because
    an LCS alignment (Indel) of two long sentences may trade a shared clause for scattered
    single-character matches elsewhere; exact runs cannot be traded away.
    """
    if len(a) < min_len or len(b) < min_len:
        return []
    where: dict[str, list[int]] = {}
    for i in range(len(a) - min_len + 1):
        where.setdefault(a[i : i + min_len], []).append(i)
    runs: list[tuple[int, int, int]] = []
    open_runs: dict[int, tuple[int, int, int]] = {}  # diagonal i - j -> (a start, b start, last j)
    for j in range(len(b) - min_len + 1):
        for i in where.get(b[j : j + min_len], ()):
            run = open_runs.get(i - j)
            if run is not None and run[2] == j - 1:
                open_runs[i - j] = (run[0], run[1], j)
            else:
                if run is not None:
                    runs.append((run[0], run[1], run[2] - run[1] + min_len))
                open_runs[i - j] = (i, j, j)
    runs.extend((r[0], r[1], r[2] - r[1] + min_len) for r in open_runs.values())
    return sorted(runs)


def fragments(a: str, b: str, *, min_chars: int = FRAGMENT_MIN_CHARS) -> list[Fragment]:
    """Dense shared regions of ``a`` and ``b`` (normalized sentences) with at least ``min_chars``
    characters in exact runs of FRAGMENT_RUN or more, wherever they sit in either sentence.

    The longest run seeds a region; runs following it within FRAGMENT_GAP characters on both
    sides (an edited word, a filled-in mask) join it, on either end; then the next longest
    unused run seeds the next region. Regions do not overlap on either side.
    """
    runs = common_runs(a, b)
    taken_a = [False] * len(a)
    taken_b = [False] * len(b)
    out: list[Fragment] = []
    for seed in sorted(runs, key=lambda r: (-r[2], r[0], r[1])):
        i, j, n = seed
        if any(taken_a[i : i + n]) or any(taken_b[j : j + n]):
            continue
        chain = [seed]
        grown = True
        while grown:
            grown = False
            a0, b0 = chain[0][0], chain[0][1]
            a1, b1 = chain[-1][0] + chain[-1][2], chain[-1][1] + chain[-1][2]
            for r in runs:
                if r in chain or any(taken_a[r[0] : r[0] + r[2]]) or any(taken_b[r[1] : r[1] + r[2]]):
                    continue
                after = 0 <= r[0] - a1 <= FRAGMENT_GAP and 0 <= r[1] - b1 <= FRAGMENT_GAP
                before = 0 <= a0 - (r[0] + r[2]) <= FRAGMENT_GAP and 0 <= b0 - (r[1] + r[2]) <= FRAGMENT_GAP
                if after or before:
                    chain.insert(len(chain) if after else 0, r)
                    grown = True
                    break
        matched = sum(r[2] for r in chain)
        if matched < min_chars:
            continue
        a_start, b_start = chain[0][0], chain[0][1]
        a_end, b_end = chain[-1][0] + chain[-1][2], chain[-1][1] + chain[-1][2]
        for x in range(a_start, a_end):
            taken_a[x] = True
        for x in range(b_start, b_end):
            taken_b[x] = True
        out.append(Fragment(a_start, a_end, b_start, b_end, matched, len(chain)))
    return sorted(out, key=lambda f: f.a_start)


# -- paraphrase: synonyms swapped, clauses reordered ------------------------------------------
PARAPHRASE_MIN_SCORE = 0.6  # share of each sentence accounted for (tuned on the evaluation's seed 1)
PARAPHRASE_RELAXED_SCORE = 0.45  # beside a sentence already copied from the same document
PARAPHRASE_MIN_CHARS = 10  # accounted-for characters of the shorter side
PARAPHRASE_RELAXED_MIN_CHARS = 6  # beside a copied sentence: a rewritten heading (二是深挖消费潜力)
PARAPHRASE_MIN_BIGRAM_SHARE = 0.2  # shared bigrams, of the side with fewer, before aligning at all


class Lexicon:
    """What paraphrase alignment knows of one normalized sentence: its character bigrams,
    and (looked up on first use: most candidate pairs are turned down on bigrams alone) its
    thesaurus words (start, length, classes) and which of them have each class."""

    __slots__ = ("_by_class", "_classes", "_words", "bigrams", "text")

    def __init__(self, text: str, classes: Mapping[str, frozenset[int]]) -> None:
        """``classes``: `thesaurus.word_classes` (every 2- to 4-character window looked up)."""
        self.text = text
        self.bigrams = frozenset(text[i : i + 2] for i in range(len(text) - 1))
        self._classes = classes
        self._words: tuple[tuple[int, int, frozenset[int]], ...] | None = None
        self._by_class: dict[int, tuple[tuple[int, int], ...]] | None = None

    @classmethod
    def of(cls, text: str, classes: Mapping[str, frozenset[int]]) -> Lexicon:
        return cls(text, classes)

    @property
    def words(self) -> tuple[tuple[int, int, frozenset[int]], ...]:
        if self._words is None:
            text, get = self.text, self._classes.get
            self._words = tuple(
                (i, n, found)
                for i in range(len(text))
                for n in range(MIN_WORD_CHARS, MAX_WORD_CHARS + 1)
                if i + n <= len(text) and (found := get(text[i : i + n])) is not None
            )
        return self._words

    @property
    def by_class(self) -> Mapping[int, tuple[tuple[int, int], ...]]:
        if self._by_class is None:
            grouped: dict[int, list[tuple[int, int]]] = {}
            for i, n, found in self.words:
                for c in found:
                    grouped.setdefault(c, []).append((i, n))
            self._by_class = {c: tuple(v) for c, v in grouped.items()}
        return self._by_class


@dataclass(frozen=True, slots=True)
class Swap:
    a_start: int  # the draft's word
    a_end: int
    b_start: int  # the source's word it replaces (same synonym class)
    b_end: int


@dataclass(frozen=True, slots=True)
class Paraphrase:
    a_start: int  # from the first to the last accounted-for character, on each side
    a_end: int
    b_start: int
    b_end: int
    matched: int  # accounted-for characters of the draft side
    score: float  # the smaller share of a side accounted for
    swaps: tuple[Swap, ...]


def _accounted(x: Lexicon, y: Lexicon) -> tuple[list[bool], list[tuple[int, int, int, int]]]:
    """Characters of ``x`` that ``y`` accounts for: in a bigram ``y`` also has, or in a word
    of ``x`` that ``y`` has a synonym of (a different word of the same class); and those
    word pairs (x start, x end, y start, y end)."""
    covered = [False] * len(x.text)
    for i in range(len(x.text) - 1):
        if x.text[i : i + 2] in y.bigrams:
            covered[i] = covered[i + 1] = True
    pairs: list[tuple[int, int, int, int]] = []
    for s, n, classes in x.words:
        if x.text[s : s + n] in y.text:
            continue
        # y's words of the same classes, the first in y (classes in order, for determinism)
        partners = [tm for c in sorted(classes) for tm in y.by_class.get(c, ())
                    if y.text[tm[0] : tm[0] + tm[1]] not in x.text]
        if partners:
            t, m = min(partners)
            pairs.append((s, s + n, t, t + m))
            for k in range(s, s + n):
                covered[k] = True
    return covered, pairs


def paraphrase(
    a: Lexicon, b: Lexicon, *, relaxed: bool = False, stock_a: Sequence[bool] | None = None
) -> Paraphrase | None:
    """Align draft sentence ``a`` with source sentence ``b`` as a rewrite of it: enough of
    each accounted for by the other (shared bigrams, synonyms), or None. Characters of ``a``
    marked in ``stock_a`` (stock phrasing) never count as accounted for."""
    if not a.text or not b.text:
        return None
    # Cheap first: a rewrite keeps many of its source's bigrams (the unswapped words).
    if len(a.bigrams & b.bigrams) < PARAPHRASE_MIN_BIGRAM_SHARE * min(len(a.bigrams), len(b.bigrams)):
        return None
    cover_a, swaps_a = _accounted(a, b)
    if stock_a is not None:
        cover_a = [c and not s for c, s in zip(cover_a, stock_a)]
    cover_b, _ = _accounted(b, a)
    matched_a, matched_b = sum(cover_a), sum(cover_b)
    score = min(matched_a / len(a.text), matched_b / len(b.text))
    if score < (PARAPHRASE_RELAXED_SCORE if relaxed else PARAPHRASE_MIN_SCORE):
        return None
    if min(matched_a, matched_b) < (PARAPHRASE_RELAXED_MIN_CHARS if relaxed else PARAPHRASE_MIN_CHARS):
        return None
    a_idx = [i for i, c in enumerate(cover_a) if c]
    b_idx = [i for i, c in enumerate(cover_b) if c]
    swaps = tuple(Swap(s, e, t, u) for s, e, t, u in swaps_a if cover_b[t])
    return Paraphrase(a_idx[0], a_idx[-1] + 1, b_idx[0], b_idx[-1] + 1, matched_a, score, swaps)
