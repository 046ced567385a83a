"""Stock phrases (套话): text that many documents share.

A phrase is a *maximal repeat* of the normalized corpus (so masks, 党/D, full-width forms
count together) found in at least ``min_docs`` documents: no longer phrase covers all its
occurrences (it is right-maximal by construction and we keep it only when its occurrences
are not all preceded by the same character). It is then trimmed to jieba word boundaries
in the original text, so the list reads as phrases a person writes, not cut-off runs.

Why hand-written: the suffix array (prefix doubling in numpy) and the LCP-interval walk
are a few dozen lines; the libraries that build suffix arrays do not give document
frequencies of maximal repeats, which is the part that matters here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import asdict, dataclass

import numpy as np

from .normalize import Normalized, normalize

MIN_PHRASE_CHARS = 8  # normalized characters in a repeat before trimming
MIN_TRIMMED_CHARS = 6  # and after trimming to word boundaries
MIN_CONTENT_CHARS = 5  # characters other than masks: "#年#月#日" is not a phrase
CONTEXT_CHARS = 12  # characters shown on each side of an example
# Larger libraries: phrases come from an even sample of documents. Stock phrases are common by
# definition, so a sample finds them; 2M characters take ~5 s (the suffix array and the LCP walk
# are O(n log n) and O(n) in Python; 10M took minutes).
MAX_CORPUS_CHARS = 2_000_000
MAX_REPEATS = 1500  # repeats trimmed and described, strongest first
_SEPARATOR = "\x00"
# A phrase does not start or end on a function word: "…思想为" and "的坚强领导下" read as cut off.
_LEADING_FUNCTION_WORDS = frozenset("的和及与了并而")
_TRAILING_FUNCTION_WORDS = frozenset("为的和及与对把在是了以将并等向从于#")  # "#": a trailing number


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

    def to_json(self) -> dict:
        return {
            "phrase": self.phrase, "docs": self.docs, "count": self.count, "files": self.files,
            "normalized": self.normalized, "examples": [asdict(e) for e in self.examples],
        }


@dataclass(frozen=True, slots=True)
class PhraseTable:
    """All phrases in at least ``min_docs`` documents, ranked; what `check` marks as boilerplate."""

    phrases: tuple[Phrase, ...]
    min_docs: int
    documents: int
    sampled: bool  # True when the library was too large and a sample of documents was used


def index_generation(store) -> str:
    """Changes whenever the set of indexed files changes."""
    h = hashlib.sha256()
    for f in store.files():
        h.update(f"{f.path}\0{f.sha256}\n".encode())
    return h.hexdigest()


def phrase_table(store, *, min_docs: int | None = None) -> PhraseTable:
    """The phrase table of ``store``, from its cache when the index has not changed."""
    docs_total = store.document_count()
    min_docs = default_min_docs(docs_total) if min_docs is None else max(2, min_docs)
    name = f"phrases:{min_docs}"
    generation = index_generation(store)
    cached = store.get_derived(name, generation)
    if cached is not None:
        return _table_from_json(cached)
    table = compute_phrases(store.documents(), min_docs=min_docs)
    # Another process may have changed the index while we read it: cache only a table that
    # is known to belong to one generation.
    if index_generation(store) == generation:
        store.put_derived(name, generation, json.dumps(_table_to_json(table), ensure_ascii=False).encode())
    return table


def _table_to_json(table: PhraseTable) -> dict:
    return {
        "min_docs": table.min_docs, "documents": table.documents, "sampled": table.sampled,
        "phrases": [p.to_json() for p in table.phrases],
    }


def _table_from_json(raw: bytes) -> PhraseTable:
    data = json.loads(raw)
    phrases = tuple(
        Phrase(
            phrase=p["phrase"], normalized=p["normalized"], docs=p["docs"], count=p["count"],
            files=p["files"], examples=tuple(Example(**e) for e in p["examples"]),
        )
        for p in data["phrases"]
    )
    return PhraseTable(phrases, data["min_docs"], data["documents"], data["sampled"])


def compute_phrases(documents, *, min_docs: int) -> PhraseTable:
    docs = list(documents)
    sampled = False
    total = sum(d.chars for d in docs)
    if total > MAX_CORPUS_CHARS:
        step = math.ceil(total / MAX_CORPUS_CHARS)
        everything = len(docs)
        docs = docs[::step]
        sampled = True
        # "In N of all documents" becomes "in the same share of the sampled ones".
        min_docs = max(3, round(min_docs * len(docs) / everything))
    # Title lines are labels ("2023年工作总结"), not the prose stock phrases live in: blank
    # them out (spaces keep every offset where it was).
    norms: list[Normalized] = [normalize(_without_title(d)) for d in docs]
    text = "".join(n.text + _SEPARATOR for n in norms)
    if not docs:
        return PhraseTable((), min_docs, 0, sampled)
    doc_starts = np.cumsum([0] + [len(n) + 1 for n in norms[:-1]])
    repeats = _maximal_repeats(text, doc_starts, min_docs=min_docs)
    found: dict[str, Phrase] = {}
    for norm_phrase in repeats:
        phrase = _describe(norm_phrase, text, doc_starts, docs, norms)
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
    return PhraseTable(tuple(ranked), min_docs, len(docs), sampled)


def _without_title(doc) -> str:
    if doc.title and doc.text.startswith(doc.title):
        return " " * len(doc.title) + doc.text[len(doc.title):]
    return doc.text


def _suffix_array(codes: np.ndarray) -> np.ndarray:
    """Suffix array by prefix doubling (numpy lexsort), O(n log² n)."""
    n = codes.size
    rank = codes.astype(np.int64)
    k = 1
    while True:
        second = np.full(n, -1, dtype=np.int64)
        second[: n - k] = rank[k:]
        sa = np.lexsort((second, rank))
        a, b = rank[sa], second[sa]
        new = np.concatenate(([0], np.cumsum((a[1:] != a[:-1]) | (b[1:] != b[:-1]))))
        rank = np.empty(n, dtype=np.int64)
        rank[sa] = new
        if new[-1] == n - 1 or k >= n:
            return sa
        k *= 2


def _maximal_repeats(text: str, doc_starts: np.ndarray, *, min_docs: int) -> list[str]:
    """Normalized strings that are maximal repeats occurring in >= min_docs documents."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    n = codes.size
    sa = _suffix_array(codes).tolist()
    rank = [0] * n
    for r, i in enumerate(sa):
        rank[i] = r
    stop = {_SEPARATOR, "\n"}
    lcp = [0] * (n + 1)
    h = 0
    for i in range(n):  # Kasai et al.; matches never cross a sentence or document end
        r = rank[i]
        if r == 0:
            h = 0
            continue
        j = sa[r - 1]
        while i + h < n and j + h < n and text[i + h] == text[j + h] and text[i + h] not in stop:
            h += 1
        lcp[r] = h
        if h:
            h -= 1
    owner = np.searchsorted(doc_starts, np.asarray(sa), side="right") - 1
    out: list[tuple[int, int, str]] = []  # (documents, length, phrase)
    stack: list[tuple[int, int]] = []  # (lcp value, left bound)
    for i in range(1, n + 1):
        cur = lcp[i] if i < n else 0
        left = i - 1
        while stack and stack[-1][0] > cur:
            length, left = stack.pop()
            if length >= MIN_PHRASE_CHARS and i - left >= min_docs:
                n_docs = len(set(owner[left:i].tolist()))
                if n_docs >= min_docs:
                    before = {text[p - 1] if p else _SEPARATOR for p in sa[left:i]}
                    if len(before) > 1 or before & stop:
                        p = sa[left]
                        out.append((n_docs, length, text[p : p + length]))
        if not stack or stack[-1][0] < cur:
            stack.append((cur, left))
    # A library of near-duplicates has repeats by the thousand; the list shows the strongest,
    # and trimming and the maximality check below cost time per phrase (squared, for the latter).
    out.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [phrase for _, _, phrase in out[:MAX_REPEATS]]


