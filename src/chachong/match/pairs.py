"""Who shares text with whom: every pair of indexed documents, ranked by shared text.

Each indexed sentence is compared with the sentences of *other* documents that the LSH
finds (same band keys as the index), verified and aligned with `align.align`, and the
aligned characters are added up per document pair. Stock phrasing is not counted:

* a sentence found in more than ``max_docs`` works (its own included; reprints of one
  article are one work, `library.works`) is boilerplate and ignored entirely, like MOSS's ``-m``;
* inside the sentences that do count, characters of the index's stock phrases (the phrase
  table `check` uses, phrases in more than ``max_docs`` works) are not counted either.

Two documents of the same work (reprints) are not a pair: ``docs`` lists them as a group.

Candidates come from a sort/group-by over the band keys of all documents at once rather
than from ``store.candidates``: that method answers a few query sentences with one lookup
per distinct key, which for every sentence of the index against the index is ~1.8 s on the
bundled corpus; grouping the same keys in numpy gives the same candidate pairs in
milliseconds (LSH as a sort/group-by, as text-dedup and NeMo Curator do it). The keys come from
`sketch.keys.sentence_keys`, as the indexer's do, so the two agree (a test checks this).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model import BoolArray, DocumentRecord, IntArray
from ..phrases import default_min_docs, phrase_table
from ..sketch.keys import sentence_keys
from ..sketch.lsh import stable_argsort
from ..store import Store
from ..text.normalize import Normalized, normalize
from ..text.sentences import Sentences
from .align import Alignment, align

MIN_SHARED_CHARS = 12  # like check's shortest reported passage: less is coincidence
# One aligned sentence pair of two documents, normalized coordinates:
# (sentence of a, start in a, end in a, sentence of b, start in b, end in b).
_Region = tuple[int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class PairDoc:
    doc: str  # FILE_NAME#ORDINAL
    file: str
    title: str
    chars: int  # characters that count (no whitespace, punctuation), as in check's ratios


@dataclass(frozen=True, slots=True)
class SharedPassage:
    """A run of consecutive shared sentences of ``a`` and the text of ``b`` it matches."""

    a_start: int  # offsets into a's file text
    a_end: int
    b_start: int  # offsets into b's file text
    b_end: int
    a_text: str
    b_text: str


@dataclass(frozen=True, slots=True)
class DocPair:
    a: PairDoc  # the document that comes first in the index (file path, ordinal)
    b: PairDoc
    a_chars: int  # counted characters of a inside text shared with b
    b_chars: int
    passages: tuple[SharedPassage, ...]

    @property
    def shared_chars(self) -> int:
        # The smaller side: a sentence repeated in one document does not count twice.
        return min(self.a_chars, self.b_chars)

    @property
    def share_a(self) -> float:
        return self.a_chars / self.a.chars if self.a.chars else 0.0

    @property
    def share_b(self) -> float:
        return self.b_chars / self.b.chars if self.b.chars else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.doc, "b": self.b.doc, "a_title": self.a.title, "b_title": self.b.title,
            "shared_chars": self.shared_chars, "share_a": round(self.share_a, 4),
            "share_b": round(self.share_b, 4), "passages": len(self.passages),
        }


@dataclass(frozen=True, slots=True)
class PairsResult:
    documents: tuple[PairDoc, ...]  # every indexed document, in index order
    pairs: tuple[DocPair, ...]  # ranked: most shared characters first
    max_docs: int  # text found in more works than this is stock phrasing
    stock_sentences: int  # indexed sentences ignored as stock phrasing
    reprint_pairs: int = 0  # pairs of documents of one work, not listed


@dataclass(slots=True)
class _Doc:
    record: DocumentRecord
    norm: Normalized
    text: str  # norm.text, decoded once
    sents: Sentences
    stock: BoolArray  # per normalized character: inside a stock phrase


def find_pairs(store: Store, *, max_docs: int | None = None) -> PairsResult:  # noqa: PLR0915 - one pass, in steps
    """All pairs of indexed documents that share text beyond stock phrasing, ranked."""
    params = store.params
    records = store.documents()
    works = [r.work for r in records]
    if max_docs is None:
        max_docs = default_min_docs(len(set(works))) - 1
    if max_docs < 1:
        raise ValueError("max_docs must be at least 1")
    # A phrase in more than max_docs documents is stock phrasing, the phrase table's min_docs.
    table = phrase_table(store, min_docs=max_docs + 1)
    phrases = [p.normalized for p in table.phrases if p.docs > max_docs]

    docs: list[_Doc] = []
    key_parts: list[IntArray] = []
    owner_parts: list[IntArray] = []
    for i, rec in enumerate(records):
        norm = normalize(rec.text)
        sents, sentence_band_keys = sentence_keys(norm, params)
        text = norm.text
        docs.append(_Doc(rec, norm, text, sents, _stock_mask(text, phrases)))
        if len(sents):
            key_parts.append(sentence_band_keys)
            owner_parts.append(np.full(len(sents), i, dtype=np.int64))
    pair_docs = tuple(
        PairDoc(doc=d.record.name, file=d.record.file, title=d.record.title,
                chars=int(np.count_nonzero(d.norm.codes != 10)))
        for d in docs
    )
    if not key_parts:
        return PairsResult(pair_docs, (), max_docs, 0)
    keys = np.concatenate(key_parts)
    owner = np.concatenate(owner_parts)
    first = np.zeros(len(docs) + 1, dtype=np.int64)  # global number of each doc's first sentence
    np.add.at(first, owner + 1, 1)
    first = np.cumsum(first)

    # Verify every candidate pair of sentences from different documents.
    aligned: list[tuple[int, int, Alignment]] = []
    partners: dict[int, set[int]] = defaultdict(set)
    reprints: set[tuple[int, int]] = set()
    for g, h in candidate_pairs(keys, owner).tolist():
        da, db = int(owner[g]), int(owner[h])
        if works[da] == works[db]:
            reprints.add((da, db))
            continue
        doc_a, doc_b = docs[da], docs[db]
        ia, ib = g - int(first[da]), h - int(first[db])
        a0, b0 = int(doc_a.sents.starts[ia]), int(doc_b.sents.starts[ib])
        al = align(doc_a.text[a0 : int(doc_a.sents.ends[ia])], doc_b.text[b0 : int(doc_b.sents.ends[ib])])
        if al is None:
            continue
        aligned.append((g, h, al))
        partners[g].add(works[db])
        partners[h].add(works[da])
    stock = {g for g, ds in partners.items() if len(ds) + 1 > max_docs}

    # Per document pair: normalized regions on both sides, by sentence.
    regions: dict[tuple[int, int], list[_Region]] = defaultdict(list)
    for g, h, al in aligned:
        if g in stock or h in stock:
            continue
        da, db = int(owner[g]), int(owner[h])
        ia, ib = g - int(first[da]), h - int(first[db])
        a0, b0 = int(docs[da].sents.starts[ia]), int(docs[db].sents.starts[ib])
        regions[(da, db)].append((ia, a0 + al.a_start, a0 + al.a_end, ib, b0 + al.b_start, b0 + al.b_end))

    pairs: list[DocPair] = []
    for (da, db), regs in regions.items():
        doc_a, doc_b = docs[da], docs[db]
        a_chars = _counted(doc_a, [(r[1], r[2]) for r in regs])
        b_chars = _counted(doc_b, [(r[4], r[5]) for r in regs])
        if min(a_chars, b_chars) < MIN_SHARED_CHARS:
            continue
        stock_a = {g - int(first[da]) for g in stock if owner[g] == da}
        pairs.append(DocPair(pair_docs[da], pair_docs[db], a_chars, b_chars, _passages(doc_a, doc_b, regs, stock_a)))
    pairs.sort(key=lambda p: (-p.shared_chars, -max(p.share_a, p.share_b), p.a.doc, p.b.doc))
    return PairsResult(pair_docs, tuple(pairs), max_docs, len(stock), len(reprints))


def candidate_pairs(keys: IntArray, owner: IntArray) -> IntArray:
    """Distinct (g, h) sentence pairs, g < h, of different documents sharing any band key.

    ``keys`` is (n_sentences, bands) as `lsh.band_keys` returns; ``owner`` the document of
    each sentence. Returns an (m, 2) int64 array sorted by g, then h.
    """
    n = keys.shape[0]
    found: list[IntArray] = []
    for band in range(keys.shape[1]):
        column = keys[:, band]
        order = stable_argsort(column)
        sorted_keys = column[order]
        starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
        sizes = np.diff(np.concatenate((starts, [n])))
        for s, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):
            members = np.sort(order[s : s + size])
            gi, hi = np.triu_indices(size, k=1)
            g, h = members[gi], members[hi]
            other = owner[g] != owner[h]
            if other.any():
                found.append(g[other] * n + h[other])
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack((codes // n, codes % n), axis=1)


def _stock_mask(text: str, phrases: list[str]) -> BoolArray:
    mask = np.zeros(len(text), dtype=bool)
    for phrase in phrases:
        pos = text.find(phrase)
        while pos >= 0:
            mask[pos : pos + len(phrase)] = True
            pos = text.find(phrase, pos + 1)
    return mask


def _counted(doc: _Doc, spans: list[tuple[int, int]]) -> int:
    """Normalized characters inside ``spans`` that count: not breaks, not stock phrases."""
    mask = np.zeros(doc.norm.codes.size, dtype=bool)
    for lo, hi in spans:
        mask[lo:hi] = True
    return int(np.count_nonzero(mask & (doc.norm.codes != 10) & ~doc.stock))


def _passages(doc_a: _Doc, doc_b: _Doc, regs: list[_Region], stock_a: set[int]) -> tuple[SharedPassage, ...]:
    """Runs of consecutive shared sentences of a (stock sentences between do not break a run)."""
    by_sentence: dict[int, list[_Region]] = defaultdict(list)
    for r in regs:
        by_sentence[r[0]].append(r)
    runs: list[list[int]] = []
    for ia in sorted(by_sentence):
        if runs and all(k in stock_a for k in range(runs[-1][-1] + 1, ia)):
            runs[-1].append(ia)
        else:
            runs.append([ia])
    out: list[SharedPassage] = []
    a_base, b_base = doc_a.record.start, doc_b.record.start
    for run in runs:
        rs = [r for ia in run for r in by_sentence[ia]]
        a_start, a_end = doc_a.norm.original_span(min(r[1] for r in rs), max(r[2] for r in rs))
        b_start, b_end = doc_b.norm.original_span(min(r[4] for r in rs), max(r[5] for r in rs))
        out.append(SharedPassage(
            a_start=a_base + a_start, a_end=a_base + a_end, b_start=b_base + b_start, b_end=b_base + b_end,
            a_text=doc_a.record.text[a_start:a_end], b_text=doc_b.record.text[b_start:b_end],
        ))
    return tuple(out)
