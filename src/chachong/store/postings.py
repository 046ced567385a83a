"""Posting layers: the index's uint32 key → sentence ids maps beside the LSH bands.

Two layers use them: the fragment layer (winnowed fingerprints, `sketch.winnow`) and the
paraphrase layer (band keys of synonym-class MinHash, `sketch.paraphrase`). Both backends
keep a layer as buckets chosen by the top bits of the key, each holding its postings sorted
by key, so a lookup of any number of keys reads each bucket it needs once (one query per
segment in SQLite, one script call per bucket group in Redis) and searches it in numpy.

A key posted for more than its layer's cap of sentences is stock phrasing (MOSS ``-m``): it
is stored as one `STOPPED` posting instead of its list, and a lookup gives nothing for it.
Its sentences are still found through their other keys; a fragment made only of such keys is
the genre's common wording, which check would not count as copied anyway.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..model import WINDOW_FLAG, IntArray, NewDocument, Postings, UInt32Array
from ..sketch.winnow import unique_sorted

FRAGMENT_LAYER = 1
PARAPHRASE_LAYER = 2
STOPPED = np.uint32(0xFFFFFFFF)  # the one posting of a key over its layer's cap
BUCKET_ENTRIES = 64  # postings per bucket on average: ~512 bytes, inside a B-tree page (see sqlite.CHUNK_KEYS)


@dataclass(frozen=True, slots=True)
class Layer:
    id: int
    name: str
    cap: int  # a key posted for more sentences than this is stock phrasing


LAYERS = {
    FRAGMENT_LAYER: Layer(FRAGMENT_LAYER, "fragments", cap=64),
    PARAPHRASE_LAYER: Layer(PARAPHRASE_LAYER, "paraphrases", cap=64),
}


def of_document(doc: NewDocument) -> dict[int, Postings]:
    """A document's postings in each layer (units numbered inside the document)."""
    return {FRAGMENT_LAYER: doc.fragments, PARAPHRASE_LAYER: doc.paraphrases}


def global_ids(units: UInt32Array, base: int) -> UInt32Array:
    """Posting units of a document whose first sentence id is ``base``, as stored ids."""
    wide = units.astype(np.int64)
    return (((wide & ~WINDOW_FLAG) + base) | (wide & WINDOW_FLAG)).astype(np.uint32)


def sentence_of(ids: npt.NDArray[np.integer]) -> IntArray:
    """Sentence ids of postings (a window's posting names its first sentence)."""
    return ids.astype(np.int64) & ~WINDOW_FLAG


def build(keys: UInt32Array, ids: UInt32Array, cap: int) -> tuple[UInt32Array, UInt32Array]:
    """Postings sorted by (key, id), each once; a key with more than ``cap`` ids, or already
    `STOPPED` (in a segment being merged), becomes the single posting (key, STOPPED)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32)
    packed = unique_sorted((keys.astype(np.int64) << np.int64(32)) | ids.astype(np.int64))
    k = (packed >> np.int64(32)).astype(np.uint32)
    i = (packed & np.int64(0xFFFFFFFF)).astype(np.uint32)
    first = np.concatenate(([True], k[1:] != k[:-1]))
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, k.size))
    # Ids sort below STOPPED, so a stopped key's STOPPED posting is the last of its run.
    last = i[starts + counts - 1]
    over = (counts > cap) | (last == STOPPED)
    if not over.any():
        return k, i
    run = np.cumsum(first) - 1
    # Of a stopped key's run keep one posting, its last, and make it STOPPED.
    keep = ~over[run]
    keep[starts[over] + counts[over] - 1] = True
    k, i = k[keep], i[keep].copy()
    i[over[run[keep]]] = STOPPED
    return k, i


def bucket_bits(entries: int) -> int:
    """Bits of the key that choose a bucket, for about BUCKET_ENTRIES postings per bucket."""
    bits = 0
    while bits < 24 and (entries >> bits) > BUCKET_ENTRIES:
        bits += 1
    return bits


KEY_RANGE_BITS = 4  # postings are built in 16 key ranges (see `key_ranges`)


def key_ranges(
    keys: UInt32Array, ids: UInt32Array, bits: int
) -> Iterator[tuple[UInt32Array, UInt32Array]]:
    """``keys``/``ids`` in up to 16 parts by the top bits of the key, in key order; never
    more parts than buckets, so a bucket lies in one part."""
    range_bits = min(KEY_RANGE_BITS, bits)
    if range_bits == 0:
        yield keys, ids
        return
    top = keys >> np.uint32(32 - range_bits)
    for part in range(1 << range_bits):
        sel = np.flatnonzero(top == part)
        if sel.size:
            yield keys[sel], ids[sel]


def bucket_of(keys: npt.NDArray[np.integer], bits: int) -> IntArray:
    return (keys.astype(np.int64) >> np.int64(32 - bits)) if bits else np.zeros(keys.size, dtype=np.int64)


def buckets(keys: UInt32Array, ids: UInt32Array, bits: int) -> Iterator[tuple[int, UInt32Array, UInt32Array]]:
    """(bucket, keys, ids) of sorted postings, one per non-empty bucket, in bucket order."""
    which = bucket_of(keys, bits)
    cuts = np.flatnonzero(np.diff(which)) + 1
    lo = 0
    for hi in [*cuts.tolist(), keys.size]:
        if hi > lo:
            yield int(which[lo]), keys[lo:hi], ids[lo:hi]
        lo = hi


@dataclass(frozen=True, slots=True)
class Found:
    """What one sorted run of postings holds for a list of probe keys."""

    probe: IntArray  # index of the probe key, one row per posting
    ids: UInt32Array
    counts: IntArray  # postings per probe key
    stopped: npt.NDArray[np.bool_]  # per probe key: stored as STOPPED


def find(probes: UInt32Array, keys: UInt32Array, ids: UInt32Array) -> Found:
    """The postings of each probe key in sorted ``keys``/``ids``."""
    lo = np.searchsorted(keys, probes, side="left")
    hi = np.searchsorted(keys, probes, side="right")
    counts = (hi - lo).astype(np.int64)
    stopped = np.zeros(probes.size, dtype=bool)
    hit = counts > 0
    stopped[hit] = ids[hi[hit] - 1] == STOPPED
    counts[stopped] = 0
    total = int(counts.sum())
    probe = np.repeat(np.arange(probes.size, dtype=np.int64), counts)
    # Position of each posting: its range's start plus its rank inside the range.
    first = np.cumsum(counts) - counts
    pos = lo[probe] + (np.arange(total, dtype=np.int64) - first[probe])
    return Found(probe, ids[pos], counts, stopped)


def combine(parts: Sequence[Found], n_probes: int, cap: int) -> tuple[IntArray, UInt32Array]:
    """(probe index, id) over all parts (segments), sorted, dropping keys stopped in any part
    or over ``cap`` postings in all."""
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint32)
    counts = np.zeros(n_probes, dtype=np.int64)
    stopped = np.zeros(n_probes, dtype=bool)
    for part in parts:
        counts += part.counts
        stopped |= part.stopped
    drop = stopped | (counts > cap)
    probe = np.concatenate([p.probe for p in parts])
    ids = np.concatenate([p.ids for p in parts])
    keep = ~drop[probe]
    probe, ids = probe[keep], ids[keep]
    order = np.lexsort((ids, probe))
    return probe[order], ids[order]
