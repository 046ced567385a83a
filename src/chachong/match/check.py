"""Checking a draft against an index: candidates → alignment → passages → ratios."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import IndexFileError
from ..library.scope import CandidateScope, resolve_scope
from ..model import (
    MATCH_KINDS,
    OWN,
    QUOTATION,
    WINDOW_FLAG,
    BoilerplatePassage,
    BoolArray,
    CheckResult,
    CopyPassage,
    DocumentRecord,
    FileRecord,
    IndexInfo,
    Int32Array,
    IntArray,
    LibraryInfo,
    MatchKind,
    Passage,
    Postings,
    SourceRef,
    SourceShare,
    Swap,
    UInt32Array,
)
from ..phrases import PhraseTable, phrase_table
from ..phrases.cache import first_of_works, index_generation
from ..sketch.common import common_kgrams
from ..sketch.keys import sketch_sentences
from ..sketch.shingles import sentence_shingles
from ..sketch.thesaurus import word_classes
from ..sketch.winnow import FRAGMENT_SHINGLE_CHARS
from ..store import IndexView, SentenceOwners, Store
from ..store.postings import FRAGMENT_LAYER, PARAPHRASE_LAYER, sentence_of
from ..text.normalize import Normalized, normalize, normalize_many
from ..text.sentences import MIN_SENTENCE_CHARS, Sentences
from .align import FRAGMENT_MIN_CHARS, Lexicon, align, fragments, paraphrase


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """Tuning knobs of a check; the defaults are what the evaluation was run with."""

    candidates_per_sentence: int = 12  # most-similar indexed sentences verified per draft sentence
    fragment_candidates: int = 8  # indexed sentences sharing the most fingerprints, per draft sentence
    paraphrase_candidates: int = 8  # indexed sentences (or windows) sharing the most paraphrase keys
    min_passage_chars: int = 12  # shorter matches (not counting stock phrases) are not reported
    max_gap_chars: int = 24  # unmatched draft text a passage may bridge between copied sentences
    common_docs: int | None = None  # "common" = in this many documents; None: derived from the corpus


@dataclass(slots=True)
class _Match:
    q: int  # draft sentence number
    doc: DocumentRecord
    local: int  # sentence number inside the document
    d_start: int  # normalized draft coordinates of the copied region
    d_end: int
    s_start: int  # source coordinates relative to the document
    s_end: int
    matched: int
    similarity: float
    how: MatchKind  # "verbatim": the region equals its source after normalization; "near": edited;
    # "paraphrase": aligned as a rewrite (synonyms, reordered clauses)
    swaps: tuple[tuple[int, int, int, int], ...] = ()  # paraphrase: (draft start, end, source start, end)


@dataclass(slots=True)
class _Run:
    doc: DocumentRecord
    qs: list[int] = field(default_factory=list)
    matched: float = 0.0  # matched characters that are not stock phrasing


@dataclass(slots=True)
class _Boilerplate:
    """Per normalized draft character: in how many documents its stock phrase occurs (0: none)."""

    docs: Int32Array  # one per normalized character

    def share(self, start: int, end: int) -> float:
        return float(np.count_nonzero(self.docs[start:end])) / max(end - start, 1)


def check_text(
    store: Store, text: str, *, file: str = "<draft>", options: CheckOptions = CheckOptions(),
    exclude: Sequence[str] = (), sha256: str | None = None, draft_path: str | None = None,
) -> CheckResult:
    """Check one draft (already decoded) against ``store``, reading one state of the index
    (an `index` run committing meanwhile is seen entirely or not at all).

    ``exclude``: files, documents or collections not to match (`library.scope`); ``sha256``,
    ``draft_path`` (its path as the index names files): the draft is not matched against
    itself or an earlier version of itself, should it be indexed.
    """
    with store.snapshot() as view:
        return _check_text(view, text, file=file, options=options, exclude=exclude, sha256=sha256,
                           draft_path=draft_path)


def _check_text(view: IndexView, text: str, *, file: str, options: CheckOptions, exclude: Sequence[str] = (),
                sha256: str | None = None, draft_path: str | None = None) -> CheckResult:
    norm = normalize(text)
    content = norm.codes != 10
    total = int(content.sum())
    sketch = sketch_sentences(norm, view.params)
    sents, keys = sketch.sents, sketch.band_keys
    files = view.files()  # read once: the phrase table's generation and the set-aside ads
    info = view.library_info()
    if not info.documents:
        raise IndexFileError(
            f"the index holds no documents; add some with: chachong index PATH --index {view.location}",
            path=view.location,
        )
    scope = resolve_scope(view, files, exclude=exclude, sha256=sha256, draft_path=draft_path)
    table = phrase_table(view, min_docs=options.common_docs, files=files, info=info)
    boiler = _stock_phrases(norm, table, files)
    matches: list[_Match] = []
    if len(sents):
        # One aligner for every step: each source sentence is normalized once per check.
        aligner = _Aligner(norm, sents, boiler)
        # Every layer's candidates pass through this one filter (exclusions, skipped sources,
        # one document per work), so the scope holds for every kind of match.
        in_scope = CandidateScope(view, scope.barred)
        q, sid = _candidates(in_scope, *view.candidates(keys), options.candidates_per_sentence)
        matches = _verify(aligner, q, sid, view.documents_for_sentences(sid))
        matches = _stock_sentences(matches, boiler, table.min_docs)
        found = _fragment_matches(view, in_scope, norm, sents, sketch.fragments, matches, boiler, aligner, options)
        if found:
            common = _common_wording(view, files, info, table.min_docs)
            found = _distinctive(found, _common_mask(norm, sents, common))
        matches = _combine(matches, _stock_sentences(found, boiler, table.min_docs))
        rewritten = _paraphrase_matches(
            view, in_scope, norm, sents, sketch.paraphrases, matches, boiler, aligner, options
        )
        matches = _combine(matches, _stock_sentences(rewritten, boiler, table.min_docs))
        matches = _extend_within(sents, _extend(sents, matches, aligner, options.max_gap_chars), aligner)
        matches = _widen(matches, aligner)
    copies, work_collections = _with_works(view, _passages(text, norm, sents, matches, boiler, options))
    passages = tuple(sorted(copies + _boilerplate_passages(text, norm, boiler, copies),
                            key=lambda p: (p.start, p.end, p.kind)))
    result = _result(file, text, norm, content, total, passages, boiler, work_collections)
    return replace(
        result, skipped_sources=scope.skipped, excluded=scope.excluded,
        index=IndexInfo(location=view.location, documents=info.documents, works=info.works, updated=info.updated,
                        common_docs=table.min_docs),
        thresholds={"min_passage_chars": options.min_passage_chars, "max_gap_chars": options.max_gap_chars,
                    "candidates_per_sentence": options.candidates_per_sentence},
    )


def _with_works(
    view: IndexView, copies: Sequence[CopyPassage]
) -> tuple[tuple[CopyPassage, ...], dict[str, frozenset[str]]]:
    """Each copy's source with its reprints (the other documents of its work), and per source
    document the collections its work spans (for the ratios without quotation or own text)."""
    sources = view.catalog(files={p.source.file for p in copies})
    work_of = {e.name: e.work for e in sources}
    members = view.catalog(works=set(work_of.values()))
    size: Counter[int] = Counter(e.work for e in members)
    spans: dict[int, set[str]] = {}
    for e in members:
        spans.setdefault(e.work, set()).add(e.collection)
    out = tuple(
        replace(p, source=replace(p.source, reprints=size[work_of[p.source.doc]] - 1)) if p.source.doc in work_of else p
        for p in copies
    )
    return out, {doc: frozenset(spans[w]) for doc, w in work_of.items()}


def _stock_phrases(norm: Normalized, table: PhraseTable, files: Sequence[FileRecord]) -> _Boilerplate:
    """Mark every occurrence of a common phrase (and of a distributor line) in the draft."""
    docs = np.zeros(len(norm), dtype=np.int32)
    draft = norm.text
    marks = [(p.normalized, p.docs) for p in table.phrases]
    aside: dict[str, int] = {}
    # The same ads are set aside in most files (1,700 files of a 90M library): normalize
    # each distinct line once, not once per file.
    files_per_line = Counter(line for f in files for line in f.set_aside)
    for line, n_files in files_per_line.items():
        key = normalize(line).text
        if len(key) >= MIN_SENTENCE_CHARS:
            aside[key] = aside.get(key, 0) + n_files  # files it was set aside in
    marks.extend(aside.items())
    for phrase, count in marks:
        pos = draft.find(phrase)
        while pos >= 0:
            seg = docs[pos : pos + len(phrase)]
            np.maximum(seg, count, out=seg)
            pos = draft.find(phrase, pos + 1)
    return _Boilerplate(docs)


def _stock_sentences(matches: list[_Match], boiler: _Boilerplate, common: int) -> list[_Match]:
    """A draft sentence that matches many documents is itself stock phrasing, not a copy."""
    per_q: dict[int, list[_Match]] = {}
    for m in matches:
        per_q.setdefault(m.q, []).append(m)
    kept: list[_Match] = []
    for ms in per_q.values():
        if len({m.doc.id for m in ms}) >= common:
            for m in ms:
                seg = boiler.docs[m.d_start : m.d_end]
                np.maximum(seg, len(ms), out=seg)
            continue
        kept.extend(ms)
    return kept


def _candidates(scope: CandidateScope, q: IntArray, ids: IntArray, hits: IntArray, k: int) -> tuple[IntArray, IntArray]:
    """What a layer verifies of its candidates (draft sentence ``q``, posted ``ids`` sharing
    ``hits`` keys): those in the check's scope (`library.scope.CandidateScope`), the ``k``
    sharing the most keys per draft sentence. Every layer's candidates pass through here."""
    return _top_candidates(*scope.filter(q, ids, hits), k)


