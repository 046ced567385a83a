"""Normalization with an offset map back to the original text.

The matching form of a text keeps what carries meaning and unifies what drafters vary:

* NFKC per character (full-width ``（四）：２０２３`` become ``(四):2023``), Latin lower-cased;
* whitespace, punctuation and symbols dropped, except that sentence ends
  (``。！？；!?;`` and line breaks) become one ``BREAK`` character (``"\\n"``);
* a run of digits and mask letters (``X``, ``XX``, ``xx``, ``x.x``, ``2023``, ``3.5``) becomes
  one ``#``, so a drafter who fills the blanks in, or changes a year, still matches;
* ``D`` standing alone between Chinese characters (the corpus's mask of 党) becomes 党;
* traditional characters become simplified ones (OpenCC's character table).

Every normalized character keeps the span ``[start, end)`` of original characters it came
from, so any normalized range maps back to exact offsets in the user's text.

Why hand-written: no library keeps an offset map through NFKC and run-collapsing, and
the whole 90M-character library must go through this, so it is vectorized with numpy
over a lazily filled per-code-point lookup table (one Python call per distinct character,
not per character).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ..model import IntArray, UInt32Array

BREAK = "\n"
MASK = "#"
PARTY = "党"

# Character classes, internal to this module.
_KEEP, _BREAK, _DIGIT, _XMASK, _DOT, _LATIN, _UPPER_D, _DROP = range(8)
_UNKNOWN = 255

# Classes that make a neighbouring D part of a word (built once: a check normalizes
# hundreds of short source sentences, and rebuilding it cost more than the work itself).
_WORDISH = np.zeros(256, dtype=bool)
_WORDISH[[_LATIN, _UPPER_D, _XMASK, _DIGIT]] = True

_HARD_BREAKS = frozenset("\n\r\u2028\u2029\x0b\x0c\x85。！？；!?;｡")

_cls_lut = np.full(0x110000, _UNKNOWN, dtype=np.uint8)
_cp_lut = np.zeros(0x110000, dtype=np.uint32)
_len_lut = np.zeros(0x110000, dtype=np.uint8)
_multi: dict[int, tuple[tuple[int, int], ...]] = {}


@lru_cache(maxsize=1)
def t2s_table() -> dict[str, str]:
    """OpenCC's traditional→simplified character table (one-to-one entries only).

    Only single-character conversions are applied, so the offset map stays one-to-one;
    OpenCC's phrase table would change lengths for a gain we do not need for matching.
    """
    try:
        from pathlib import Path

        import opencc  # opencc-python-reimplemented

        path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
        table: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and len(parts[0]) == 1:
                target = parts[1].split(" ")[0]
                if len(target) == 1 and target != parts[0]:
                    table[parts[0]] = target
        return table
    except (ImportError, OSError):  # pragma: no cover - opencc is a core dependency
        return {}


def _classify(cp: int) -> tuple[tuple[int, int], ...]:
    """The normalized (code point, class) pairs one original character becomes."""
    ch = chr(cp)
    if ch in _HARD_BREAKS:
        return ((10, _BREAK),)
    out: list[tuple[int, int]] = []
    folded = unicodedata.normalize("NFKC", ch)
    if ch in {"Ｄ", "D"}:
        return ((ord("D"), _UPPER_D),)
    for o in folded:
        if o in _HARD_BREAKS:
            out.append((10, _BREAK))
        elif "0" <= o <= "9":
            out.append((ord(o), _DIGIT))
        elif o in "xX":
            out.append((ord("x"), _XMASK))
        elif o == ".":
            out.append((ord("."), _DOT))
        elif o.isascii() and o.isalpha():
            out.append((ord(o.lower()), _LATIN))
        elif unicodedata.category(o)[0] in "LNM":
            simplified = t2s_table().get(o, o)
            low = simplified.lower()
            out.append((ord(low if len(low) == 1 else simplified), _KEEP))
        else:
            # Punctuation, symbols, spaces, controls: dropped at the end, but they still
            # separate words while masks and D are resolved (so "Excel xx" keeps its mask).
            out.append((cp, _DROP))
    return tuple(out) or ((cp, _DROP),)


def _fill_lut(cps: UInt32Array) -> None:
    unknown = cps[_cls_lut[cps] == _UNKNOWN]
    if unknown.size == 0:
        return
    for cp in np.unique(unknown).tolist():
        pairs = _classify(cp)
        _len_lut[cp] = len(pairs)
        _cp_lut[cp], _cls_lut[cp] = pairs[0]
        if len(pairs) > 1:
            _multi[cp] = pairs


@dataclass(frozen=True, slots=True, eq=False)
class Normalized:
    """The matching form of a text and, per character, its original span."""

    codes: UInt32Array  # code points; BREAK between sentences
    starts: IntArray  # original offset of each normalized character
    ends: IntArray  # original end offset (exclusive) of each character

    @property
    def text(self) -> str:
        return self.codes.astype("<u4").tobytes().decode("utf-32-le")

    def __len__(self) -> int:
        return int(self.codes.size)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` of the normalized range ``[start, end)`` (non-empty)."""
        return int(self.starts[start]), int(self.ends[end - 1])


def _code_points(text: str) -> UInt32Array:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(
        np.uint32
    )


