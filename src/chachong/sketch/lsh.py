"""LSH banding: the keys under which a signature is stored and looked up.

A signature of ``bands * rows`` values is cut into bands; two sentences are candidates
when any band is equal. We store a 64-bit digest of each band (band number mixed in)
instead of the band's bytes: the same candidates as datasketch's ``MinHashLSH`` with
``params=(bands, rows)`` unless two different bands collide in 64 bits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from ..model import IntArray, UInt32Array
from .shingles import SHINGLE_CHARS, _fmix64


@dataclass(frozen=True, slots=True)
class LshParams:
    """Everything that must match between an index and the code that queries it."""

    num_perm: int = 64
    bands: int = 21
    rows: int = 3
    seed: int = 1
    shingle_chars: int = SHINGLE_CHARS

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def candidate_probability(self, jaccard: float) -> float:
        return 1.0 - (1.0 - jaccard**self.rows) ** self.bands


def band_keys(sigs: UInt32Array, params: LshParams) -> IntArray:
    """int64 keys of shape (n_sentences, bands); equal bands give equal keys."""
    n = sigs.shape[0]
    keys = np.empty((n, params.bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(params.bands):
            h = np.full(n, np.uint64(0x9E3779B97F4A7C15) * np.uint64(band + 1), dtype=np.uint64)
            for r in range(params.rows):
                v = sigs[:, band * params.rows + r].astype(np.uint64)
                h = (h ^ v) * np.uint64(0x100000001B3)
            keys[:, band] = _fmix64(h)
    return keys.view(np.int64)


def stable_argsort(keys: npt.NDArray[np.integer]) -> npt.NDArray[np.intp]:
    """``np.argsort(keys, kind="stable")``, 2-4x faster on integer keys (band keys, ids).

    Every grouping by band key sorts one band at a time. numpy's stable sort of 64-bit
    integers is a merge sort (0.19 s for 2M keys here; 4 s for the 21 bands of a
    90M-character library); its default sort is a vectorized quicksort (0.045 s) and
    sorting plain int64 values faster still. So: quicksort, then restore the original order
    within runs of equal keys by sorting (run, position) packed into one int64.
    """
    n = keys.size
    order = np.argsort(keys)
    if n < 2:
        return order
    ranked = keys[order]
    run = np.concatenate(([0], np.cumsum(ranked[1:] != ranked[:-1])))
    packed = run * n + order
    packed.sort()
    return packed % n