def _top_candidates(q: IntArray, sid: IntArray, hits: IntArray, k: int) -> tuple[IntArray, IntArray]:
    if q.size == 0:
        return q, sid
    order = np.lexsort((sid, -hits, q))  # by draft sentence, most shared bands first
    q, sid = q[order], sid[order]
    first = np.concatenate(([True], q[1:] != q[:-1]))
    group_start = np.maximum.accumulate(np.where(first, np.arange(q.size), 0))
    keep = np.arange(q.size) - group_start < k
    return q[keep], sid[keep]


class _Aligner:
    """Aligns draft sentences with document sentences, normalizing each source sentence once."""

    def __init__(self, norm: Normalized, sents: Sentences, boiler: _Boilerplate) -> None:
        self.draft = norm.text
        self.sents = sents
        self.boiler = boiler  # stock phrasing is never a rewrite's evidence (read when aligning: it grows)
        self._sources: dict[tuple[int, int], tuple[str, Normalized, int]] = {}
        self._lexicons: dict[tuple[int, int, bool], Lexicon] = {}  # (doc id or -1 for the draft, sentence, window)

    def prefetch(self, sources: list[tuple[DocumentRecord, int]]) -> None:
        """Normalize the sentences about to be matched in one batch (one numpy pass, not
        one per sentence: for hundreds of short sentences the per-call overhead dominates)."""
        distinct = {(doc.id, local): (doc, local) for doc, local in sources}
        todo = [v for k, v in distinct.items() if k not in self._sources]
        spans = [(int(doc.spans[local, 0]), int(doc.spans[local, 1])) for doc, local in todo]
        normed = normalize_many([doc.text[lo:hi] for (doc, _), (lo, hi) in zip(todo, spans)])
        for (doc, local), (lo, _), src_norm in zip(todo, spans, normed):
            self._sources[(doc.id, local)] = (src_norm.text, src_norm, lo)

    def match(self, qi: int, doc: DocumentRecord, local: int, *, relaxed: bool = False) -> _Match | None:
        if (doc.id, local) not in self._sources:
            self.prefetch([(doc, local)])
        b, src_norm, lo = self._sources[(doc.id, local)]
        a_start = int(self.sents.starts[qi])
        al = align(self.draft[a_start : int(self.sents.ends[qi])], b, relaxed=relaxed)
        if al is None:
            return None
        exact = self.draft[a_start + al.a_start : a_start + al.a_end] == b[al.b_start : al.b_end]
        return _Match(
            q=qi, doc=doc, local=local,
            d_start=a_start + al.a_start, d_end=a_start + al.a_end,
            s_start=lo + int(src_norm.starts[al.b_start]), s_end=lo + int(src_norm.ends[al.b_end - 1]),
            matched=al.matched, similarity=al.similarity, how="verbatim" if exact else "near",
        )

    def _source_lexicon(self, doc: DocumentRecord, local: int, window: bool) -> tuple[Lexicon, IntArray, IntArray]:
        """A source sentence (with ``window``, it and the next one) for paraphrase alignment,
        with each normalized character's span relative to the document."""
        parts = [(doc, local)] + ([(doc, local + 1)] if window else [])
        missing = [x for x in parts if (x[0].id, x[1]) not in self._sources]
        if missing:
            self.prefetch(missing)
        pieces = [self._sources[(d.id, loc)] for d, loc in parts]
        starts = np.concatenate([lo + src.starts for _, src, lo in pieces])
        ends = np.concatenate([lo + src.ends for _, src, lo in pieces])
        key = (doc.id, local, window)
        if key not in self._lexicons:
            self._lexicons[key] = Lexicon.of("".join(text for text, _, _ in pieces), word_classes())
        return self._lexicons[key], starts, ends

    def paraphrase_match(
        self, qi: int, doc: DocumentRecord, local: int, *, window: bool = False, relaxed: bool = False
    ) -> _Match | None:
        """Draft sentence ``qi`` as a rewrite of a source sentence (or of a window of two)."""
        if window and local + 1 >= doc.sentence_count:
            return None
        a_start = int(self.sents.starts[qi])
        if (-1, qi, False) not in self._lexicons:
            self._lexicons[(-1, qi, False)] = Lexicon.of(self.draft[a_start : int(self.sents.ends[qi])], word_classes())
        source, starts, ends = self._source_lexicon(doc, local, window)
        stock = (self.boiler.docs[a_start : int(self.sents.ends[qi])] > 0).tolist()
        found = paraphrase(self._lexicons[(-1, qi, False)], source, relaxed=relaxed, stock_a=stock)
        if found is None:
            return None
        # A rewrite is a paraphrase by its swapped synonyms; without one it is an edited copy
        # (clauses moved, words changed), or, when nothing changed, the same text.
        d_start, d_end = a_start + found.a_start, a_start + found.a_end
        how: MatchKind = "paraphrase" if found.swaps else (
            "verbatim" if self.draft[d_start:d_end] == source.text[found.b_start : found.b_end] else "near"
        )
        return _Match(
            q=qi, doc=doc, local=local, d_start=d_start, d_end=d_end,
            s_start=int(starts[found.b_start]), s_end=int(ends[found.b_end - 1]), matched=found.matched,
            similarity=found.score, how=how,
            swaps=tuple((a_start + w.a_start, a_start + w.a_end, int(starts[w.b_start]), int(ends[w.b_end - 1]))
                        for w in found.swaps),
        )

    def fragment_match(
        self, qi: int, doc: DocumentRecord, local: int, *, min_chars: int = FRAGMENT_MIN_CHARS
    ) -> _Match | None:
        """The clauses draft sentence ``qi`` shares with a source sentence, as one match
        (from the first to the last shared clause), or None."""
        if (doc.id, local) not in self._sources:
            self.prefetch([(doc, local)])
        b, src_norm, lo = self._sources[(doc.id, local)]
        a_start = int(self.sents.starts[qi])
        found = fragments(self.draft[a_start : int(self.sents.ends[qi])], b, min_chars=min_chars)
        if not found:
            return None
        matched = sum(f.matched for f in found)
        d_start, d_end = a_start + found[0].a_start, a_start + found[-1].a_end
        b_start, b_end = min(f.b_start for f in found), max(f.b_end for f in found)
        return _Match(
            q=qi, doc=doc, local=local, d_start=d_start, d_end=d_end,
            s_start=lo + int(src_norm.starts[b_start]), s_end=lo + int(src_norm.ends[b_end - 1]),
            matched=matched, similarity=2 * matched / (d_end - d_start + b_end - b_start),
            how="verbatim" if len(found) == 1 and found[0].exact else "near",
        )