_jieba = None


def _tokenizer():
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba


def _occurrences(phrase: str, text: str) -> list[int]:
    out, pos = [], text.find(phrase)
    while pos >= 0:
        out.append(pos)
        pos = text.find(phrase, pos + 1)
    return out


def _describe(norm_phrase: str, text: str, doc_starts, docs, norms) -> Phrase | None:
    """Trim a repeat to word boundaries (first occurrence's wording) and count it again."""
    first = text.find(norm_phrase)
    d = int(np.searchsorted(doc_starts, first, side="right") - 1)
    local = first - int(doc_starts[d])
    norm, doc = norms[d], docs[d]
    lo, hi = norm.original_span(local, local + len(norm_phrase))
    ctx_lo, ctx_hi = max(0, lo - CONTEXT_CHARS), min(len(doc.text), hi + CONTEXT_CHARS)
    bounds = {ctx_lo + s for _, s, _ in _tokenizer().tokenize(doc.text[ctx_lo:ctx_hi])}
    bounds |= {ctx_lo + e for _, _, e in _tokenizer().tokenize(doc.text[ctx_lo:ctx_hi])}
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
    positions = _occurrences(trimmed, text)
    owners = np.searchsorted(doc_starts, np.asarray(positions), side="right") - 1
    doc_ids = sorted(set(owners.tolist()))
    examples = []
    for k in doc_ids[:2]:
        pos = positions[int(np.flatnonzero(owners == k)[0])] - int(doc_starts[k])
        s, e = norms[k].original_span(pos, pos + len(trimmed))
        c0, c1 = max(0, s - CONTEXT_CHARS), min(len(docs[k].text), e + CONTEXT_CHARS)
        examples.append(Example(
            doc=docs[k].name, start=docs[k].start + s, end=docs[k].start + e,
            context=" ".join(docs[k].text[c0:c1].split()),
        ))
    s0, e0 = norm.original_span(a, b)
    return Phrase(
        phrase=doc.text[s0:e0], normalized=trimmed, docs=len(doc_ids), count=len(positions),
        files=len({docs[k].file for k in doc_ids}), examples=tuple(examples),
    )
