"""Seeded generator of test drafts for the PAN-style evaluation.

A draft mixes original paragraphs (eval_originals.py: ordinary ones and stock-phrase-heavy
ones) with text taken from the indexed corpus. Every copied piece is a *case* labelled with
its kind; the transformations are in eval_transforms.py. How copying really looks
(DESIGN.md §5) gives the kinds:

* ``verbatim``     — 2–5 sentences of one paragraph as they are;
* ``masks``        — the same with the template's masks filled in (XX → numbers or place
                     names, x.x → a decimal), years moved on by one, D written 党 again,
                     place levels swapped (县委 ↔ 区委, 全镇 → 全乡 …);
* ``light``        — light edits: one interior clause dropped, up to three swaps from a
                     20-pair table, filler words (进一步, 切实 …) before one or two verbs;
* ``reorder``      — four or five sentences, one dropped, the rest shuffled;
* ``mosaic``       — sentences of two sources interleaved; every sentence is its own case;
* ``clause``       — a 20–60 character piece (whole clauses) from inside a source sentence
                     at least 1.5× as long, embedded in the drafter's own sentence
                     (eval_originals.CLAUSE_FRAMES: own words before and after it, one
                     sentence), which closes or opens an original paragraph; the truth is
                     exactly the piece on both sides;
* ``single``       — one copied sentence (25–70 content characters), its own paragraph
                     between two original paragraphs;
* ``restructure``  — one long sentence cut at a comma into two sentences (note ``split``),
                     or two short consecutive sentences joined into one, 。→， (``merge``);
* ``paraphrase30`` / ``paraphrase40`` / ``paraphrase50`` — a 降重 tool's output: masks
                     filled, one clause dropped, two clauses swapped around a comma, 30/40/50 %
                     of the content words swapped from eval_synonyms' table (written for this,
                     not from a thesaurus), connectives (同时, 此外, 与此同时 …) added;
* ``long``         — 10–20 consecutive sentences of one paragraph (one detection expected);
* ``mosaic3``      — two sentences from each of THREE sources interleaved; every sentence
                     is its own case;
* ``nearstock``    — a copied sentence (or the clauses of one) most of whose characters
                     are stock phrasing (8-character runs found in ≥ 4 corpus documents, e.g.
                     以新时代中国特色社会主义思想为指导，深入学习贯彻D的二十大精神) plus a
                     run of ≥ 12 characters found in no other document — which names the
                     source;
* ``retarget``     — a paragraph of 3–6 sentences taken over for another office: agency,
                     place and year renamed, about half of its sentences in traditional
                     characters (OpenCC s2t).

Ground truth per case: the span in the draft and the span in the source FILE's text (as
check reports them: document start + offset in the document), and the source document's
name; ``Case.text`` is the copied text as the generator wrote it (the draft at the span
must equal it). Spans are trimmed to content characters at both ends (no punctuation or
whitespace at the edges), the convention check's README states for its own spans, so a
detection is neither rewarded nor punished for a trailing 。.

Source passages are sentences of one paragraph of one document; a verbatim, masks or light
passage sometimes starts or ends at a clause inside its edge sentence (drafters copy parts
of sentences too; the draft then closes it with 。). A passage most of whose characters
also occur (in runs of 13+) in another document is not used (nearstock excepted, by its
definition): which document it was "taken from" would be a coin toss, and a right answer
could be scored wrong. Original text: ``Draft.originals`` (ordinary original paragraphs),
``Draft.stock_originals`` (the stock-phrase-heavy ones) and ``Draft.frames`` (the clause
kind's own sentences, piece included) are kept apart, so the evaluation can report each.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from eval_baseline import ThirteenCharRule, content_chars
from eval_measures import Annotation
from eval_originals import CLAUSE_FRAMES, ORIGINALS, STOCK_HEAVY
from eval_transforms import (
    ENDS,
    SENTENCE,
    balanced,
    mask_changes,
    merge_sentences,
    obfuscate_light,
    obfuscate_masks,
    paraphrase,
    retarget,
    retarget_changes,
    split_points,
    split_sentence,
)

TYPES = (
    "verbatim", "masks", "light", "reorder", "mosaic",
    "clause", "single", "restructure", "paraphrase30", "paraphrase40", "paraphrase50",
    "long", "mosaic3", "nearstock", "retarget",
)
KINDS = TYPES
PARAPHRASE_RATES = {"paraphrase30": 0.3, "paraphrase40": 0.4, "paraphrase50": 0.5}
# Kinds whose draft text is the source text itself (the draft span equals the file's span).
VERBATIM_KINDS = frozenset({"verbatim", "mosaic", "clause", "single", "long", "mosaic3", "nearstock"})
# Units of each kind per shuffled cycle. A mosaic unit holds four or five cases and a mosaic3
# unit six, the others one, so every kind contributes about as many cases and none dominates.
UNIT_WEIGHTS = dict.fromkeys(TYPES, 4) | {"mosaic": 1, "mosaic3": 1}
STOCK_SHARE = 0.35  # chance that an original paragraph is a stock-phrase-heavy one
MAX_SHARED = 0.3  # a passage may share at most this share of its characters with other documents
FORBIDDEN = re.compile(r"#|【|素材|代笔|本文系|目录|\t")
# nearstock: "stock" characters lie in an 8-gram found in ≥ STOCK_DOCS documents;
# "distinctive" ones in no SHARED_N-gram found in another document. SHARED_N is the length of
# the shortest stock phrase a reader would name (意识形态工作, 6 characters): with 8-grams, a
# 6-character phrase found in 8 documents passed as distinctive text.
STOCK_N, STOCK_DOCS, STOCK_MIN_SHARE, DISTINCT_RUN = 8, 4, 0.5, 12
SHARED_N = 6
CLAUSE_MARK = re.compile("[，,：:；;]")


@dataclass(frozen=True, slots=True)
class Case:
    draft: str
    start: int  # draft span
    end: int
    doc: str  # FILE#N
    file: str
    source_start: int  # source FILE offsets
    source_end: int
    obfuscation: str  # the kind
    text: str = ""  # the copied text as generated (trimmed); the draft at [start, end)
    note: str = ""  # restructure: split / merge; retarget: what was renamed
    swaps: tuple[tuple[str, str], ...] = ()  # paraphrase: (old, new) word swaps
    content_words: int = 0  # paraphrase: content words the swaps were drawn from

    @property
    def kind(self) -> str:
        return self.obfuscation

    def annotation(self) -> Annotation:
        return Annotation(self.draft, self.start, self.end, self.doc, self.source_start, self.source_end)


@dataclass(frozen=True, slots=True)
class Draft:
    name: str
    text: str
    cases: tuple[Case, ...]
    originals: tuple[tuple[int, int], ...]  # spans of ordinary original paragraphs
    stock_originals: tuple[tuple[int, int], ...] = ()  # spans of stock-phrase-heavy originals
    frames: tuple[tuple[int, int], ...] = ()  # the clause kind's own sentences (piece inside)


def is_content(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in "PZSC"


def trim(text: str, lo: int, hi: int) -> tuple[int, int]:
    """[lo, hi) shrunk to start and end on content characters."""
    while lo < hi and not is_content(text[lo]):
        lo += 1
    while hi > lo and not is_content(text[hi - 1]):
        hi -= 1
    return lo, hi


def _trimmed(text: str) -> str:
    return text[slice(*trim(text, 0, len(text)))]


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    start: int  # offsets into doc.text
    end: int


@dataclass(frozen=True, slots=True)
class _Piece(_Sentence):
    sentence: int  # start of the sentence it is part of


# ---------------------------------------------------------------- source passages

class _Source:
    """The corpus documents cut into paragraphs of sentences, plus what the kinds need."""

    def __init__(self, documents) -> None:
        self.docs = [d for d in documents if d.text]
        self.rule = ThirteenCharRule(self.docs)
        self.paragraphs: dict[str, list[list[_Sentence]]] = {}
        for doc in self.docs:
            paras = []
            pos = 0
            for n, line in enumerate(doc.text.split("\n")):
                if n > 0 and not FORBIDDEN.search(line):  # line 0 is the title
                    sents = [
                        _Sentence(m.group(), pos + m.start(), pos + m.end())
                        for m in SENTENCE.finditer(line) if m.group().strip()
                    ]
                    if len(sents) >= 2:
                        paras.append(sents)
                pos += len(line) + 1
            self.paragraphs[doc.name] = paras
        self.docs = [d for d in self.docs if self.paragraphs[d.name]]
        self.by_name = {d.name: d for d in self.docs}
        self._nearstock: list | None = None

    def shared_share(self, doc, text: str) -> float:
        """Share of the content characters of ``text`` in 13-runs also found in another document."""
        chars, _ = content_chars(text)
        k = self.rule.k
        covered = [False] * len(chars)
        for i in range(len(chars) - k + 1):
            if self.rule.documents_with(chars[i : i + k]) - {doc.name}:
                covered[i : i + k] = [True] * k
        return sum(covered) / max(len(chars), 1)

    def run(self, rng: random.Random, *, sentences: tuple[int, int], chars: tuple[int, int],
            min_sentence: int = 8, exclude=(), prefer=None, accept=None, tries: int = 400):
        """A run of consecutive sentences of one paragraph: (doc, [sentences]).

        ``accept(doc, sents)`` must hold; ``prefer(text)`` should (a passage failing it is
        kept as a fallback)."""
        fallback = None
        for _ in range(tries):
            doc = rng.choice(self.docs)
            paras = self.paragraphs[doc.name]
            para = rng.choice(paras)
            n = rng.randint(*sentences)
            if len(para) < n:
                continue
            first = rng.randrange(len(para) - n + 1)
            sents = para[first : first + n]
            if _overlaps(exclude, doc.name, sents[0].start, sents[-1].end):
                continue  # overlaps a passage already used in this draft: ambiguous ground truth
            lengths = [len(content_chars(s.text)[0]) for s in sents]
            if min(lengths) < min_sentence or not chars[0] <= sum(lengths) <= chars[1]:
                continue
            if accept is not None and not accept(doc, sents):
                continue
            text = "".join(s.text for s in sents)
            if self.shared_share(doc, text) > MAX_SHARED:
                continue
            if prefer is not None and not prefer(text):
                fallback = fallback or (doc, sents)
                continue
            return doc, sents
        if fallback is None:
            raise RuntimeError("no source passage fits; is the index empty?")
        return fallback

    def nearstock(self) -> list[tuple[object, _Piece]]:
        """Clause-aligned pieces of sentences (20–90 content characters) more than half stock
        phrasing, with a run of ≥ DISTINCT_RUN characters found in no other document."""
        if self._nearstock is not None:
            return self._nearstock
        k = STOCK_N
        docs_with: dict[str, set[str]] = defaultdict(set)
        for doc in self.docs:
            chars, _ = content_chars(doc.text)
            for n in {k, SHARED_N}:
                for i in range(len(chars) - n + 1):
                    docs_with[chars[i : i + n]].add(doc.name)
        found = []
        for doc in self.docs:
            for para in self.paragraphs[doc.name]:
                for s in para:
                    bounds = [0] + [m.end() for m in CLAUSE_MARK.finditer(s.text)] + [len(s.text)]
                    for a in range(len(bounds) - 1):
                        for b in range(a + 1, len(bounds)):
                            lo, hi = trim(s.text, bounds[a], bounds[b])
                            chars, _ = content_chars(s.text[lo:hi])
                            if not 20 <= len(chars) <= 90 or not balanced(s.text[lo:hi]):
                                continue
                            stock = [False] * len(chars)
                            shared = [False] * len(chars)
                            for i in range(len(chars) - k + 1):
                                if len(docs_with[chars[i : i + k]]) >= STOCK_DOCS:
                                    stock[i : i + k] = [True] * k
                            for i in range(len(chars) - SHARED_N + 1):
                                if len(docs_with[chars[i : i + SHARED_N]]) >= 2:
                                    shared[i : i + SHARED_N] = [True] * SHARED_N
                            longest = run = 0
                            for x in shared:
                                run = 0 if x else run + 1
                                longest = max(longest, run)
                            if sum(stock) > STOCK_MIN_SHARE * len(chars) and longest >= DISTINCT_RUN:
                                found.append((doc, _Piece(s.text[lo:hi], s.start + lo, s.start + hi, s.start)))
        self._nearstock = found
        return found


def _overlaps(used, name: str, lo: int, hi: int) -> bool:
    return any(n == name and a < hi and lo < b for n, a, b in used)


_SOURCES: dict[tuple, _Source] = {}


def _source(documents) -> _Source:
    key = tuple((d.name, d.start, len(d.text)) for d in documents)
    if key not in _SOURCES:
        _SOURCES.clear()
        _SOURCES[key] = _Source(documents)
    return _SOURCES[key]


# ---------------------------------------------------------------- units

@dataclass(slots=True)
class _CaseInfo:
    doc: object
    start: int  # source span in doc.text (untrimmed)
    end: int
    kind: str
    note: str = ""
    swaps: tuple = ()
    content_words: int = 0


@dataclass(slots=True)
class _Seg:
    """A piece of a paragraph: copied (with its case), or original text of some role."""

    text: str
    role: str  # "copy", "original", "stock", "frame"
    case: _CaseInfo | None = None
    inner: tuple[int, int] | None = None  # frame: the copied piece's offsets in text


@dataclass(slots=True)
class _Unit:
    paragraphs: list[list[_Seg]]
    edges: tuple[str, str] = ("copy", "copy")  # what may be glued to it: "copy", "orig" or "fixed"


CUT_EDGE = 0.3  # chance that a passage starts (or ends) at a clause inside its first (last) sentence
_CLAUSE_END = re.compile("[，,：:]")


def _cut_edges(sents: list[_Sentence], rng: random.Random) -> list[_Sentence]:
    """Drafters copy parts of sentences too: sometimes drop the leading clauses of the first
    sentence or the trailing clauses of the last one (the cut passage then ends with 。)."""
    sents = list(sents)
    first = sents[0]
    cuts = [m.end() for m in _CLAUSE_END.finditer(first.text)
            if len(content_chars(first.text[m.end():])[0]) >= 12]
    if cuts and rng.random() < CUT_EDGE:
        c = rng.choice(cuts)
        sents[0] = _Sentence(first.text[c:], first.start + c, first.end)
    last = sents[-1]
    cuts = [m.start() for m in _CLAUSE_END.finditer(last.text)
            if len(content_chars(last.text[: m.start()])[0]) >= 12]
    if cuts and rng.random() < CUT_EDGE:
        c = rng.choice(cuts)
        sents[-1] = _Sentence(last.text[:c] + "。", last.start, last.start + c)
    return sents


def _closed(sents: list[_Sentence]) -> list[_Sentence]:
    """Every sentence ends with a sentence mark in the draft. A source sentence that ends its
    line without one (…总结如下：) would otherwise run into whatever the draft puts next and
    make one sentence of two sources, which no drafter's 。 would allow. The mark is
    punctuation, so the trimmed ground truth does not change."""
    out = []
    for s in sents:
        text = s.text.rstrip()
        if text and text[-1] not in ENDS:
            text = text.rstrip("：:，,、") + "。"
        out.append(_Sentence(text, s.start, s.end))
    return out


def _copy(text: str, doc, lo: int, hi: int, kind: str, **info) -> _Seg:
    return _Seg(text, "copy", _CaseInfo(doc, lo, hi, kind, **info))


def _single_case(doc, sents: list[_Sentence], text: str, kind: str, **info) -> _Unit:
    return _Unit([[_copy(text, doc, sents[0].start, sents[-1].end, kind, **info)]])


def _mosaic(src: _Source, rng: random.Random, used: set, kind: str, sources: int) -> _Unit:
    runs = []
    while len(runs) < sources:
        n = (2, 3) if not runs and sources == 2 else (2, 2)
        doc, sents = src.run(rng, sentences=n, chars=(30, 260), min_sentence=15, exclude=used)
        if any(doc.name == d.name for d, _ in runs):
            continue
        used.add((doc.name, sents[0].start, sents[-1].end))
        runs.append((doc, _closed(sents)))
    segs = []
    for i in range(max(len(s) for _, s in runs)):
        segs += [_copy(s[i].text, doc, s[i].start, s[i].end, kind) for doc, s in runs if i < len(s)]
    return _Unit([segs])


def _clause_piece(src: _Source, rng: random.Random, used: set):
    """(doc, sentence, piece): whole clauses, 20–60 content characters, of a sentence at
    least 1.5× as long, not shared with other documents."""
    def pieces(doc, sent: _Sentence):
        total = len(content_chars(sent.text)[0])
        bounds = [0] + [m.end() for m in CLAUSE_MARK.finditer(sent.text)] + [len(sent.text)]
        out = []
        for a in range(len(bounds) - 1):
            for b in range(a + 1, len(bounds)):
                lo, hi = trim(sent.text, bounds[a], bounds[b])
                n = len(content_chars(sent.text[lo:hi])[0])
                if 20 <= n <= 60 and total >= 1.5 * n and balanced(sent.text[lo:hi]):
                    out.append((lo, hi))
        return out

    for _ in range(200):
        doc, (sent,) = src.run(rng, sentences=(1, 1), chars=(30, 250), exclude=used,
                               accept=lambda d, s: bool(pieces(d, s[0])))
        lo, hi = rng.choice(pieces(doc, sent))
        piece = _Sentence(sent.text[lo:hi], sent.start + lo, sent.start + hi)
        if src.shared_share(doc, piece.text) <= MAX_SHARED:
            return doc, piece
    raise RuntimeError("no clause piece fits")


def _unit(src: _Source, kind: str, rng: random.Random, used: set, originals) -> _Unit:
    """One unit of ``kind``; ``originals()`` draws an original paragraph (a _Seg) when the
    unit needs one (clause, single)."""
    if kind == "mosaic":
        return _mosaic(src, rng, used, kind, 2)
    if kind == "mosaic3":
        return _mosaic(src, rng, used, kind, 3)
    if kind == "clause":
        doc, piece = _clause_piece(src, rng, used)
        used.add((doc.name, piece.start, piece.end))
        prefix, suffix = rng.choice(CLAUSE_FRAMES)
        frame = _Seg(prefix + piece.text + suffix, "frame", _CaseInfo(doc, piece.start, piece.end, kind),
                     (len(prefix), len(prefix) + len(piece.text)))
        own = originals()
        para = [own, frame] if rng.random() < 0.5 else [frame, own]
        return _Unit([para], ("fixed", "fixed"))
    if kind == "single":
        doc, sents = src.run(rng, sentences=(1, 1), chars=(25, 70), exclude=used)
        used.add((doc.name, sents[0].start, sents[-1].end))
        (s,) = _closed(sents)
        return _Unit([[originals()], [_copy(s.text, doc, s.start, s.end, kind)], [originals()]], ("orig", "orig"))
    if kind == "nearstock":
        # a source sentence first, then one of its pieces: a sentence with many clauses
        # would otherwise supply most cases
        by_sentence: dict[tuple, list] = defaultdict(list)
        for d, s in src.nearstock():
            if not _overlaps(used, d.name, s.start, s.end):
                by_sentence[d.name, s.sentence].append((d, s))
        doc, s = rng.choice(by_sentence[rng.choice(sorted(by_sentence))])
        used.add((doc.name, s.start, s.end))
        return _single_case(doc, [s], s.text + "。", kind)
    if kind == "long":
        doc, sents = src.run(rng, sentences=(10, 20), chars=(200, 2000), min_sentence=4, exclude=used)
        used.add((doc.name, sents[0].start, sents[-1].end))
        return _single_case(doc, sents, "".join(s.text for s in _closed(sents)), kind)
    if kind == "restructure":
        if rng.random() < 0.5:
            doc, sents = src.run(rng, sentences=(1, 1), chars=(40, 160), exclude=used,
                                 accept=lambda d, s: bool(split_points(s[0].text.rstrip().rstrip(ENDS))))
            used.add((doc.name, sents[0].start, sents[-1].end))
            (s,) = _closed(sents)
            return _single_case(doc, sents, split_sentence(s.text, rng), kind, note="split")
        doc, sents = src.run(
            rng, sentences=(2, 2), chars=(25, 80), min_sentence=10, exclude=used,
            accept=lambda d, s: s[0].text.rstrip()[-1:] in "。！？" and max(
                len(content_chars(x.text)[0]) for x in s) <= 40)
        used.add((doc.name, sents[0].start, sents[-1].end))
        a, b = _closed(sents)
        return _single_case(doc, sents, merge_sentences(a.text, b.text), kind, note="merge")
    if kind in PARAPHRASE_RATES:
        for _ in range(200):
            doc, sents = src.run(rng, sentences=(2, 4), chars=(60, 260), exclude=used)
            p = paraphrase("".join(s.text for s in _closed(sents)), PARAPHRASE_RATES[kind], rng)
            if p is not None:
                used.add((doc.name, sents[0].start, sents[-1].end))
                return _single_case(doc, sents, p.text, kind, swaps=p.swaps, content_words=p.content_words,
                                    note=f"{len(p.swaps)}/{p.content_words} words swapped")
        raise RuntimeError("no passage can be paraphrased")
    if kind == "retarget":
        doc, sents = src.run(rng, sentences=(3, 6), chars=(80, 360), exclude=used,
                             prefer=lambda t: retarget_changes(t) >= 2)
        used.add((doc.name, sents[0].start, sents[-1].end))
        text, note = retarget("".join(s.text for s in _closed(sents)), rng)
        return _single_case(doc, sents, text, kind, note=note)
    if kind == "reorder":
        doc, sents = src.run(rng, sentences=(4, 5), chars=(80, 360), exclude=used)
        used.add((doc.name, sents[0].start, sents[-1].end))
        kept = _closed(sents)
        del kept[rng.randrange(len(kept))]
        shuffled = kept[:]
        while shuffled == kept:
            rng.shuffle(shuffled)
        lo, hi = min(s.start for s in kept), max(s.end for s in kept)
        return _Unit([[_copy("".join(s.text for s in shuffled), doc, lo, hi, kind)]])
    # verbatim, masks, light (an edit that changes nothing would be a verbatim case: retried)
    while True:
        doc, sents = src.run(rng, sentences=(2, 5), chars=(60, 320), exclude=used,
                             prefer=(lambda t: mask_changes(t) >= 2) if kind == "masks" else None)
        cut = _closed(_cut_edges(sents, rng))
        original = "".join(s.text for s in cut)
        if kind == "masks":
            text = obfuscate_masks(original, rng)
        elif kind == "light":
            text = obfuscate_light(original, rng)
        else:
            text = original
        if kind == "verbatim" or _trimmed(text) != _trimmed(original):
            used.add((doc.name, sents[0].start, sents[-1].end))
            return _single_case(doc, cut, text, kind)


# ---------------------------------------------------------------- drafts

@dataclass(slots=True)
class _Assembly:
    name: str
    text: str = ""
    cases: list[Case] = field(default_factory=list)
    spans: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: {"original": [], "stock": [], "frame": []})

    def add(self, seg: _Seg) -> None:
        base = len(self.text)
        self.text += seg.text
        if seg.role in self.spans:
            self.spans[seg.role].append(trim(self.text, base, len(self.text)))
        c = seg.case
        if c is None:
            return
        a, b = seg.inner or (0, len(seg.text))
        d0, d1 = trim(self.text, base + a, base + b)
        t0, t1 = trim(c.doc.text, c.start, c.end)
        self.cases.append(Case(
            self.name, d0, d1, c.doc.name, c.doc.file, c.doc.start + t0, c.doc.start + t1, c.kind,
            _trimmed(seg.text[a:b]), c.note, c.swaps, c.content_words,
        ))


class _Originals:
    """Draws a draft's original paragraphs, none twice: a stock-phrase-heavy one with
    probability STOCK_SHARE, else an ordinary one."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools = {"original": list(ORIGINALS), "stock": list(STOCK_HEAVY)}

    def __call__(self) -> _Seg:
        role = "stock" if self.rng.random() < STOCK_SHARE else "original"
        pool = self.pools[role]
        return _Seg(pool.pop(self.rng.randrange(len(pool))), role)


