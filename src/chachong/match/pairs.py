"""Who shares text with whom: every pair of indexed documents, ranked by shared text.

Each indexed sentence is compared with the sentences of *other* documents that the LSH
finds (same band keys as the index), verified and aligned with `align.align`, and the
aligned characters are added up per document pair. Stock phrasing is not counted:

* a sentence found in more than ``max_docs`` works (its own included; reprints of one
  article are one work, `library.works`) is boilerplate and ignored entirely, like MOSS's
  ``-m``; so is one in an LSH bucket shared by many more works than that
  (`BUCKET_DOCS_FACTOR`), without verifying the bucket's pairs: the work stays that of the
  pairs formed (20,000 documents sharing a sentence pair nothing);
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

from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model import BoolArray, DocumentRecord, IntArray
from ..phrases import default_min_docs, phrase_table
from ..sketch.keys import sentence_keys
from ..sketch.lsh import LshParams
from ..store import Store
from ..text.normalize import Normalized, normalize
from ..text.sentences import Sentences
from .align import align

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


Progress = Callable[[int, int, str], None]  # (done, total, what), as the indexer reports
# The bound on work. An LSH bucket (sentences sharing a band key) holding sentences of more
# than BUCKET_DOCS_FACTOR × max_docs works is stock phrasing without verifying its pairs,
# which would cost its size squared (20,000 documents sharing a sentence: 2×10^8 pairs). Not
# 1×: with 3-row bands a bucket also gathers sentences that share a few shingles but do not
# align, and on the bundled corpus capping at 1-4× set aside sentences that verification
# does not (the pairs stay the same from 2×, every count from 6×). A bucket of more than
# BUCKET_SENTENCES_FACTOR times that many sentences is one sentence repeated within a few
# documents or works (reprints), no evidence of copying between two works: capped too.
BUCKET_DOCS_FACTOR = 8
BUCKET_SENTENCES_FACTOR = 4
VERIFY_CHUNK = 20_000  # candidate pairs between progress reports


@dataclass(frozen=True, slots=True)
class Candidates:
    """Sentence pairs to verify, and the sentences already known to be stock phrasing."""

    pairs: IntArray  # (m, 2): distinct (g, h), g < h, of different documents; sorted
    capped: BoolArray  # per sentence: in a bucket shared by too many works (or sentences)


def find_pairs(
    store: Store, *, max_docs: int | None = None, on_progress: Progress | None = None,
) -> PairsResult:
    """All pairs of indexed documents that share text beyond stock phrasing, ranked.

    Bounded work: LSH buckets shared by many more than ``max_docs`` works are stock
    phrasing and never paired (see `bucket_pairs`), and a candidate pair is verified only
    while it can still matter (not when both of its sentences are already known to be stock).
    ``on_progress(done, total, what)`` is called as documents are read and pairs verified.
    """
    params = store.params
    records = store.documents()
    works = [r.work for r in records]
    if max_docs is None:
        max_docs = default_min_docs(len(set(works))) - 1
    if max_docs < 1:
        raise ValueError("max_docs must be at least 1")
    # A phrase in more than max_docs works is stock phrasing, the phrase table's min_docs.
    table = phrase_table(store, min_docs=max_docs + 1)
    phrases = [p.normalized for p in table.phrases if p.docs > max_docs]

    docs, key_parts, owner_parts = _read(records, params, phrases, on_progress)
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

    sentence_work = np.asarray(works, dtype=np.int64)[owner]
    found = bucket_pairs(keys, owner, max_docs=max_docs, works=sentence_work)
    del keys
    # Sentence pairs of two documents of one work (reprints) are not compared: the document
    # pairs they join are counted, not listed.
    g_all, h_all = found.pairs[:, 0], found.pairs[:, 1]
    same_work = sentence_work[g_all] == sentence_work[h_all]
    reprints = int(np.unique(owner[g_all[same_work]] * len(docs) + owner[h_all[same_work]]).size)
    found = Candidates(found.pairs[~same_work], found.capped)
    kept, stock = _verify(found, docs, sentence_work, max_docs=max_docs, on_progress=on_progress)
    del found, g_all, h_all, same_work

    # Per document pair: normalized regions on both sides, by sentence.
    owner_of = owner.tolist()
    first_of = first.tolist()
    regions: dict[tuple[int, int], list[_Region]] = defaultdict(list)
    for k in range(0, len(kept), 6):
        g, h, a_lo, a_hi, b_lo, b_hi = kept[k : k + 6]
        if g in stock or h in stock:
            continue
        da, db = owner_of[g], owner_of[h]
        regions[(da, db)].append((g - first_of[da], a_lo, a_hi, h - first_of[db], b_lo, b_hi))
    del kept

    stock_of: dict[int, set[int]] = defaultdict(set)  # document -> its stock sentences (local)
    for g in stock:
        d = owner_of[g]
        stock_of[d].add(g - first_of[d])
    # Per document, how many characters that count (not breaks, not stock phrases) precede
    # each offset: a span's count is a difference.
    countable = [np.concatenate(([0], np.cumsum((d.norm.codes != 10) & ~d.stock))) for d in docs]
    pairs: list[DocPair] = []
    for (da, db), regs in regions.items():
        a_chars = _counted(countable[da], [(r[1], r[2]) for r in regs])
        b_chars = _counted(countable[db], [(r[4], r[5]) for r in regs])
        if min(a_chars, b_chars) < MIN_SHARED_CHARS:
            continue
        pairs.append(DocPair(pair_docs[da], pair_docs[db], a_chars, b_chars,
                             _passages(docs[da], docs[db], regs, stock_of[da])))
    pairs.sort(key=lambda p: (-p.shared_chars, -max(p.share_a, p.share_b), p.a.doc, p.b.doc))
    return PairsResult(pair_docs, tuple(pairs), max_docs, len(stock), reprints)


def _read(
    records: list[DocumentRecord], params: LshParams, phrases: list[str], on_progress: Progress | None,
) -> tuple[list[_Doc], list[IntArray], list[IntArray]]:
    """Each document normalized, its sentences and their band keys (with the document of each)."""
    docs: list[_Doc] = []
    key_parts: list[IntArray] = []
    owner_parts: list[IntArray] = []
    for i, rec in enumerate(records):
        if on_progress and i % 100 == 0:
            on_progress(i, len(records), "reading documents")
        norm = normalize(rec.text)
        sents, sentence_band_keys = sentence_keys(norm, params)
        text = norm.text
        docs.append(_Doc(rec, norm, text, sents, _stock_mask(text, phrases)))
        if len(sents):
            key_parts.append(sentence_band_keys)
            owner_parts.append(np.full(len(sents), i, dtype=np.int64))
    return docs, key_parts, owner_parts


def _verify(
    found: Candidates, docs: list[_Doc], sentence_work: IntArray, *, max_docs: int,
    on_progress: Progress | None,
) -> tuple[array[int], set[int]]:
    """Align the candidate pairs: g, h, a_start, a_end, b_start, b_end (normalized offsets in
    their documents) of each pair that aligns, flat, and the set of stock sentences.

    A sentence aligned with sentences of max_docs other works (or capped) is stock. A
    pair of two sentences already known to be stock is skipped: neither side can count any
    more and both are decided, so the result is that of aligning every pair.
    """
    work_of = sentence_work.tolist()
    sent_text: list[str] = []  # every sentence's normalized text, by global number
    sent_start: list[int] = []  # and where it starts in its document's normalized text
    for d in docs:
        starts, ends = d.sents.starts.tolist(), d.sents.ends.tolist()
        sent_start.extend(starts)
        sent_text.extend(d.text[a:b] for a, b in zip(starts, ends))
    partners: dict[int, set[int]] = defaultdict(set)
    stock = set(np.flatnonzero(found.capped).tolist())
    kept = array("q")
    total = len(found.pairs)
    for lo in range(0, total, VERIFY_CHUNK):
        if on_progress:
            on_progress(lo, total, "comparing sentences")
        for g, h in found.pairs[lo : lo + VERIFY_CHUNK].tolist():
            if g in stock and h in stock:
                continue
            al = align(sent_text[g], sent_text[h])
            if al is None:
                continue
            a0, b0 = sent_start[g], sent_start[h]
            kept.extend((g, h, a0 + al.a_start, a0 + al.a_end, b0 + al.b_start, b0 + al.b_end))
            for x, w in ((g, work_of[h]), (h, work_of[g])):
                if x not in stock:
                    partners[x].add(w)
                    if len(partners[x]) + 1 > max_docs:
                        stock.add(x)
    if on_progress:
        on_progress(total, total, "comparing sentences")
    return kept, stock


def candidate_pairs(keys: IntArray, owner: IntArray) -> IntArray:
    """Distinct (g, h) sentence pairs, g < h, of different documents sharing any band key
    (no bucket capped). ``keys`` is (n_sentences, bands) as `lsh.band_keys` returns;
    ``owner`` the document of each sentence. Returns an (m, 2) int64 array sorted by g, then h.
    """
    return bucket_pairs(keys, owner, max_docs=None).pairs


def bucket_pairs(
    keys: IntArray, owner: IntArray, *, max_docs: int | None, works: IntArray | None = None,
) -> Candidates:
    """The candidate pairs of `candidate_pairs`, with buckets that are stock phrasing capped.

    A bucket (sentences sharing a band key) that holds sentences of more than
    `BUCKET_DOCS_FACTOR` × ``max_docs`` works (``works``: the work of each sentence; default:
    its document) or more than `BUCKET_SENTENCES_FACTOR` times that many sentences forms no
    pairs; its sentences are marked ``capped``. Pairs of the other buckets (sentences of
    different documents, of one work or not) are generated in numpy (no loop per bucket), so
    the work and memory are those of the pairs formed.
    """
    counted = owner if works is None else works
    n = keys.shape[0]
    capped = np.zeros(n, dtype=bool)
    found: list[IntArray] = []
    for band in range(keys.shape[1]):
        column = keys[:, band]
        order = np.lexsort((np.arange(n), column))  # by key, then sentence id
        sorted_keys = column[order]
        new_group = np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1]))
        group = np.cumsum(new_group) - 1
        starts = np.flatnonzero(new_group)
        sizes = np.diff(np.append(starts, n))
        if max_docs is not None:
            # Distinct works per bucket: (bucket, work) changes in that order.
            by_doc = np.lexsort((counted[order], group))
            g_sorted, o_sorted = group[by_doc], counted[order][by_doc]
            changes = (g_sorted[1:] != g_sorted[:-1]) | (o_sorted[1:] != o_sorted[:-1])
            distinct = np.concatenate(([True], changes))
            doc_counts = np.bincount(g_sorted[distinct], minlength=starts.size)
            max_bucket_docs = BUCKET_DOCS_FACTOR * max_docs
            over = (doc_counts > max_bucket_docs) | (sizes > BUCKET_SENTENCES_FACTOR * max_bucket_docs)
            capped[order[over[group]]] = True
            sizes = np.where(over, 1, sizes)  # an over bucket pairs nothing
        # Every member pairs with the members after it in its bucket.
        end_of = (starts + sizes)[group]  # exclusive end of each member's bucket (capped: itself)
        after = np.maximum(end_of - np.arange(n) - 1, 0)
        total = int(after.sum())
        if total == 0:
            continue
        left = np.repeat(np.arange(n), after)
        offset = np.arange(total) - np.repeat(np.cumsum(after) - after, after)
        right = left + 1 + offset
        g, h = order[left], order[right]
        other = owner[g] != owner[h]
        found.append(g[other] * n + h[other])
    if not found:
        return Candidates(np.zeros((0, 2), dtype=np.int64), capped)
    codes = np.unique(np.concatenate(found))
    return Candidates(np.stack((codes // n, codes % n), axis=1), capped)


def _stock_mask(text: str, phrases: list[str]) -> BoolArray:
    mask = np.zeros(len(text), dtype=bool)
    for phrase in phrases:
        pos = text.find(phrase)
        while pos >= 0:
            mask[pos : pos + len(phrase)] = True
            pos = text.find(phrase, pos + 1)
    return mask


def _counted(countable: IntArray, spans: list[tuple[int, int]]) -> int:
    """Characters that count inside the union of ``spans`` (``countable``: running count)."""
    total, reach = 0, 0
    for lo, hi in sorted(spans):
        start = max(lo, reach)
        if hi > start:
            total += int(countable[hi] - countable[start])
            reach = hi
    return total


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