def _keep_best(best: dict[tuple[int, int], _Match], m: _Match | None) -> None:
    if m is None:
        return
    prev = best.get((m.q, m.doc.id))
    if prev is None or (m.matched, m.similarity) > (prev.matched, prev.similarity):
        best[(m.q, m.doc.id)] = m


def _verify(aligner: _Aligner, q: IntArray, sid: IntArray, docs: SentenceOwners) -> list[_Match]:
    aligner.prefetch([found for s in sid.tolist() if (found := docs.get(s)) is not None])
    aligned: dict[tuple[int, int], list[_Match]] = {}
    for qi, s in zip(q.tolist(), sid.tolist()):
        found = docs.get(s)
        if found is not None and (m := aligner.match(qi, found[0], found[1])) is not None:
            aligned.setdefault((m.q, m.doc.id), []).append(m)
    # A template sentence can occur several times in one document: among near-ties, take
    # the occurrence nearest to where the neighbouring draft sentences were found.
    near_ties: dict[tuple[int, int], list[_Match]] = {}
    for key, ms in aligned.items():
        top_matched, top_similarity = max((m.matched, m.similarity) for m in ms)
        near_ties[key] = [
            m for m in ms if m.matched >= 0.9 * top_matched and m.similarity >= top_similarity - 0.05
        ]
    # Unambiguous matches per document: (draft sentence, source sentence).
    single: dict[int, list[tuple[int, int]]] = {}
    for (qq, dd), v in near_ties.items():
        if len(v) == 1:
            single.setdefault(dd, []).append((qq, v[0].local))
    best: dict[tuple[int, int], _Match] = {}
    for (qi, doc_id), ms in near_ties.items():
        anchors = sorted(
            local - (qq - qi)
            for qq, local in single.get(doc_id, ())
            if qq != qi and abs(qq - qi) <= TIE_ANCHOR_REACH
        )
        if len(ms) > 1 and anchors:
            target = anchors[len(anchors) // 2]
            best[(qi, doc_id)] = min(ms, key=lambda m: (abs(m.local - target), -m.matched, m.local))
        else:
            best[(qi, doc_id)] = max(ms, key=lambda m: (m.matched, m.similarity, -m.local))
    return [best[k] for k in sorted(best)]


def _fragment_matches(
    view: IndexView, scope: CandidateScope, norm: Normalized, sents: Sentences, fingerprints: Postings,
    matches: list[_Match], boiler: _Boilerplate, aligner: _Aligner, options: CheckOptions,
) -> list[_Match]:
    """Clauses copied out of longer sentences (the fragment layer): draft sentences sharing a
    winnowed fingerprint with an indexed sentence, verified by `align.fragments`.

    Only fingerprints that can add something are looked up: a shingle inside a region already
    matched, or inside stock phrasing, is skipped (most of a copied paragraph is found by the
    sentence layer; stock phrasing never counts).
    """
    if len(fingerprints) == 0:
        return []
    k = FRAGMENT_SHINGLE_CHARS
    hashes, offsets = sentence_shingles(norm.codes, sents, k=k)
    owner = np.repeat(np.arange(len(sents), dtype=np.int64), np.diff(offsets))
    position = sents.starts[owner] + (np.arange(hashes.size, dtype=np.int64) - offsets[owner])
    explained = boiler.docs > 0
    for m in matches:
        explained[m.d_start : m.d_end] = True
    # A shingle is explained when all its k characters are: k-wide window sums of the mask.
    cumulative = np.concatenate(([0], np.cumsum(explained, dtype=np.int64)))
    fresh = cumulative[position + k] - cumulative[position] < k
    packed = (owner << np.int64(32)) | hashes.astype(np.int64)
    wanted = np.isin(packed, (fingerprints.sentences() << np.int64(32)) | fingerprints.keys.astype(np.int64))
    pairs = np.unique(packed[wanted & fresh])  # (draft sentence, fingerprint), each once
    if pairs.size == 0:
        return []
    pair_q = pairs >> np.int64(32)
    pair_value = (pairs & np.int64(0xFFFFFFFF)).astype(np.uint32)
    values, value_of_pair = np.unique(pair_value, return_inverse=True)
    probe, ids = view.postings(FRAGMENT_LAYER, values)
    if probe.size == 0:
        return []
    # Join: every draft sentence holding a fingerprint with every sentence posted under it.
    by_value = np.argsort(value_of_pair, kind="stable")
    lo = np.searchsorted(value_of_pair[by_value], probe, side="left")
    hi = np.searchsorted(value_of_pair[by_value], probe, side="right")
    width = hi - lo
    rows = np.repeat(np.arange(probe.size), width)
    rank = np.arange(rows.size) - np.repeat(np.cumsum(width) - width, width)
    q = pair_q[by_value[lo[rows] + rank]]
    sid = (ids[rows].astype(np.int64)) & ~WINDOW_FLAG
    combined = (q << np.int64(32)) | sid
    uniq, hits = np.unique(combined, return_counts=True)
    q, sid = uniq >> np.int64(32), uniq & np.int64(0xFFFFFFFF)
    q, sid = _candidates(scope, q, sid, hits.astype(np.int64), options.fragment_candidates)
    owners = view.documents_for_sentences(sid)
    todo = [(qi, found) for qi, s in zip(q.tolist(), sid.tolist()) if (found := owners.get(s)) is not None]
    aligner.prefetch([found for _, found in todo])
    return [fm for qi, (doc, local) in todo if (fm := aligner.fragment_match(qi, doc, local)) is not None]


FRAGMENT_OWN_CHARS = 8  # characters of a clause outside common 5-grams (tuned on the evaluation's seed 1)


def _common_wording(view: IndexView, files: Sequence[FileRecord], info: LibraryInfo, common_docs: int) -> UInt32Array:
    """The index's common 5-grams (`sketch.common`): in at least half as many works as stock
    phrasing (and at least 3), cached in the index under its generation. Counted over one
    document per work, as the phrase table is: reprints never make an article's wording common."""
    min_docs = max(3, common_docs // 2)
    name = f"common-5grams:{min_docs}"
    generation = index_generation(view, files=files, info=info)
    cached = view.get_derived(name, generation)
    if cached is not None:
        return np.frombuffer(cached, dtype="<u4")
    table = common_kgrams([d.text for d in first_of_works(view.documents())], min_docs=min_docs)
    if index_generation(view) == generation:  # only a table known to be of this state is cached
        view.put_derived(name, generation, table.astype("<u4").tobytes())
    return table


def _common_mask(norm: Normalized, sents: Sentences, common: UInt32Array) -> BoolArray:
    """Per normalized draft character: inside a common 5-gram."""
    k = FRAGMENT_SHINGLE_CHARS
    hashes, offsets = sentence_shingles(norm.codes, sents, k=k)
    owner = np.repeat(np.arange(len(sents), dtype=np.int64), np.diff(offsets))
    position = sents.starts[owner] + (np.arange(hashes.size, dtype=np.int64) - offsets[owner])
    starts = position[np.isin(hashes, common)]
    marks = np.zeros(len(norm) + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, starts + k, -1)
    return np.cumsum(marks[:-1]) > 0


PARAPHRASE_PROBE_MAX_EXPLAINED = 0.5  # draft sentences mostly matched or stock are not probed


def _paraphrase_matches(
    view: IndexView, scope: CandidateScope, norm: Normalized, sents: Sentences, keys: Postings, matches: list[_Match],
    boiler: _Boilerplate, aligner: _Aligner, options: CheckOptions,
) -> list[_Match]:
    """Rewritten sentences (the paraphrase layer): draft sentences sharing synonym-class band
    keys with an indexed sentence or window of two, verified by `align.paraphrase`. Only draft
    sentences not already explained (matched, or stock phrasing) are looked up."""
    explained = boiler.docs > 0
    for m in matches:
        explained[m.d_start : m.d_end] = True
    lengths = np.maximum(sents.ends - sents.starts, 1)
    cumulative = np.concatenate(([0], np.cumsum(explained, dtype=np.int64)))
    share = (cumulative[sents.ends] - cumulative[sents.starts]) / lengths
    probe_q = share < PARAPHRASE_PROBE_MAX_EXPLAINED
    own = ~keys.windows()  # the draft's sentences, not its windows
    sel = own & probe_q[np.minimum(keys.sentences(), len(sents) - 1)]
    q_of, key_of = keys.sentences()[sel], keys.keys[sel]
    if q_of.size == 0:
        return []
    values, value_of = np.unique(key_of, return_inverse=True)
    probe, ids = view.postings(PARAPHRASE_LAYER, values)
    if probe.size == 0:
        return []
    by_value = np.argsort(value_of, kind="stable")
    lo = np.searchsorted(value_of[by_value], probe, side="left")
    hi = np.searchsorted(value_of[by_value], probe, side="right")
    width = hi - lo
    rows = np.repeat(np.arange(probe.size), width)
    rank = np.arange(rows.size) - np.repeat(np.cumsum(width) - width, width)
    q = q_of[by_value[lo[rows] + rank]]
    unit = ids[rows].astype(np.int64)
    uniq, hits = np.unique((q << np.int64(32)) | unit, return_counts=True)
    q, unit = _candidates(scope, uniq >> np.int64(32), uniq & np.int64(0xFFFFFFFF), hits.astype(np.int64),
                          options.paraphrase_candidates)
    owners = view.documents_for_sentences(sentence_of(unit))
    aligner.prefetch([  # every sentence about to be aligned, in one batch (a window: two)
        (doc, local + step) for u in unit.tolist() if (owner := owners.get(u & ~WINDOW_FLAG)) is not None
        for doc, local in (owner,) for step in ((0, 1) if u & WINDOW_FLAG else (0,))
        if local + step < doc.sentence_count
    ])
    found: list[_Match] = []
    for qi, u in zip(q.tolist(), unit.tolist()):
        owner = owners.get(u & ~WINDOW_FLAG)
        if owner is not None:
            rewrite = aligner.paraphrase_match(qi, owner[0], owner[1], window=bool(u & WINDOW_FLAG))
            if rewrite is not None:
                found.append(rewrite)
    return found


def _distinctive(found: list[_Match], common: BoolArray) -> list[_Match]:
    """Fragment matches of clauses with FRAGMENT_OWN_CHARS characters outside common 5-grams:
    a clause is weaker evidence than a sentence, and the genre's formulas (提法) are built of
    pieces each shared by a few documents (坚持 + 以人民为中心 + 的发展思想), too few for
    stock phrasing."""
    return [m for m in found if np.count_nonzero(~common[m.d_start : m.d_end]) >= FRAGMENT_OWN_CHARS]


def _combine(matches: list[_Match], extra: list[_Match]) -> list[_Match]:
    """Sentence matches and fragment matches, one per (draft sentence, document).

    Two matches of one draft sentence with one document are joined when they cover different
    parts of it from nearby source sentences (two sentences merged into one, a clause from
    each); otherwise the one with more matched characters stays.
    """
    best = {(m.q, m.doc.id): m for m in matches}
    for m in sorted(extra, key=lambda x: (-x.matched, x.q, x.doc.id, x.local)):
        key = (m.q, m.doc.id)
        prev = best.get(key)
        if prev is None:
            best[key] = m
        elif (m.d_end <= prev.d_start or prev.d_end <= m.d_start) and abs(m.local - prev.local) <= SOURCE_REACH:
            best[key] = _joined(prev, m)
        elif m.matched > prev.matched:
            best[key] = m
    return [best[k] for k in sorted(best)]


def _joined(a: _Match, b: _Match) -> _Match:
    """One match of a draft sentence covering two disjoint matched parts of it."""
    first, second = sorted((a, b), key=lambda x: x.d_start)
    return _Match(
        q=a.q, doc=a.doc, local=min(a.local, b.local), d_start=first.d_start, d_end=second.d_end,
        s_start=min(a.s_start, b.s_start), s_end=max(a.s_end, b.s_end), matched=a.matched + b.matched,
        similarity=max(a.similarity, b.similarity), how=_weakest(a.how, b.how), swaps=first.swaps + second.swaps,
    )


def _weakest(*hows: MatchKind) -> MatchKind:
    """How a match joined from parts was made: as its least strict part."""
    return max(hows, key=MATCH_KINDS.index)


EXTENSION_REACH = 2  # source sentences on each side of a match that a neighbour may come from
TIE_ANCHOR_REACH = 3  # draft sentences on each side whose matches decide between repeated sources
SOURCE_REACH = 4  # source sentences a passage may jump between consecutive draft sentences


def _extend(sents: Sentences, matches: list[_Match], aligner: _Aligner, max_gap_chars: int) -> list[_Match]:
    """Extension (PAN's second step): a draft sentence beside one copied from a document is
    compared with the sentences around that source sentence, with looser thresholds, so a
    heavily edited sentence the LSH did not retrieve does not split its paragraph; a
    neighbour that is a rewrite of a source sentence nearby (synonyms, reordered clauses)
    counts too."""
    best = {(m.q, m.doc.id): m for m in matches}
    lengths = (sents.ends - sents.starts).tolist()

    def neighbours(q: int) -> list[int]:
        # The next sentence on each side; past it too when it is short enough for a passage to
        # bridge (a heading such as 二是深挖消费潜力 rewritten beyond recognition).
        out = []
        for step in (-1, 1):
            near = q + step
            if 0 <= near < len(sents):
                out.append(near)
                if 0 <= near + step < len(sents) and lengths[near] <= max_gap_chars:
                    out.append(near + step)
        return out

    frontier = list(matches)
    while frontier:
        grown: list[_Match] = []
        tries = [
            (m, qi, range(max(0, m.local - EXTENSION_REACH), min(m.doc.sentence_count, m.local + EXTENSION_REACH + 1)))
            for m in frontier
            for qi in neighbours(m.q)
            if (qi, m.doc.id) not in best
        ]
        aligner.prefetch([(m.doc, local) for m, _, locals_ in tries for local in locals_])
        for m, qi, locals_ in tries:
            if (qi, m.doc.id) in best:
                continue
            found: dict[tuple[int, int], _Match] = {}
            for local in locals_:
                _keep_best(found, aligner.match(qi, m.doc, local, relaxed=True))
            if not found:  # no sentence nearby is an edited copy of it: is one rewritten as it?
                for local in locals_:
                    _keep_best(found, aligner.paraphrase_match(qi, m.doc, local, relaxed=True))
            best.update(found)
            grown.extend(found.values())
        frontier = grown
    return [best[k] for k in sorted(best)]


def _widen(matches: list[_Match], aligner: _Aligner) -> list[_Match]:
    """An edited sentence aligned character by character (Indel) covers only the part of it
    that kept its order, from and to an equal run of EDGE_BLOCK characters; when its clauses
    were swapped around a comma, or a word at its edge changed, aligned as a rewrite it covers
    more: take that when it reaches further on the draft side (without a synonym swapped it
    is still an edited copy, "near": see `_Aligner.paraphrase_match`)."""
    out: list[_Match] = []
    for m in matches:
        if m.how == "near":
            rewrite = aligner.paraphrase_match(m.q, m.doc, m.local, relaxed=True)
            if rewrite is not None and rewrite.d_end - rewrite.d_start > m.d_end - m.d_start:
                m = rewrite  # noqa: PLW2901 - the wider alignment replaces it
        out.append(m)
    return out


INNER_MIN_CHARS = 8  # a clause beside a copied one, from the neighbouring source sentence


def _extend_within(sents: Sentences, matches: list[_Match], aligner: _Aligner) -> list[_Match]:
    """Extension inside a draft sentence: the rest of a sentence with a copied part may come
    from the neighbouring source sentence (two sentences merged into one, 。→，); beside a
    copy, a shared clause of INNER_MIN_CHARS is enough."""
    tries = [(m, local) for m in matches for local in (m.local - 1, m.local + 1)
             if 0 <= local < m.doc.sentence_count]
    aligner.prefetch([(m.doc, local) for m, local in tries])
    best = {(m.q, m.doc.id): m for m in matches}
    for m, local in tries:
        current = best[(m.q, m.doc.id)]
        extra = aligner.fragment_match(m.q, m.doc, local, min_chars=INNER_MIN_CHARS)
        if extra is None:
            continue
        # The neighbour's text must lie on its side of the copied part, and not overlap it.
        if (local > m.local and extra.d_start >= current.d_end) or (local < m.local and extra.d_end <= current.d_start):
            best[(m.q, m.doc.id)] = _joined(current, extra)
    return [best[k] for k in sorted(best)]


def _runs(doc: DocumentRecord, by_q: dict[int, _Match], free: set[int], sents: Sentences, boiler: _Boilerplate,
          gap_chars: int, elsewhere: set[int]) -> list[_Run]:
    """Maximal runs of draft sentences matched to ``doc``, bridging short unmatched gaps."""
    runs: list[_Run] = []
    current: _Run | None = None
    last: int | None = None
    for qi in sorted(qq for qq in by_q if qq in free):
        if current is not None and last is not None:
            gap = sum(
                int(sents.ends[g] - sents.starts[g])
                for g in range(last + 1, qi)
            )
            # Bridge only text that is not itself copied from another document (a mosaic).
            between_free = all(g in free and g not in elsewhere for g in range(last + 1, qi))
            # Consecutive draft sentences from far-apart places in the source are two passages,
            # or the source span would swallow everything between them.
            far = abs(by_q[qi].local - by_q[last].local) > SOURCE_REACH
            if far or (qi - last > 1 and (gap > gap_chars or not between_free)):
                runs.append(current)
                current = None
        if current is None:
            current = _Run(doc)
        m = by_q[qi]
        current.qs.append(qi)
        # Stock phrasing inside the copied region does not count towards the run's weight.
        current.matched += m.matched * (1.0 - boiler.share(m.d_start, m.d_end))
        last = qi
    if current is not None:
        runs.append(current)
    return runs


def _passages(
    text: str, norm: Normalized, sents: Sentences, matches: list[_Match], boiler: _Boilerplate, options: CheckOptions
) -> tuple[CopyPassage, ...]:
    by_doc: dict[int, dict[int, _Match]] = {}
    docs: dict[int, DocumentRecord] = {}
    for m in matches:
        by_doc.setdefault(m.doc.id, {})[m.q] = m
        docs[m.doc.id] = m.doc
    free = set(range(len(sents)))
    matched_in: dict[int, set[int]] = {}  # draft sentence -> documents it matched
    for m in matches:
        matched_in.setdefault(m.q, set()).add(m.doc.id)
    passages: list[CopyPassage] = []
    # Greedy: the longest run of sentences from one document wins its sentences, so a
    # paragraph copied from one source is one passage from that source even when its
    # stock phrases also occur in other documents.
    while True:
        best: _Run | None = None
        for doc_id in sorted(by_doc, key=lambda d: docs[d].name):
            elsewhere = {q for q in matched_in if matched_in[q] - {doc_id}}
            for run in _runs(docs[doc_id], by_doc[doc_id], free, sents, boiler, options.max_gap_chars, elsewhere):
                if best is None or run.matched > best.matched:
                    best = run
        if best is None or best.matched < options.min_passage_chars:
            break
        free.difference_update(range(best.qs[0], best.qs[-1] + 1))
        run_matches = [by_doc[best.doc.id][qi] for qi in best.qs]
        passages.append(_passage(text, norm, best.doc, run_matches))
    return tuple(passages)


def _boilerplate_passages(
    text: str, norm: Normalized, boiler: _Boilerplate, copies: Sequence[CopyPassage]
) -> tuple[BoilerplatePassage, ...]:
    """Stock phrasing outside copied passages, one passage per run of marked characters."""
    marked = boiler.docs > 0
    for p in copies:
        lo = int(np.searchsorted(norm.starts, p.start, side="left"))
        hi = int(np.searchsorted(norm.ends, p.end, side="right"))
        marked[lo:hi] = False
    marked &= norm.codes != 10
    edges = np.diff(np.concatenate(([0], marked.view(np.int8), [0])))
    out: list[BoilerplatePassage] = []
    for lo, hi in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
        start, end = norm.original_span(lo, hi)
        out.append(BoilerplatePassage(
            start=start, end=end, text=text[start:end], common_to=int(boiler.docs[lo:hi].max()),
        ))
    return tuple(out)


def _passage(text: str, norm: Normalized, doc: DocumentRecord, run: list[_Match]) -> CopyPassage:
    d_start = min(m.d_start for m in run)
    d_end = max(m.d_end for m in run)
    start, end = norm.original_span(d_start, d_end)
    s_start = doc.start + min(m.s_start for m in run)
    s_end = doc.start + max(m.s_end for m in run)
    content = int(np.count_nonzero(norm.codes[d_start:d_end] != 10))
    score = min(1.0, sum(m.matched for m in run) / max(content, 1))
    source = SourceRef(doc=doc.name, file=doc.file, title=doc.title, start=s_start, end=s_end,
                       collection=doc.collection)
    how = _weakest(*(m.how for m in run))
    swaps: list[Swap] = []
    if how == "paraphrase":
        for d0, d1, s0, s1 in sorted({w for m in run for w in m.swaps}):
            a, b = norm.original_span(d0, d1)
            swaps.append(Swap(start=a, end=b, source_start=doc.start + s0, source_end=doc.start + s1,
                              draft_word=text[a:b], source_word=doc.text[s0:s1]))
    return CopyPassage(
        start=start, end=end, score=score, source=source, text=text[start:end],
        source_text=doc.text[s_start - doc.start : s_end - doc.start], sentences=len(run),
        match=how, swaps=tuple(swaps),
    )


def _covered(norm: Normalized, content: BoolArray, spans: list[tuple[int, int]]) -> int:
    """Content characters of the draft inside any of the original ``spans``."""
    if not spans:
        return 0
    mask = np.zeros(content.size, dtype=bool)
    for start, end in spans:
        lo = int(np.searchsorted(norm.starts, start, side="left"))
        hi = int(np.searchsorted(norm.ends, end, side="right"))
        mask[lo:hi] = True
    return int(np.count_nonzero(mask & content))


def _result(
    file: str, text: str, norm: Normalized, content: BoolArray, total: int, passages: tuple[Passage, ...],
    boiler: _Boilerplate, work_collections: dict[str, frozenset[str]],
) -> CheckResult:
    copies = [p for p in passages if isinstance(p, CopyPassage)]
    stock = boiler.docs > 0
    # Stock phrases never count as copied, not even inside a copied paragraph.
    copied = _covered(norm, content & ~stock, [(p.start, p.end) for p in copies])
    # CNKI's 去除引用 / 去除本人: without the passages whose source text is (also) quotable
    # material or the office's own (a work with a document in that collection).
    without = {
        name: _covered(norm, content & ~stock, [
            (p.start, p.end) for p in copies if name not in work_collections.get(p.source.doc, {p.source.collection})
        ])
        for name in (QUOTATION, OWN)
    }
    boiler_chars = int(np.count_nonzero(stock & content))
    per_doc: dict[str, list[CopyPassage]] = {}
    for p in copies:
        per_doc.setdefault(p.source.doc, []).append(p)
    shares: list[SourceShare] = []
    for ps in per_doc.values():
        chars = _covered(norm, content & ~stock, [(p.start, p.end) for p in ps])
        src = ps[0].source
        shares.append(
            SourceShare(
                source=replace(src, start=min(p.source.start for p in ps), end=max(p.source.end for p in ps)),
                chars=chars, share=chars / total if total else 0.0, passages=len(ps),
            )
        )
    shares.sort(key=lambda s: (-s.chars, s.source.doc))
    return CheckResult(
        file=file, text=text, chars=len(text), content_chars=total,
        copy_ratio=copied / total if total else 0.0,
        copy_ratio_excluding_quotation=without[QUOTATION] / total if total else 0.0,
        copy_ratio_excluding_own=without[OWN] / total if total else 0.0,
        boilerplate_ratio=boiler_chars / total if total else 0.0,
        max_source_share=shares[0].share if shares else 0.0,
        passages=passages, sources=tuple(shares),
    )
