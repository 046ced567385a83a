"""Seeded generator of test drafts for the PAN-style evaluation.

A draft mixes original paragraphs (eval_originals.py) with passages taken from the indexed
corpus under one of five obfuscations, each its own type label:

* ``verbatim`` — the passage as it is;
* ``masks``    — what a drafter does with a template: masks filled in (XX → numbers or place
                 names, x.x → a decimal), years moved on by one, D written 党 again, place
                 levels swapped (县委 ↔ 区委, 全镇 → 全乡 …);
* ``light``    — light edits: one clause dropped (an interior one, at most 40 % of its
                 sentence), up to three synonym swaps of whole words (jieba's word
                 boundaries) from a small table, filler words (进一步, 切实 …) inserted
                 before one or two verbs;
* ``reorder``  — four or five sentences, one dropped, the rest shuffled;
* ``mosaic``   — sentences of two sources interleaved; every sentence is its own case.

Ground truth per case: the span in the draft and the span in the source FILE's text (as
check reports them: document start + offset in the document), and the source document's
name. Spans are trimmed to content characters at both ends (no punctuation or whitespace
at the edges), the convention check's README states for its own spans, so a detection is
neither rewarded nor punished for a trailing 。.

Source passages are sentences of one paragraph of one document; a verbatim, masks or light
passage sometimes starts or ends at a clause inside its edge sentence (drafters copy parts
of sentences too; the draft then closes it with 。). A passage most of whose
characters also occur (in runs of 13+) in another document is not used: which document it
was "taken from" would be a coin toss, and a right answer could be scored wrong.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from eval_baseline import ThirteenCharRule, content_chars
from eval_measures import Annotation
from eval_originals import ORIGINALS

TYPES = ("verbatim", "masks", "light", "reorder", "mosaic")
# Units of each type per shuffled cycle. A mosaic unit holds four or five cases, the others
# one, so every type contributes about as many cases and none dominates the overall scores.
UNIT_WEIGHTS = {"verbatim": 9, "masks": 9, "light": 9, "reorder": 9, "mosaic": 2}
MAX_SHARED = 0.3  # a passage may share at most this share of its characters with other documents
FORBIDDEN = re.compile(r"#|【|素材|代笔|本文系|目录|\t")
SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]|[^。！？；!?;]+$")

SYNONYMS = (
    ("加强", "强化"), ("推进", "推动"), ("落实", "贯彻"), ("提升", "提高"), ("完善", "健全"),
    ("积极", "主动"), ("确保", "保证"), ("开展", "组织"), ("认真", "扎实"), ("不断", "持续"),
    ("群众", "老百姓"), ("目前", "当前"), ("同时", "此外"), ("有效", "切实"), ("全面", "全方位"),
    ("重点", "关键"), ("工作人员", "干部职工"), ("召开", "举行"), ("组织", "安排"), ("明显", "显著"),
)
FILLERS = ("进一步", "切实", "扎实", "持续", "不断")
FILLER_BEFORE = ("加强", "推进", "落实", "提升", "做好", "开展", "完善", "推动", "强化", "提高", "优化", "规范")
PLACE_SWAPS = {
    "县委": "区委", "县政府": "区政府", "全县": "全区", "我县": "我区", "县级": "区级", "本县": "本区",
    "区委": "县委", "区政府": "县政府", "全区": "全县", "我区": "我县", "区级": "县级", "本区": "本县",
    "全镇": "全乡", "我镇": "我乡", "镇党委": "乡党委", "镇政府": "乡政府", "全乡": "全镇", "乡党委": "镇党委",
}
PLACE_NAMES = ("清河", "东阳", "柳林", "石门", "安平", "青山", "永和", "白沙")
PLACE_AFTER = ("镇", "县", "区", "村", "乡", "街道", "市", "社区", "中学", "小学")
_PLACE_RE = re.compile("|".join(sorted(PLACE_SWAPS, key=len, reverse=True)))
_MASK_RE = re.compile(r"x\.x|X\.X|(?<![A-Za-z])[Xx]+(?![A-Za-z])")
_YEAR_RE = re.compile(r"20(1[5-9]|2[0-5])(?=年|$|[^0-9])")
_D_RE = re.compile(r"(?<![A-Za-z])D(?![A-Za-z])")


@dataclass(frozen=True, slots=True)
class Case:
    draft: str
    start: int  # draft span
    end: int
    doc: str  # FILE#N
    file: str
    source_start: int  # source FILE offsets
    source_end: int
    obfuscation: str

    def annotation(self) -> Annotation:
        return Annotation(self.draft, self.start, self.end, self.doc, self.source_start, self.source_end)


@dataclass(frozen=True, slots=True)
class Draft:
    name: str
    text: str
    cases: tuple[Case, ...]
    originals: tuple[tuple[int, int], ...]  # spans of original paragraphs


def is_content(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in "PZSC"


def trim(text: str, lo: int, hi: int) -> tuple[int, int]:
    """[lo, hi) shrunk to start and end on content characters."""
    while lo < hi and not is_content(text[lo]):
        lo += 1
    while hi > lo and not is_content(text[hi - 1]):
        hi -= 1
    return lo, hi


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    start: int  # offsets into doc.text
    end: int


# ---------------------------------------------------------------- obfuscations

def obfuscate_masks(text: str, rng: random.Random) -> str:
    def fill(m: re.Match) -> str:
        if "." in m.group():
            return f"{rng.randint(1, 9)}.{rng.randint(1, 9)}"
        after = text[m.end() : m.end() + 2]
        if any(after.startswith(p) for p in PLACE_AFTER):
            return rng.choice(PLACE_NAMES)
        return str(rng.randint(2, 98))

    text = _MASK_RE.sub(fill, text)
    text = _YEAR_RE.sub(lambda m: str(int(m.group()) + 1), text)
    text = _D_RE.sub("党", text)
    return _PLACE_RE.sub(lambda m: PLACE_SWAPS[m.group()], text)


def mask_changes(text: str) -> int:
    """How many places obfuscate_masks would change (to prefer passages it applies to)."""
    return sum(len(r.findall(text)) for r in (_MASK_RE, _YEAR_RE, _D_RE, _PLACE_RE))


def _words(text: str) -> list[tuple[str, int, int]]:
    # jieba's word boundaries keep a swap from hitting the middle of a word
    # (目前 inside 项目前期 is not the word 目前).
    import jieba

    jieba.setLogLevel(60)
    return list(jieba.tokenize(text))


def obfuscate_light(text: str, rng: random.Random) -> str:
    # 1. drop one interior clause (at most 40 % of its sentence) of a sentence with 3+ clauses
    sentences = SENTENCE.findall(text)
    options = [
        (i, n) for i, s in enumerate(sentences)
        for n, c in enumerate(re.split(r"(?<=[，,])", s)[1:-1], start=1)
        if len(re.findall("[，,]", s)) >= 2 and len(c) <= 0.4 * len(s)
    ]
    if options:
        i, drop = rng.choice(options)
        clauses = re.split(r"(?<=[，,])", sentences[i])
        sentences[i] = "".join(c for n, c in enumerate(clauses) if n != drop)
        text = "".join(sentences)
    # 2. up to three synonym swaps of whole words
    table = dict(SYNONYMS)
    spots = [(a, b, table[w]) for w, a, b in _words(text) if w in table]
    for a, b, new in sorted(rng.sample(spots, min(3, len(spots))), reverse=True):
        text = text[:a] + new + text[b:]
    # 3. one or two filler words before verbs not already preceded by one
    verbs = [a for w, a, _ in _words(text)
             if w in FILLER_BEFORE and not any(text[:a].endswith(f) for f in FILLERS)]
    for pos in sorted(rng.sample(verbs, min(len(verbs), rng.randint(1, 2))), reverse=True):
        text = text[:pos] + rng.choice(FILLERS) + text[pos:]
    return text


# ---------------------------------------------------------------- source passages

class _Source:
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
            min_sentence: int = 8, exclude=(), prefer_masks: bool = False, tries: int = 400):
        """A run of consecutive sentences of one paragraph: (doc, [sentences])."""
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
            if any(name == doc.name and lo < sents[-1].end and sents[0].start < hi for name, lo, hi in exclude):
                continue  # overlaps a passage already used in this draft: ambiguous ground truth
            lengths = [len(content_chars(s.text)[0]) for s in sents]
            if min(lengths) < min_sentence or not chars[0] <= sum(lengths) <= chars[1]:
                continue
            text = "".join(s.text for s in sents)
            if self.shared_share(doc, text) > MAX_SHARED:
                continue
            if prefer_masks and mask_changes(text) < 2:
                fallback = fallback or (doc, sents)
                continue
            return doc, sents
        if fallback is None:
            raise RuntimeError("no source passage fits; is the index empty?")
        return fallback


# ---------------------------------------------------------------- drafts

@dataclass(slots=True)
class _Piece:
    text: str
    # (offset in text, end, doc, source start in doc.text, end, obfuscation); offsets untrimmed
    cases: list[tuple[int, int, object, int, int, str]]
    original: bool = False


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


_ENDS = "。！？；!?;"


def _closed(sents: list[_Sentence]) -> list[_Sentence]:
    """Every sentence ends with a sentence mark in the draft. A source sentence that ends its
    line without one (…总结如下：) would otherwise run into whatever the draft puts next and
    make one sentence of two sources, which no drafter's 。 would allow. The mark is
    punctuation, so the trimmed ground truth does not change."""
    out = []
    for s in sents:
        text = s.text.rstrip()
        if text and text[-1] not in _ENDS:
            text = text.rstrip("：:，,、") + "。"
        out.append(_Sentence(text, s.start, s.end))
    return out


def _unit(src: _Source, kind: str, rng: random.Random, used: set) -> _Piece:
    if kind == "mosaic":
        first, sents_a = src.run(rng, sentences=(2, 3), chars=(30, 260), min_sentence=15, exclude=used)
        while True:
            second, sents_b = src.run(rng, sentences=(2, 2), chars=(30, 200), min_sentence=15, exclude=used)
            if second.name != first.name:
                break
        used.update({(first.name, sents_a[0].start, sents_a[-1].end),
                     (second.name, sents_b[0].start, sents_b[-1].end)})
        sents_a, sents_b = _closed(sents_a), _closed(sents_b)
        order = []
        for i in range(max(len(sents_a), len(sents_b))):
            order += [(first, s) for s in sents_a[i : i + 1]] + [(second, s) for s in sents_b[i : i + 1]]
        text, cases = "", []
        for doc, s in order:
            cases.append((len(text), len(text) + len(s.text), doc, s.start, s.end, kind))
            text += s.text
        return _Piece(text, cases)
    if kind == "reorder":
        doc, sents = src.run(rng, sentences=(4, 5), chars=(80, 360), exclude=used)
        kept = _closed(sents)
        del kept[rng.randrange(len(kept))]
        shuffled = kept[:]
        while shuffled == kept:
            rng.shuffle(shuffled)
        text = "".join(s.text for s in shuffled)
        lo, hi = min(s.start for s in kept), max(s.end for s in kept)
    else:
        doc, sents = src.run(rng, sentences=(2, 5), chars=(60, 320), exclude=used,
                             prefer_masks=kind == "masks")
        used.add((doc.name, sents[0].start, sents[-1].end))
        sents = _closed(_cut_edges(sents, rng))
        original = "".join(s.text for s in sents)
        lo, hi = sents[0].start, sents[-1].end
        if kind == "masks":
            text = obfuscate_masks(original, rng)
        elif kind == "light":
            text = obfuscate_light(original, rng)
        else:
            text = original
    used.add((doc.name, sents[0].start, sents[-1].end))
    return _Piece(text, [(0, len(text), doc, lo, hi, kind)])


def generate(documents, *, seed: int, drafts: int = 60, prefix: str = "") -> list[Draft]:
    """``drafts`` drafts, each with 2–4 copied units (a mosaic unit holds 4–5 cases) and
    1–3 original paragraphs in a shuffled order, drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    src = _Source(documents)
    kinds: list[str] = []
    out = []
    for n in range(drafts):
        name = f"{prefix}draft{seed:03d}_{n:03d}"
        used: set = set()
        units = []
        for _ in range(rng.randint(2, 4)):
            if not kinds:  # balanced by cases, in a shuffled order (see UNIT_WEIGHTS)
                kinds = [t for t in TYPES for _ in range(UNIT_WEIGHTS[t])]
                rng.shuffle(kinds)
            units.append(_unit(src, kinds.pop(), rng, used))
        originals = [_Piece(t, [], True) for t in rng.sample(ORIGINALS, rng.randint(1, 3))]
        pieces = units + originals
        rng.shuffle(pieces)
        indent = "\u3000\u3000" if rng.random() < 0.5 else ""
        text = ""
        cases: list[Case] = []
        orig_spans: list[tuple[int, int]] = []
        prev_original = False
        for piece in pieces:
            # A copied unit is sometimes glued to an original paragraph (before or after it),
            # as a drafter pads their own paragraph with a borrowed passage.
            glue = text and prev_original != piece.original and rng.random() < 0.3
            if text and not glue:
                text += "\n"
            if not glue:
                text += indent
            base = len(text)
            text += piece.text
            if piece.original:
                orig_spans.append(trim(text, base, len(text)))
            for a, b, doc, s0, s1, kind in piece.cases:
                d0, d1 = trim(text, base + a, base + b)
                t0, t1 = trim(doc.text, s0, s1)
                cases.append(Case(name, d0, d1, doc.name, doc.file, doc.start + t0, doc.start + t1, kind))
            prev_original = piece.original
        text += "\n"
        out.append(Draft(name, text, tuple(cases), tuple(orig_spans)))
    return out
