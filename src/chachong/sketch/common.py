"""The genre's common wording at the scale of a few characters: 5-grams found in many documents.

The phrase table (`phrases`) lists stock phrases of eight characters and more found in a
"common" number of documents. A clause copied out of a sentence is weaker evidence than a
whole sentence, and the genre's formulas (提法) are built from shorter pieces each common
on its own: 坚持 + 以人民为中心 + 的发展思想, 深入贯彻落实 + 党中央、国务院 + 关于. So the fragment
layer also asks, character by character, whether a matched clause is made of 5-grams that
several documents share: the clause counts only if enough of it is not.

Computed from the documents (an even sample of a large library, as the phrase table is),
cached in the index under its generation like the phrase table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import UInt32Array
from ..text.normalize import normalize
from ..text.sentences import split_sentences
from .shingles import sentence_shingles
from .winnow import FRAGMENT_SHINGLE_CHARS, unique_sorted

MAX_SAMPLE_CHARS = 2_000_000  # as the phrase table: an even sample of a larger library


def common_kgrams(texts: Sequence[str], *, min_docs: int, max_chars: int = MAX_SAMPLE_CHARS) -> UInt32Array:
    """Sorted hashes (`shingles.shingle_hash`) of the 5-grams inside sentences of at least
    ``min_docs`` of ``texts`` (documents); over ``max_chars``, of an even sample of them, with
    the threshold scaled to the sample (at least 2)."""
    total = sum(len(t) for t in texts)
    chosen: Sequence[str] = texts
    if total > max_chars and texts:
        step = total / max_chars
        chosen = [texts[int(i * step)] for i in range(int(len(texts) / step))]
        min_docs = max(2, round(min_docs * len(chosen) / len(texts)))
    parts: list[np.ndarray] = []
    for doc, text in enumerate(chosen):
        norm = normalize(text)
        sents = split_sentences(norm, min_chars=FRAGMENT_SHINGLE_CHARS)
        if not len(sents):
            continue
        hashes, _ = sentence_shingles(norm.codes, sents, k=FRAGMENT_SHINGLE_CHARS)
        parts.append((np.int64(doc) << np.int64(32)) | hashes.astype(np.int64))
    if not parts:
        return np.zeros(0, dtype=np.uint32)
    per_doc = unique_sorted(np.concatenate(parts))  # each (document, 5-gram) once
    values = np.sort(per_doc & np.int64(0xFFFFFFFF))
    if values.size == 0:
        return np.zeros(0, dtype=np.uint32)
    first = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    counts = np.diff(np.append(first, values.size))
    return values[first[counts >= min_docs]].astype(np.uint32)
