"""Sentence → shingles → MinHash → LSH band keys, and the sentence's other index keys.

The indexer, `check` and `pairs` must cut sentences and hash them exactly alike, or a draft
sentence could never find its source. Keeping the step in one place keeps them alike:
`sentence_keys` gives the band keys of the sentence layer, `sketch_sentences` the same band
keys together with the keys of the fragment layer (winnowed fingerprints, `winnow`, from the
same shingle hashes) and of the paraphrase layer (`paraphrase`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import IntArray, Postings
from ..text.normalize import Normalized
from ..text.sentences import MIN_SENTENCE_CHARS, Sentences, split_sentences
from .lsh import LshParams, band_keys
from .minhash import signatures
from .paraphrase import paraphrase_postings
from .shingles import sentence_shingles
from .winnow import FRAGMENT_SHINGLE_CHARS, winnow


def min_sentence_chars(params: LshParams) -> int:
    """Shortest sentence that is indexed and matched: at least one shingle long."""
    return max(MIN_SENTENCE_CHARS, params.shingle_chars, FRAGMENT_SHINGLE_CHARS)


@dataclass(frozen=True, slots=True, eq=False)
class SentenceSketch:
    """Everything the index keeps of a text's sentences (``band_keys``: shape (n, bands))."""

    sents: Sentences
    band_keys: IntArray
    fragments: Postings  # (sentence number, winnowed fingerprint)
    paraphrases: Postings  # (sentence number or window, synonym-class band key)


def _empty_postings() -> Postings:
    return Postings(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32))


def sentence_keys(norm: Normalized, params: LshParams) -> tuple[Sentences, IntArray]:
    """The sentences of a normalized text and their LSH band keys, shape (n, bands)."""
    sketch = sketch_sentences(norm, params, layers=False)
    return sketch.sents, sketch.band_keys


def sketch_sentences(norm: Normalized, params: LshParams, *, layers: bool = True) -> SentenceSketch:
    """Sentences, band keys and (``layers``) the fragment layer's fingerprints of a text."""
    sents = split_sentences(norm, min_chars=min_sentence_chars(params))
    if not len(sents):
        return SentenceSketch(sents, np.zeros((0, params.bands), dtype=np.int64), _empty_postings(),
                              _empty_postings())
    hashes, offsets = sentence_shingles(norm.codes, sents, k=params.shingle_chars)
    sigs = signatures(hashes, offsets, num_perm=params.num_perm, seed=params.seed)
    fragments = paraphrases = _empty_postings()
    if layers:
        if params.shingle_chars != FRAGMENT_SHINGLE_CHARS:
            hashes, offsets = sentence_shingles(norm.codes, sents, k=FRAGMENT_SHINGLE_CHARS)
        sentence, fingerprint = winnow(hashes, offsets)
        fragments = Postings(sentence.astype(np.uint32), fingerprint)
        paraphrases = paraphrase_postings(norm, sents)
    return SentenceSketch(sents, band_keys(sigs, params), fragments, paraphrases)
