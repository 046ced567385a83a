"""Stock phrases (套话): text that many documents share — the table and how it is computed.

A phrase is a *maximal repeat* of the normalized corpus (so masks, 党/D, full-width forms
count together) found in at least ``min_docs`` documents: no longer phrase covers all its
occurrences (it is right-maximal by construction and we keep it only when its occurrences
are not all preceded by the same character). It is then trimmed to jieba word boundaries
in the original text, so the list reads as phrases a person writes, not cut-off runs.

The suffix array and LCP array come from libdivsufsort (pydivsufsort). Hand-written: the
walk over LCP intervals that counts documents per maximal repeat, which no suffix-array
library gives, and which is what decides whether a repeat is a stock phrase.

One table serves every threshold: it is computed once with the lowest threshold any
command accepts (`BASE_MIN_DOCS`) and `restrict` keeps the phrases in at least N documents.
So a higher threshold only removes phrases below it: a short phrase such as 党的二十大精神
(7 characters, under `MIN_PHRASE_CHARS`) is found by trimming longer repeats, and those may
be in fewer documents than the phrase itself; computed at a higher threshold directly, it
would be lost with them.

Work is linear in the text's length: the common prefixes the walk follows are cut at
`MAX_PHRASE_CHARS`, so a text of one character repeated (or any periodic text), whose
suffixes share prefixes as long as the text, costs no more per character than prose.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..model import IntArray
from ..text.normalize import Normalized, normalize_many

MIN_PHRASE_CHARS = 8  # normalized characters in a repeat before trimming
# Longest repeat followed, in normalized characters: longer shared text (a reprinted
# paragraph) is listed by its first MAX_PHRASE_CHARS characters. It bounds the LCP-interval
# walk (each rank lies in at most this many nested intervals) and every string the table
# builds, so periodic text (字 × 1,000,000; 工作总结 repeated) is linear, not quadratic.
# The bundled corpus's longest repeat is 65 characters.
MAX_PHRASE_CHARS = 128
# The lowest --min-docs/--common-docs a command accepts: the table is computed with it and
# restricted to a command's threshold (`restrict`).
BASE_MIN_DOCS = 2
MIN_TRIMMED_CHARS = 6  # and after trimming to word boundaries
MIN_CONTENT_CHARS = 5  # characters other than masks: "#年#月#日" is not a phrase
CONTEXT_CHARS = 12  # characters shown on each side of an example
# Larger libraries: phrases come from an even sample of documents. Stock phrases are common by
# definition, so a sample finds them, and the table costs the same ~1-2 s at 10M or 90M.
MAX_CORPUS_CHARS = 2_000_000
MAX_REPEATS = 1500  # repeats trimmed and described, strongest first
_SEPARATOR = "\x00"
_STOP_CODES = np.array([ord(_SEPARATOR), ord("\n")], dtype="<u4")  # repeats never cross these
# A phrase does not start or end on a function word: "…思想为" and "的坚强领导下" read as cut off.
_LEADING_FUNCTION_WORDS = frozenset("的和及与了并而")
_TRAILING_FUNCTION_WORDS = frozenset("为的和及与对把在是了以将并等向从于#")  # "#": a trailing number


class PhraseSource(Protocol):
    """What the table reads of a document (an indexed `DocumentRecord`, or one being added)."""

    @property
    def file(self) -> str: ...
    @property
    def ordinal(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def chars(self) -> int: ...
    @property
    def name(self) -> str: ...


def default_min_docs(n_docs: int) -> int:
    """"Common" means in at least √N/2 documents, and never fewer than 3."""
    return max(3, round(math.sqrt(max(n_docs, 1)) / 2))


@dataclass(frozen=True, slots=True)
class Example:
    doc: str
    start: int  # offsets of the phrase in the document's file
    end: int
    context: str  # the phrase with some text around it, as written


@dataclass(frozen=True, slots=True)
class Phrase:
    phrase: str  # as written in the corpus (first occurrence)
    normalized: str  # the matching form, masks as '#'
    docs: int  # documents it occurs in
    count: int  # occurrences
    files: int  # files it occurs in
    examples: tuple[Example, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase, "docs": self.docs, "count": self.count, "files": self.files,
            "normalized": self.normalized, "examples": [asdict(e) for e in self.examples],
        }


@dataclass(frozen=True, slots=True)
class PhraseTable:
    """All phrases in at least ``min_docs`` documents, ranked; what `check` marks as boilerplate."""

    phrases: tuple[Phrase, ...]
    min_docs: int  # of the documents the table counts in (of the sample, when sampled)
    documents: int  # documents the table was computed from
    sampled: bool  # True when the library was too large and a sample of documents was used
    library_documents: int = 0  # documents of the whole library (0: the same as ``documents``)


def table_to_json(table: PhraseTable) -> dict[str, Any]:
    return {
        "min_docs": table.min_docs, "documents": table.documents, "sampled": table.sampled,
        "library_documents": table.library_documents, "phrases": [p.to_json() for p in table.phrases],
    }


def table_from_json(raw: bytes) -> PhraseTable:
    return table_from_dict(json.loads(raw))


def table_from_dict(data: dict[str, Any]) -> PhraseTable:
    phrases = tuple(
        Phrase(
            phrase=p["phrase"], normalized=p["normalized"], docs=p["docs"], count=p["count"],
            files=p["files"], examples=tuple(Example(**e) for e in p["examples"]),
        )
        for p in data["phrases"]
    )
    return PhraseTable(phrases, data["min_docs"], data["documents"], data["sampled"],
                       data.get("library_documents", 0))


def compute_phrases(documents: Iterable[PhraseSource], *, min_docs: int, max_chars: int | None = None) -> PhraseTable:
    """Phrases of ``documents`` in at least ``min_docs`` of them; over ``max_chars`` (default
    MAX_CORPUS_CHARS), of a sample. The same as ``restrict(all_phrases(...), min_docs)``."""
    return restrict(all_phrases(documents, max_chars=max_chars), min_docs)


def restrict(table: PhraseTable, min_docs: int) -> PhraseTable:
    """The phrases of ``table`` in at least ``min_docs`` documents (of the library: scaled to
    the sample when the table was computed from one). A higher ``min_docs`` only removes
    phrases, the ones below it."""
    threshold = max(BASE_MIN_DOCS, min_docs)
    if table.sampled and table.library_documents:
        # "In N of all documents" becomes "in the same share of the sampled ones".
        threshold = max(3, round(min_docs * table.documents / table.library_documents))
    return PhraseTable(tuple(p for p in table.phrases if p.docs >= threshold), threshold, table.documents,
                       table.sampled, table.library_documents)


def all_phrases(documents: Iterable[PhraseSource], *, max_chars: int | None = None) -> PhraseTable:
    """The phrases of ``documents`` in at least `BASE_MIN_DOCS` of them, ranked (over
    ``max_chars``, default MAX_CORPUS_CHARS, of an even sample of documents)."""
    docs = list(documents)
    everything = len(docs)
    min_docs = BASE_MIN_DOCS
    sampled = False
    total = sum(d.chars for d in docs)
    max_chars = MAX_CORPUS_CHARS if max_chars is None else max_chars
    if total > max_chars:
        step = math.ceil(total / max_chars)
        docs = docs[::step]
        sampled = True
    if not docs:
        return PhraseTable((), min_docs, 0, sampled, everything)
    # Title lines are labels ("2023年工作总结"), not the prose stock phrases live in: blank
    # them out (spaces keep every offset where it was).
    norms: list[Normalized] = normalize_many([_without_title(d) for d in docs])
    corpus = _SuffixCorpus("".join(n.text + _SEPARATOR for n in norms),
                           np.cumsum([0] + [len(n) + 1 for n in norms[:-1]]))
    repeats = _maximal_repeats(corpus, min_docs=min_docs)
    found: dict[str, Phrase] = {}
    described: dict[str, Phrase | None] = {}  # by trimmed phrase: periodic text trims many repeats alike
    for norm_phrase, first in repeats:
        phrase = _describe(norm_phrase, first, corpus, docs, norms, described)
        if phrase is None or phrase.docs < min_docs:
            continue
        old = found.get(phrase.normalized)
        if old is None or (phrase.docs, phrase.count) > (old.docs, old.count):
            found[phrase.normalized] = phrase
    # Trimming can make a phrase a part of a longer listed one that covers all its occurrences.
    by_length = sorted(found.values(), key=lambda p: -len(p.normalized))
    maximal = [
        p for i, p in enumerate(by_length)
        if not any(p.normalized in q.normalized and q.count >= p.count for q in by_length[:i])
    ]
    ranked = sorted(maximal, key=lambda p: (-p.docs, -len(p.normalized), p.normalized))
    return PhraseTable(tuple(ranked), min_docs, len(docs), sampled, everything)


def _without_title(doc: PhraseSource) -> str:
    if doc.title and doc.text.startswith(doc.title):
        return " " * len(doc.title) + doc.text[len(doc.title):]
    return doc.text


class _SuffixCorpus:
    """The sampled documents as one text, with its suffix array and stop-bounded LCP array.

    ``lcp[r]`` is the length of the common prefix of the suffixes at ranks ``r - 1`` and ``r``
    that crosses no sentence or document end (``lcp[0] = lcp[n] = 0``), cut at
    `MAX_PHRASE_CHARS`. The suffix array and Kasai's LCP come from libdivsufsort
    (pydivsufsort): C, a few hundred ms for 2M characters where numpy prefix doubling and a
    Python Kasai loop took seconds.
    """

    def __init__(self, text: str, doc_starts: IntArray) -> None:
        from pydivsufsort import divsufsort, kasai  # only here: a check with the table cached never needs it

        self.text = text
        self.doc_starts = doc_starts
        # A writable copy: pydivsufsort's kasai refuses read-only buffers.
        codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").copy()
        n = codes.size
        self.codes = codes
        self.sa = divsufsort(codes).astype(np.int64)
        lcp = np.zeros(n + 1, dtype=np.int64)
        lcp[1:n] = kasai(codes, self.sa)[: n - 1]
        is_stop = np.isin(codes, _STOP_CODES)
        stops = np.append(np.flatnonzero(is_stop), n)
        to_stop = stops[np.searchsorted(stops, np.arange(n))] - np.arange(n)
        # A common prefix that reaches a stop character ends there (both suffixes have it at
        # the same offset, so the distance from either one is the same).
        lcp[1:n] = np.minimum(lcp[1:n], to_stop[self.sa[1:n]])
        self.lcp = np.minimum(lcp, MAX_PHRASE_CHARS)
        self.is_stop = is_stop
        self.owner_by_rank = self.owner(self.sa)  # the document of each suffix, by rank
        # The previous rank whose suffix is in the same document (-1: none): the documents
        # in a rank range [l, r) are the ranks there whose previous one lies before l.
        order = np.lexsort((np.arange(n), self.owner_by_rank))
        prev_same = np.full(n, -1, dtype=np.int64)
        same = self.owner_by_rank[order[1:]] == self.owner_by_rank[order[:-1]]
        prev_same[order[1:][same]] = order[:-1][same]
        self.prev_same = prev_same

    def owner(self, positions: npt.NDArray[np.integer]) -> npt.NDArray[np.intp]:
        return np.searchsorted(self.doc_starts, positions, side="right") - 1

    def rank_range(self, phrase: str) -> tuple[int, int]:
        """The ranks [lo, hi) of the suffixes that start with ``phrase``: binary search."""
        m, text = len(phrase), self.text
        lo = bisect.bisect_left(self.sa, phrase, key=lambda p: text[p : p + m])
        hi = bisect.bisect_right(self.sa, phrase, lo=lo, key=lambda p: text[p : p + m])
        return lo, hi

    def occurrences(self, phrase: str) -> IntArray:
        """Sorted start positions of ``phrase``."""
        lo, hi = self.rank_range(phrase)
        return np.sort(self.sa[lo:hi])


def _maximal_repeats(corpus: _SuffixCorpus, *, min_docs: int,
                     min_chars: int = MIN_PHRASE_CHARS) -> list[tuple[str, int]]:
    """Maximal repeats of >= min_chars in >= min_docs documents, strongest first.

    Each is (normalized string, position of its first occurrence); the strongest
    `MAX_REPEATS`. The walk over LCP intervals is the textbook stack algorithm; it visits
    only ranks inside runs of ``lcp >= min_chars``, since shorter intervals are never
    reported. Its work is the sum of the intervals' sizes, at most `MAX_PHRASE_CHARS` per
    rank (nested intervals have distinct LCP values); strings are made only for the repeats
    returned.
    """
    sa, lcp, codes, text = corpus.sa, corpus.lcp, corpus.codes, corpus.text
    n = sa.size
    if n == 0:
        return []
    prev_same = corpus.prev_same
    # Left-maximal: the characters before the occurrences differ, or one is a stop (or the
    # text's start). With a running count of rank-to-rank changes each test is O(1).
    before = np.where(sa > 0, codes[np.maximum(sa - 1, 0)], 0)
    before_stop = np.where(sa > 0, corpus.is_stop[np.maximum(sa - 1, 0)], True).tolist()
    changes = np.concatenate(([0, 0], np.cumsum(before[1:] != before[:-1]))).tolist()

    long = lcp >= min_chars
    # Runs of consecutive ranks r with lcp[r] >= min_chars: each such run [a, b) holds the
    # intervals [a - 1, b) and everything nested in them.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], long.view(np.int8), [0]))))
    found: list[tuple[int, int, int, int]] = []  # (documents, length, left rank, right rank)
    lcp_list = lcp.tolist()
    for a, b in zip(edges[0::2].tolist(), edges[1::2].tolist()):
        stack: list[tuple[int, int]] = []  # (lcp value, left rank)
        for i in range(a, b + 1):
            cur = lcp_list[i] if i < b else 0
            left = i - 1
            while stack and stack[-1][0] > cur:
                length, left = stack.pop()
                if (i - left >= min_docs and length >= min_chars
                        and (changes[i] > changes[left + 1] or before_stop[left])):
                    n_docs = int(np.count_nonzero(prev_same[left:i] < left))
                    if n_docs >= min_docs:
                        found.append((n_docs, length, left, i))
            if not stack or stack[-1][0] < cur:
                stack.append((cur, left))
    # A library of near-duplicates has repeats by the thousand; the list shows the strongest,
    # and trimming and the maximality check below cost time per phrase (squared, for the latter).
    # Ranked by documents, length, then the phrase itself: strings only for those that can
    # make the cut (the cut's whole tie group).
    found.sort(key=lambda r: (-r[0], -r[1]))
    if len(found) > MAX_REPEATS:
        last = found[MAX_REPEATS - 1][:2]
        end = MAX_REPEATS
        while end < len(found) and found[end][:2] == last:
            end += 1
        found = found[:end]
    out = []
    for n_docs, length, left, right in found:
        first = int(sa[left:right].min())
        out.append((n_docs, length, text[first : first + length], first))
    out.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [(phrase, first) for _, _, phrase, first in out[:MAX_REPEATS]]


class _Tokenizer(Protocol):
    """What we use of jieba: (word, start, end) of each word of a text."""

    def tokenize(self, unicode_sentence: str) -> Iterable[tuple[str, int, int]]: ...


@functools.lru_cache(maxsize=1)
def _tokenizer() -> _Tokenizer:
    import jieba

    from ..indexer import user_cache_dir

    # jieba caches its dictionary (a marshal dump it loads back) in the shared temp folder
    # by default, where another user's file is loaded or makes the dump fail with a
    # traceback: keep it in chachong's own per-user folder, created private.
    folder = user_cache_dir()
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    jieba.dt.tmp_dir = str(folder)
    # Not even a failed dump (a read-only home) is worth a traceback: the dictionary is just
    # built again next time.
    jieba.setLogLevel(logging.CRITICAL)
    tokenizer: _Tokenizer = jieba
    return tokenizer


def _describe(
    norm_phrase: str, first: int, corpus: _SuffixCorpus, docs: Sequence[PhraseSource], norms: Sequence[Normalized],
    described: dict[str, Phrase | None],
) -> Phrase | None:
    """Trim a repeat to word boundaries (first occurrence's wording) and count it again.

    ``described``: phrases already counted, by trimmed form (each is counted once).
    """
    doc_starts = corpus.doc_starts
    d = int(corpus.owner(np.asarray(first)))
    local = first - int(doc_starts[d])
    norm, doc = norms[d], docs[d]
    lo, hi = norm.original_span(local, local + len(norm_phrase))
    ctx_lo, ctx_hi = max(0, lo - CONTEXT_CHARS), min(len(doc.text), hi + CONTEXT_CHARS)
    bounds: set[int] = set()
    for _, s, e in _tokenizer().tokenize(doc.text[ctx_lo:ctx_hi]):
        bounds.update((ctx_lo + s, ctx_lo + e))
    # First normalized character whose original starts on a word boundary, last that ends on one.
    a, b = local, local + len(norm_phrase)
    while a < b and int(norm.starts[a]) not in bounds:
        a += 1
    while b > a and int(norm.ends[b - 1]) not in bounds:
        b -= 1
    while a < b and norm.text[a] in _LEADING_FUNCTION_WORDS and int(norm.ends[a]) in bounds:
        a += 1
    while b > a and norm.text[b - 1] in _TRAILING_FUNCTION_WORDS and int(norm.starts[b - 1]) in bounds:
        b -= 1
    trimmed = norm.text[a:b]
    if len(trimmed) < MIN_TRIMMED_CHARS or len(trimmed.replace("#", "")) < MIN_CONTENT_CHARS:
        return None
    if trimmed not in described:
        described[trimmed] = _count(trimmed, corpus, docs, norms, wording=norm.original_span(a, b), doc=doc)
    return described[trimmed]


def _count(
    trimmed: str, corpus: _SuffixCorpus, docs: Sequence[PhraseSource], norms: Sequence[Normalized],
    *, wording: tuple[int, int], doc: PhraseSource,
) -> Phrase:
    """``trimmed`` counted in the corpus (numpy over its suffix-array range, no sort), with
    ``doc.text[wording]`` as the phrase as written."""
    lo, hi = corpus.rank_range(trimmed)
    owners = corpus.owner_by_rank[lo:hi]
    per_doc = np.bincount(owners, minlength=len(docs))
    doc_ids = np.flatnonzero(per_doc)
    positions = corpus.sa[lo:hi]
    examples: list[Example] = []
    for k in doc_ids[:2].tolist():
        pos = int(positions[owners == k].min()) - int(corpus.doc_starts[k])
        s, e = norms[k].original_span(pos, pos + len(trimmed))
        c0, c1 = max(0, s - CONTEXT_CHARS), min(len(docs[k].text), e + CONTEXT_CHARS)
        examples.append(Example(
            doc=docs[k].name, start=docs[k].start + s, end=docs[k].start + e,
            context=" ".join(docs[k].text[c0:c1].split()),
        ))
    s0, e0 = wording
    return Phrase(
        phrase=doc.text[s0:e0], normalized=trimmed, docs=int(doc_ids.size), count=hi - lo,
        files=len({docs[k].file for k in doc_ids.tolist()}), examples=tuple(examples),
    )
