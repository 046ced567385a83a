"""Winnowing (Schleimer, Wilkerson, Aiken 2003): the fingerprints of the fragment layer.

The sentence index finds a sentence copied as a whole; a clause lifted out of a long sentence
shares too few shingles with it for MinHash. Winnowing keeps, of every window of
``WINDOW`` consecutive k-character shingle hashes inside a sentence, the smallest: two texts
that share a run of at least ``WINDOW + k - 1`` characters (13 for k = 5, the CNKI floor)
share that run's windows, so they share a fingerprint, whatever surrounds the run. About
2 / (WINDOW + 1) of the shingles become fingerprints.

The fingerprint of a window depends only on the window's hashes, so the set of window
minima is the same whether one keeps the leftmost or the rightmost position of a tied
minimum (robust winnowing only changes which positions are reported): we keep values.

Hand-written because no library winnows per sentence over numpy arrays; the sliding minimum
is four vectorized ``np.minimum`` passes (windows of 2, 4, 8, then 9), not a Python loop.
"""

from __future__ import annotations

import numpy as np

from ..model import IntArray, UInt32Array

FRAGMENT_CHARS = 13  # the guarantee: every shared run this long inside a sentence is found
FRAGMENT_SHINGLE_CHARS = 5  # k: the shingles of the sentence layer (`shingles.SHINGLE_CHARS`)
WINDOW = FRAGMENT_CHARS - FRAGMENT_SHINGLE_CHARS + 1  # 9 shingle hashes, ~20 % of them kept


def window_minima(hashes: UInt32Array, window: int) -> UInt32Array:
    """``out[i] = hashes[i : i + window].min()`` for every full window (doubling, no loop per item)."""
    n = hashes.size - window + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint32)
    out = hashes
    width = 1
    while width * 2 <= window:
        out = np.minimum(out[:-width], out[width:])  # now covers windows of 2 * width
        width *= 2
    if width < window:
        out = np.minimum(out[: n], out[window - width : window - width + n])
    return out[:n]


def winnow(hashes: UInt32Array, offsets: IntArray, *, window: int = WINDOW) -> tuple[IntArray, UInt32Array]:
    """Fingerprints of sentences whose shingle hashes are ``hashes[offsets[i]:offsets[i+1]]``.

    Returns ``(sentence, fingerprint)`` arrays, sorted by sentence, then value; each pair once.
    A sentence with fewer than ``window`` shingles (shorter than the guarantee) keeps its
    smallest hash, so a short sentence copied whole is still seen.
    """
    counts = np.diff(offsets)
    if hashes.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint32)
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    minima = window_minima(hashes, window)
    # A window is one sentence's when it ends inside the sentence it starts in.
    starts = np.arange(minima.size, dtype=np.int64)
    full = starts + window <= offsets[1:][owner[: minima.size]]
    sent_parts = [owner[: minima.size][full]]
    value_parts = [minima[full]]
    short = np.flatnonzero((counts > 0) & (counts < window))
    if short.size:
        sent_parts.append(short)
        # reduceat over [start, end) pairs: every other result is a whole short sentence.
        bounds = np.stack((offsets[short], offsets[short + 1]), axis=1).reshape(-1)
        padded = np.append(hashes, np.uint32(0))  # an end may equal len(hashes)
        value_parts.append(np.minimum.reduceat(padded, bounds)[::2])
    sents = np.concatenate(sent_parts)
    values = np.concatenate(value_parts).astype(np.uint32)
    packed = unique_sorted((sents << np.int64(32)) | values.astype(np.int64))
    return packed >> np.int64(32), (packed & np.int64(0xFFFFFFFF)).astype(np.uint32)


def unique_sorted(values: IntArray) -> IntArray:
    """``np.unique(values)`` for integers: numpy 2's hash-based unique is ~70x slower than a
    sort on the million-element arrays of a file's fingerprints (measured, numpy 2.4)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
