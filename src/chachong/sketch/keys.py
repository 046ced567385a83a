"""Sentence → shingles → MinHash → LSH band keys: the one function every caller uses.

The indexer, `check` and `pairs` must cut sentences and hash them exactly alike, or a draft
sentence could never find its source. Keeping the step in one place keeps them alike.
"""

from __future__ import annotations

import numpy as np

from ..model import IntArray
from ..text.normalize import Normalized
from ..text.sentences import MIN_SENTENCE_CHARS, Sentences, split_sentences
from .lsh import LshParams, band_keys
from .minhash import signatures
from .shingles import sentence_shingles


def min_sentence_chars(params: LshParams) -> int:
    """Shortest sentence that is indexed and matched: at least one shingle long."""
    return max(MIN_SENTENCE_CHARS, params.shingle_chars)


def sentence_keys(norm: Normalized, params: LshParams) -> tuple[Sentences, IntArray]:
    """The sentences of a normalized text and their LSH band keys, shape (n, bands)."""
    sents = split_sentences(norm, min_chars=min_sentence_chars(params))
    if not len(sents):
        return sents, np.zeros((0, params.bands), dtype=np.int64)
    hashes, offsets = sentence_shingles(norm.codes, sents, k=params.shingle_chars)
    sigs = signatures(hashes, offsets, num_perm=params.num_perm, seed=params.seed)
    return sents, band_keys(sigs, params)
