"""Array helpers both backends share: chunking sorted keys, live ids, candidate pairs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..model import IntArray


def chunk_bounds(sorted_keys: IntArray, chunk: int) -> list[tuple[int, int]]:
    """Cut a sorted key array into chunks of about ``chunk`` keys, never splitting equal keys."""
    n = sorted_keys.size
    bounds: list[tuple[int, int]] = []
    lo = 0
    while lo < n:
        hi = min(lo + chunk, n)
        if hi < n:
            # Move the cut forward past keys equal to the last one in the chunk.
            hi = int(np.searchsorted(sorted_keys, sorted_keys[hi - 1], side="right"))
        bounds.append((lo, hi))
        lo = hi
    return bounds


def alive(ids: npt.NDArray[np.integer], bases: IntArray) -> npt.NDArray[np.bool_]:
    """Which sentence ids a live document owns; ``bases``: sorted (first id, count) rows."""
    if bases.size == 0:
        return np.zeros(ids.size, dtype=bool)
    wide = ids.astype(np.int64)
    pos = np.searchsorted(bases[:, 0], wide, side="right") - 1
    ok = pos >= 0
    pos = np.maximum(pos, 0)
    result: npt.NDArray[np.bool_] = ok & (wide < bases[pos, 0] + bases[pos, 1])
    return result


def count_pairs(
    q_parts: Sequence[npt.NDArray[np.integer]], s_parts: Sequence[npt.NDArray[np.integer]]
) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct (query, sentence) pairs of the parts and how often each occurred (shared bands)."""
    if not q_parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    q = np.concatenate(q_parts).astype(np.int64)
    s = np.concatenate(s_parts).astype(np.int64)
    combined = (q << 32) | s
    uniq, hits = np.unique(combined, return_counts=True)
    return uniq >> 32, uniq & 0xFFFFFFFF, hits.astype(np.int64)


def matching(
    probes: npt.NDArray[np.integer], keys: npt.NDArray[np.integer], ids: npt.NDArray[np.integer]
) -> tuple[IntArray, npt.NDArray[np.integer]]:
    """(probe index, id) for every entry of sorted ``keys`` (with ``ids``) equal to a probe."""
    lo = np.searchsorted(keys, probes, side="left")
    hi = np.searchsorted(keys, probes, side="right")
    counts = (hi - lo).astype(np.int64)
    probe = np.repeat(np.arange(probes.size, dtype=np.int64), counts)
    first = np.cumsum(counts) - counts  # each probe's run starts here in the output
    return probe, ids[lo[probe] + (np.arange(probe.size, dtype=np.int64) - first[probe])]