def normalize(text: str, *, base: int = 0) -> Normalized:
    """Normalize ``text``; offsets are ``base`` + index into ``text``."""
    cps = _code_points(text)
    n = cps.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Normalized(np.zeros(0, dtype=np.uint32), empty, empty)
    _fill_lut(cps)
    lens = _len_lut[cps]
    if np.all(lens == 1):
        src = np.arange(n, dtype=np.int64)
        codes = _cp_lut[cps]
        cls = _cls_lut[cps]
    else:
        src = np.repeat(np.arange(n, dtype=np.int64), lens)
        first = np.cumsum(lens, dtype=np.int64) - lens
        codes = np.empty(src.size, dtype=np.uint32)
        cls = np.empty(src.size, dtype=np.uint8)
        single = lens == 1
        codes[first[single]] = _cp_lut[cps[single]]
        cls[first[single]] = _cls_lut[cps[single]]
        for i in np.flatnonzero(lens > 1).tolist():
            for j, (cp, c) in enumerate(_multi[int(cps[i])]):
                codes[first[i] + j] = cp
                cls[first[i] + j] = c
    starts = src + base
    ends = starts + 1
    return _resolve_context(codes, cls, starts, ends)


def _resolve_context(
    codes: UInt32Array, cls: npt.NDArray[np.uint8], starts: IntArray, ends: IntArray
) -> Normalized:
    n = codes.size
    keep = np.ones(n, dtype=bool)
    prev_cls = np.empty(n, dtype=np.uint8)
    next_cls = np.empty(n, dtype=np.uint8)
    prev_cls[0] = _BREAK
    prev_cls[1:] = cls[:-1]
    next_cls[-1] = _BREAK
    next_cls[:-1] = cls[1:]

    # D between non-Latin characters is the corpus's mask of 党; inside a word it is a letter.
    wordish = _WORDISH
    is_d = cls == _UPPER_D
    if is_d.any():
        lone = is_d & ~wordish[prev_cls] & ~wordish[next_cls]
        codes = codes.copy()
        codes[lone] = ord(PARTY)
        codes[is_d & ~lone] = ord("d")
        cls = cls.copy()
        cls[lone] = _KEEP
        cls[is_d & ~lone] = _LATIN

    # Runs of digits / mask letters / dots collapse to one MASK unless glued to a word.
    numeric = (cls == _DIGIT) | (cls == _XMASK) | (cls == _DOT)
    if numeric.any():
        edges = np.diff(np.concatenate(([0], numeric.view(np.int8), [0])))
        run_start = np.flatnonzero(edges == 1)
        run_end = np.flatnonzero(edges == -1)
        content = np.concatenate(([0], np.cumsum((cls == _DIGIT) | (cls == _XMASK))))
        has_content = content[run_end] - content[run_start] > 0
        left_word = (run_start > 0) & (cls[np.maximum(run_start - 1, 0)] == _LATIN)
        right_word = (run_end < n) & (cls[np.minimum(run_end, n - 1)] == _LATIN)
        masked = has_content & ~left_word & ~right_word
        in_word = has_content & ~masked
        run_id = np.cumsum(edges[:-1] == 1) - 1
        keep[numeric] = False
        # Digits and x inside a word (e.g. "mp3", "excel") stay as written; dots go.
        keep[numeric & in_word[np.maximum(run_id, 0)] & (cls != _DOT)] = True
        heads = run_start[masked]
        keep[heads] = True
        codes = codes.copy()
        ends = ends.copy()
        codes[heads] = ord(MASK)
        ends[heads] = ends[run_end[masked] - 1]
        cls = cls.copy()
        cls[heads] = _KEEP
    keep &= cls != _DROP

    codes, cls, starts, ends = codes[keep], cls[keep], starts[keep], ends[keep]
    # One BREAK between sentences: none at the start, none repeated.
    is_break = cls == _BREAK
    if is_break.any():
        dup = is_break.copy()
        dup[1:] &= is_break[:-1]
        dup[0] = is_break[0]
        if dup.any():
            codes, starts, ends = codes[~dup], starts[~dup], ends[~dup]
    return Normalized(codes, starts, ends)


def normalize_string(text: str) -> str:
    """The matching form of ``text`` as a string (for phrases, tests and display)."""
    return normalize(text).text


def normalize_many(texts: list[str]) -> list[Normalized]:
    """``[normalize(t) for t in texts]``, bit for bit, in one vectorized pass.

    A check normalizes hundreds of short source sentences; one call each costs ~35 µs of
    numpy overhead per call, more than the work. We normalize them joined by line breaks
    and cut the result apart: a BREAK behaves exactly like the edge of a text for every
    context rule (D, mask runs, repeated breaks), and the joining breaks themselves fall
    outside every text's span, so no text gains or loses a character.
    """
    if not texts:
        return []
    joined = "\n".join(texts)
    whole = normalize(joined)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    bases = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    lo = np.searchsorted(whole.starts, bases, side="left")
    hi = np.searchsorted(whole.starts, bases + lengths, side="left")
    out = []
    for i, (a, b) in enumerate(zip(lo.tolist(), hi.tolist())):
        base = int(bases[i])
        out.append(Normalized(whole.codes[a:b], whole.starts[a:b] - base, whole.ends[a:b] - base))
    return out


def content_codes(text: str) -> UInt32Array:
    """The characters of ``text`` that carry content, folded as `normalize` folds them (NFKC,
    lower case, traditional→simplified), without the offset map or the context rules.

    For comparing whole documents (`chachong.library.works`): a fraction of `normalize`'s
    cost, and reprints that differ in punctuation, width or spacing give the same codes.
    """
    cps = _code_points(text)
    if cps.size == 0:
        return np.zeros(0, dtype=np.uint32)
    _fill_lut(cps)
    cls = _cls_lut[cps]
    keep = (cls != _DROP) & (cls != _BREAK) & (cls != _DOT)
    return np.asarray(_cp_lut[cps[keep]], dtype=np.uint32)