def generate(documents, *, seed: int, drafts: int = 60, prefix: str = "") -> list[Draft]:
    """``drafts`` drafts, each with 2–4 copied units (a mosaic unit holds 4–5 cases, a
    mosaic3 unit 6) and 1–3 original paragraphs (plus those a clause or single unit brings)
    in a shuffled order, drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    src = _source(documents)
    kinds: list[str] = []
    out = []
    for n in range(drafts):
        name = f"{prefix}draft{seed:03d}_{n:03d}"
        used: set = set()
        original = _Originals(rng)
        units = []
        for _ in range(rng.randint(2, 4)):
            if not kinds:  # balanced by cases, in a shuffled order (see UNIT_WEIGHTS)
                kinds = [t for t in TYPES for _ in range(UNIT_WEIGHTS[t])]
                rng.shuffle(kinds)
            units.append(_unit(src, kinds.pop(), rng, used, original))
        units += [_Unit([[original()]], ("orig", "orig")) for _ in range(rng.randint(1, 3))]
        rng.shuffle(units)
        indent = "\u3000\u3000" if rng.random() < 0.5 else ""
        draft = _Assembly(name)
        prev_edge = None
        for unit in units:
            for p, para in enumerate(unit.paragraphs):
                # A copied unit is sometimes glued to an original paragraph (before or after
                # it), as a drafter pads their own paragraph with a borrowed passage.
                glue = p == 0 and {prev_edge, unit.edges[0]} == {"orig", "copy"} and rng.random() < 0.3
                if draft.text and not glue:
                    draft.text += "\n"
                if not glue:
                    draft.text += indent
                for seg in para:
                    draft.add(seg)
            prev_edge = unit.edges[1]
        draft.text += "\n"
        out.append(Draft(name, draft.text, tuple(draft.cases), tuple(draft.spans["original"]),
                         tuple(draft.spans["stock"]), tuple(draft.spans["frame"])))
    return out
