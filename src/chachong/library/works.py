"""Works: groups of near-duplicate documents (one article reprinted in several compilations).

A 素材库 resells the same article in many compilations, each time with another header, another
order, other ads and a few changed characters. Counted as separate documents, the reprints would
turn a distinctive sentence into "stock phrasing common to N documents" and split every finding
between copies of one text. So at index time every document gets a *fingerprint* — the hashes of
its 8-character shingles of content characters (`normalize.content_codes`: punctuation, spacing
and width do not matter), a fixed quarter of them (Broder's mod-m sampling, on the top bits of
a multiplicative hash, so two documents keep the same shingles) — and from it a document-level
MinHash cut into `DOC_BANDS` LSH bands. Documents sharing a band are candidates; a candidate pair is a *link*
when verified on the fingerprints themselves: the shared shingles make up at least
`MIN_CONTAINMENT` of the shorter document and `MIN_RESEMBLANCE` of the longer one (the same text,
give or take a few edited sentences — not one document quoting a paragraph of another).

A work is a connected component of the links, so it depends only on which documents are indexed,
never on the order they came in; removing a document can split a work. Each work is named by its
first member: the smallest (file identity, ordinal). The stores keep the links and each
document's work (`components` is the one rule both use).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from ..model import IntArray
from ..sketch.lsh import LshParams, band_keys
from ..sketch.minhash import signatures
from ..sketch.shingles import _fmix64
from ..text.normalize import content_codes

# A power of two (see `fingerprint`); longer than a sentence's 5: stock phrases must not make
# documents alike.
DOC_SHINGLE_CHARS = 8
SAMPLE_MODULUS = 4  # keep one shingle in this many (by hash)
DOC_LSH = LshParams(num_perm=64, bands=16, rows=4, seed=7)  # candidates from Jaccard ~0.5 up
DOC_BANDS = DOC_LSH.bands
MIN_FINGERPRINTS = 8  # fewer sampled shingles (under ~40 characters): too little to compare
MIN_CONTAINMENT = 0.8
MIN_RESEMBLANCE = 0.6

_POLY = np.uint64(0x100000001B3)
_SEED = np.uint64(0xC2B2AE3D27D4EB4F)
_SAMPLE_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: its top bits are well mixed

Node = TypeVar("Node", bound=Hashable)


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    hashes: npt.NDArray[np.uint64]  # sorted, distinct sampled shingle hashes

    @property
    def usable(self) -> bool:
        return int(self.hashes.size) >= MIN_FINGERPRINTS


def fingerprint(text: str) -> Fingerprint:
    codes = content_codes(text).astype(np.uint64)
    n = codes.size - DOC_SHINGLE_CHARS + 1
    if n <= 0:
        return Fingerprint(np.zeros(0, dtype=np.uint64))
    with np.errstate(over="ignore"):
        # The polynomial hash of every 8-character window in three passes, not seven: windows
        # of 2, then 4, then 8 characters, each from two of the previous (this runs over the
        # whole library at index time).
        h = codes
        width = 1
        while width < DOC_SHINGLE_CHARS:
            step = _POLY ** np.uint64(width)
            h = h[:-width] * step + h[width:]
            width *= 2
        # Sample on the top bits of a multiplicative hash, then mix only the quarter kept.
        np.multiply(h, _SAMPLE_MULTIPLIER, out=h)
        kept = h[(h >> np.uint64(62)) == 0] if SAMPLE_MODULUS == 4 else h[h % np.uint64(SAMPLE_MODULUS) == 0]
        kept = _fmix64(kept ^ _SEED)
    return Fingerprint(np.unique(kept))


def sketch_keys(prints: Iterable[Fingerprint]) -> IntArray:
    """Document-level LSH keys, shape (documents, DOC_BANDS); a row of zeros for a document too
    short to compare (it matches nothing)."""
    prints = list(prints)
    keys = np.zeros((len(prints), DOC_BANDS), dtype=np.int64)
    usable = [i for i, p in enumerate(prints) if p.usable]
    if not usable:
        return keys
    # MinHash over the high 32 bits of each sampled shingle (datasketch's input width).
    hashes = np.concatenate([(prints[i].hashes >> np.uint64(32)).astype(np.uint32) for i in usable])
    offsets = np.zeros(len(usable) + 1, dtype=np.int64)
    np.cumsum([prints[i].hashes.size for i in usable], out=offsets[1:])
    sigs = signatures(hashes, offsets, num_perm=DOC_LSH.num_perm, seed=DOC_LSH.seed)
    keys[usable] = band_keys(sigs, DOC_LSH)
    return keys


def near_duplicates(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether two documents are one text (the verification of an LSH candidate pair)."""
    if not (a.usable and b.usable):
        return False
    shared = np.intersect1d(a.hashes, b.hashes, assume_unique=True).size
    small, large = sorted((a.hashes.size, b.hashes.size))
    return shared >= MIN_CONTAINMENT * small and shared >= MIN_RESEMBLANCE * large


def candidate_pairs(keys: IntArray) -> list[tuple[int, int]]:
    """Distinct (i, j), i < j, rows of ``keys`` sharing a band (rows of zeros excepted)."""
    found: set[tuple[int, int]] = set()
    live = np.flatnonzero(keys.any(axis=1))
    for band in range(keys.shape[1]):
        groups: dict[int, list[int]] = {}
        for i, key in zip(live.tolist(), keys[live, band].tolist()):
            groups.setdefault(key, []).append(i)
        for members in groups.values():
            found.update((a, b) for k, a in enumerate(members) for b in members[k + 1 :])
    return sorted(found)


def components(names: Mapping[Node, tuple[str, int]], links: Iterable[tuple[Node, Node]]) -> dict[Node, Node]:
    """The work of each node: the member of its connected component with the smallest name
    (file identity, ordinal). Links to nodes not in ``names`` are ignored."""
    parent: dict[Node, Node] = {n: n for n in names}

    def root(n: Node) -> Node:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in links:
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            if ra != rb:
                if names[rb] < names[ra]:
                    ra, rb = rb, ra
                parent[rb] = ra
    return {n: root(n) for n in names}


def works_digest(first_members: Iterable[tuple[str, int]]) -> str:
    """A digest of which documents head the works: part of the phrase table's cache key, since
    the table is computed over one document per work."""
    h = hashlib.sha256()
    for name, ordinal in sorted(first_members):
        h.update(f"{name}\0{ordinal}\n".encode())
    return h.hexdigest()
