"""Character shingles of sentences, hashed straight from code points.

Chinese has no spaces, so the features of a sentence are its overlapping K-character
windows. We never build Python strings for them (that caps throughput near 5 M/s):
every window of a document is hashed at once in numpy. `shingle_hash` is the same
function for one Python string; it is what we hand to datasketch as `hashfunc` when a
test checks that our signatures equal datasketch's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..model import IntArray, UInt32Array
from ..text.sentences import Sentences

SHINGLE_CHARS = 5
_SEED = 0x9E3779B97F4A7C15
_POLY = 0x100000001B3  # FNV-64 prime as the polynomial base
_MASK64 = (1 << 64) - 1


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def _fmix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def shingle_hash(shingle: str) -> int:
    """32-bit seeded hash of one shingle (the scalar twin of `sentence_shingles`)."""
    h = 0
    for ch in shingle:
        h = (h * _POLY + ord(ch)) & _MASK64
    return _fmix64_int(h ^ _SEED) >> 32


def sentence_shingles(
    codes: UInt32Array, sentences: Sentences, *, k: int = SHINGLE_CHARS
) -> tuple[UInt32Array, IntArray]:
    """Hashes of every k-window inside each sentence.

    Returns ``(hashes, offsets)``: the windows of sentence ``i`` are
    ``hashes[offsets[i]:offsets[i + 1]]``. Sentences must be at least k long.
    """
    counts = (sentences.ends - sentences.starts - k + 1).astype(np.int64)
    if counts.size and counts.min() < 1:
        raise ValueError("sentence shorter than the shingle size")
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    if total == 0:
        return np.zeros(0, dtype=np.uint32), offsets
    owner = np.repeat(np.arange(counts.size), counts)
    positions = sentences.starts[owner] + (np.arange(total) - offsets[owner])
    with np.errstate(over="ignore"):
        c = codes.astype(np.uint64)
        h = np.zeros(total, dtype=np.uint64)
        poly = np.uint64(_POLY)
        for j in range(k):
            h = h * poly + c[positions + j]
        h = _fmix64(h ^ np.uint64(_SEED))
    return (h >> np.uint64(32)).astype(np.uint32), offsets
