"""The paraphrase layer's keys: MinHash of a sentence's synonym classes, banded for LSH.

A 降重 rewrite keeps a sentence's meaning and changes its characters: synonyms swapped, clauses
swapped around a comma, one dropped, connectives added. Its *set of synonym classes*
(`thesaurus`) survives that: a swapped word keeps its class, reordering does not change a set.
Each sentence's classes — function words and the genre's most frequent classes
(`STOP_CLASSES`: 工作, 开展, 加强 … say nothing about which document a sentence comes from) left
out — get a MinHash signature, cut into `BANDS` bands of `ROWS` values; a band's hash is a
key of the paraphrase posting layer. Sentences whose class sets have Jaccard similarity J
share a key with probability 1 - (1 - J^ROWS)^BANDS (0.55 at J = 0.45, 0.9 at J = 0.65).

Every window of two consecutive sentences of a document gets keys too (the signature of a
union is the minimum of the signatures): a drafter who merges two sentences into one still
shares keys with the pair. Window postings carry `model.WINDOW_FLAG`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..model import WINDOW_FLAG, IntArray, Postings, UInt32Array
from ..text.normalize import Normalized, normalize
from ..text.sentences import Sentences, split_sentences
from .lsh import LshParams, band_keys
from .minhash import signatures
from .thesaurus import Thesaurus, WordHits, find_words, thesaurus
from .winnow import unique_sorted

BANDS = 4
ROWS = 2
SEED = 7
PARAMS = LshParams(num_perm=BANDS * ROWS, bands=BANDS, rows=ROWS, seed=SEED)
# The classes found in most sentences of the bundled corpus (recomputed by
# tests/sketch/test_paraphrase.py): in a genre where every sentence 加强/推进/开展 some 工作,
# they would make every pair of sentences look alike.
STOP_CLASS_COUNT = 50
STOP_CLASSES = (
    "Di19B", "Hj11A", "Di19A", "Di09D", "Ie12A", "Ig03A", "Hc05A", "Ih10A", "Dm01A", "Ee39A",
    "Ee08A", "Ed28A", "Da01A", "Je06A", "Hc02A", "Dd06B", "Ie14B", "Ie14A", "Hj12A", "Di10A",
    "Ed11A", "Dd05A", "Hj11B", "Dd09B", "Dd06C", "Dn03A", "Hi37E", "Hj67A", "Eb34B", "Dk07A",
    "Dm04A", "Ga09B", "Da21A", "Ih05A", "Ie13A", "If08A", "Cb08A", "Da25A", "Id14A", "Hc23C",
    "Ed53A", "Hn09A", "Ed14B", "Di22A", "Dd12A", "Ig03B", "Dn08A", "Dd11A", "Di02B", "Ef08A",
)


@lru_cache(maxsize=1)
def stop_class_ids() -> frozenset[int]:
    codes = set(STOP_CLASSES)
    return frozenset(i for i, code in enumerate(thesaurus().class_codes) if code in codes)


@dataclass(frozen=True, slots=True, eq=False)
class _Features:
    """Each thesaurus word's classes without the stop classes (CSR, as `Thesaurus`)."""

    start: IntArray
    ids: IntArray


def _features(table: Thesaurus, stop: frozenset[int]) -> _Features:
    keep = ~np.isin(table.class_ids, np.fromiter(stop, dtype=np.int64, count=len(stop)))
    per_word = np.add.reduceat(keep.astype(np.int64), table.class_start[:-1]) if keep.size else keep.astype(np.int64)
    # reduceat gives a word with no classes its neighbour's value: every word has one at least
    counts = np.where(np.diff(table.class_start) > 0, per_word, 0)
    return _Features(np.concatenate(([0], np.cumsum(counts))).astype(np.int64), table.class_ids[keep].astype(np.int64))


@lru_cache(maxsize=1)
def _content_features() -> _Features:
    return _features(thesaurus(), stop_class_ids())


def sentence_classes(
    hits: WordHits, sents: Sentences, table: Thesaurus, stop: frozenset[int]
) -> tuple[IntArray, IntArray]:
    """(sentence, class) pairs: the classes of the thesaurus words inside each sentence, each
    pair once, stop classes left out; sorted by sentence, then class."""
    if len(hits) == 0 or len(sents) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    feats = _content_features() if table is thesaurus() and stop == stop_class_ids() else _features(table, stop)
    sentence = np.searchsorted(sents.starts, hits.starts, side="right") - 1
    inside = (sentence >= 0) & (hits.starts + hits.lengths <= sents.ends[np.maximum(sentence, 0)])
    sentence, words = sentence[inside], hits.words[inside]
    counts = feats.start[words + 1] - feats.start[words]
    owner = np.repeat(sentence, counts)
    first = np.repeat(feats.start[words], counts)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    classes = feats.ids[first + rank]
    packed = unique_sorted((owner << np.int64(32)) | classes)
    return packed >> np.int64(32), packed & np.int64(0xFFFFFFFF)


def class_frequencies(texts: list[str]) -> dict[str, int]:
    """In how many sentences of ``texts`` each class occurs (how `STOP_CLASSES` were chosen)."""
    table = thesaurus()
    counts: dict[str, int] = {}
    for text in texts:
        norm = normalize(text)
        sents = split_sentences(norm)
        _, classes = sentence_classes(find_words(norm.codes, table), sents, table, frozenset())
        for c in classes.tolist():
            code = table.class_codes[c]
            counts[code] = counts.get(code, 0) + 1
    return counts


def paraphrase_postings(norm: Normalized, sents: Sentences) -> Postings:
    """The paraphrase layer's keys of a text's sentences and of its two-sentence windows."""
    table = thesaurus()
    owner, classes = sentence_classes(find_words(norm.codes, table), sents, table, stop_class_ids())
    n = len(sents)
    if owner.size == 0:
        return Postings(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32))
    counts = np.bincount(owner, minlength=n)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    sigs = signatures(classes.astype(np.uint32), offsets, num_perm=PARAMS.num_perm, seed=PARAMS.seed)
    has = counts > 0
    windows = np.minimum(sigs[:-1], sigs[1:])
    window_ok = has[:-1] & has[1:]
    units = [np.flatnonzero(has), np.flatnonzero(window_ok) | WINDOW_FLAG]
    keys = [_keys(sigs[has]), _keys(windows[window_ok])]
    unit = np.concatenate([np.repeat(u, PARAMS.bands) for u in units]).astype(np.int64)
    key = np.concatenate([k.reshape(-1) for k in keys])
    order = np.lexsort((unit, unit & ~WINDOW_FLAG))  # by sentence, a sentence before its window
    return Postings(unit[order].astype(np.uint32), key[order])


def _keys(sigs: UInt32Array) -> UInt32Array:
    """uint32 band keys, shape (n, BANDS): the top half of the sentence layer's 64-bit band hash."""
    if sigs.shape[0] == 0:
        return np.zeros((0, PARAMS.bands), dtype=np.uint32)
    return (band_keys(sigs, PARAMS).view(np.uint64) >> np.uint64(32)).astype(np.uint32)
