"""The evaluation instrument (benchmarks/eval_*.py): PAN measures, generator, 13-char baseline."""

from __future__ import annotations

import math
import random
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

from eval_baseline import ThirteenCharRule, content_chars, longest_source  # noqa: E402
from eval_generate import (  # noqa: E402
    PARAPHRASE_RATES,
    TYPES,
    VERBATIM_KINDS,
    generate,
    is_content,
    obfuscate_masks,
    trim,
)
from eval_measures import (  # noqa: E402
    Annotation,
    attribution,
    flagged_share,
    granularity,
    macro_precision,
    macro_recall,
    plagdet,
    score,
)
from eval_originals import CLAUSE_FRAMES, ORIGINALS, STOCK_HEAVY  # noqa: E402
from eval_synonyms import GROUPS, ONE_WAY, alternatives, is_content_word  # noqa: E402
from eval_transforms import merge_sentences, paraphrase, split_sentence, words  # noqa: E402

from chachong import open_index  # noqa: E402

from ..conftest import CORPUS  # noqa: E402


def ann(start, end, s_start, s_end, doc="A", draft="d1"):
    return Annotation(draft, start, end, doc, s_start, s_end)


CASE = ann(0, 100, 1000, 1100)


# ------------------------------------------------------------------ measures, answers by hand

def test_half_detected_case():
    half = ann(0, 50, 1000, 1050)
    # recall (50 draft + 50 source) / (100 + 100); the detection is all inside the case
    assert macro_recall([CASE], [half]) == 0.5
    assert macro_precision([CASE], [half]) == 1.0
    assert granularity([CASE], [half]) == 1.0
    assert plagdet(1.0, 0.5, 1.0) == pytest.approx(2 / 3)


def test_case_found_in_two_pieces():
    dets = [ann(0, 50, 1000, 1050), ann(50, 100, 1050, 1100)]
    s = score([CASE], dets)
    assert (s.precision, s.recall, s.granularity) == (1.0, 1.0, 2.0)
    assert s.plagdet == pytest.approx(1 / math.log2(3))


def test_too_long_detection_and_pan_precision_example():
    long = ann(0, 200, 1000, 1200)
    assert macro_precision([CASE], [long]) == 0.5  # 200 of its 400 characters are the case
    beside = ann(100, 200, 1100, 1200)  # touches the case but does not overlap it
    # PAN's own example: detections (beside: 0, long: 0.5) average to 0.25
    assert macro_precision([CASE], [beside, long]) == 0.25
    assert granularity([CASE], [beside, long]) == 1.0


def test_sides_and_wrong_document():
    wrong = ann(0, 100, 1000, 1100, doc="B")
    assert macro_recall([CASE], [wrong], "both") == 0.0
    assert macro_recall([CASE], [wrong], "draft") == 1.0  # the draft side ignores the source
    assert macro_recall([CASE], [wrong], "source") == 0.0
    shifted = ann(0, 100, 1050, 1150)  # right draft span, source half off
    assert macro_recall([CASE], [shifted], "source") == 0.5
    assert macro_recall([CASE], [shifted], "both") == 0.75  # (100 + 50) / 200
    other_draft = ann(0, 100, 1000, 1100, draft="d2")
    assert macro_recall([CASE], [other_draft], "draft") == 0.0


def test_undetected_case_and_false_detection():
    missed = ann(300, 400, 5000, 5100)
    false = ann(600, 650, 9000, 9050, doc="C")
    s = score([CASE, missed], [CASE, false])
    assert s.recall == 0.5 and s.precision == 0.5
    assert s.granularity == 1.0  # only detected cases count
    empty = score([], [])  # PAN: no cases and no detections is a perfect score
    assert (empty.precision, empty.recall, empty.granularity, empty.plagdet) == (1.0, 1.0, 1.0, 1.0)
    assert macro_recall([CASE], []) == 0.0 and macro_precision([], [CASE]) == 0.0


def test_attribution_takes_the_main_detection():
    right = ann(0, 80, 1000, 1080)
    wrong = ann(80, 100, 7000, 7020, doc="B")
    assert attribution([CASE], [right, wrong]) == (1.0, 1)
    assert attribution([CASE], [ann(0, 20, 1000, 1020), ann(20, 100, 7000, 7080, doc="B")]) == (0.0, 1)
    assert attribution([CASE], []) == (0.0, 0)


def test_flagged_share_counts_non_space_characters():
    texts = {"d1": "ab cd\nxyz"}
    dets = [ann(0, 2, 0, 2)]
    share, chars = flagged_share({"d1": [(0, 5)]}, texts, dets)
    assert (share, chars) == (0.5, 4)


# ------------------------------------------------------------------ generator

@pytest.fixture(scope="module")
def documents(corpus_index_path):
    # The SQLite index only: the evaluation measures check, not the storage backends.
    with open_index(corpus_index_path) as store:
        return store.documents()


@pytest.fixture(scope="module")
def drafts(documents):
    return generate(documents, seed=7, drafts=6)


def test_generator_is_reproducible(documents, drafts):
    again = generate(documents, seed=7, drafts=6)
    assert [(d.text, d.cases, d.originals) for d in again] == [(d.text, d.cases, d.originals) for d in drafts]
    assert generate(documents, seed=8, drafts=6)[0].text != drafts[0].text


def _trimmed(text):
    return text[slice(*trim(text, 0, len(text)))]


@pytest.fixture(scope="module")
def files():
    return {p.name: p.read_text(encoding="utf-8") for p in CORPUS.iterdir()}


@pytest.fixture(scope="module")
def seed_drafts(documents):
    """The evaluation's own drafts (default count) of its three seeds."""
    from evaluate import DEFAULT_DRAFTS, DEFAULT_SEEDS

    return {seed: generate(documents, seed=seed, drafts=DEFAULT_DRAFTS) for seed in DEFAULT_SEEDS}


def _cases(seed_drafts, kind):
    return [(d, c) for drafts in seed_drafts.values() for d in drafts for c in d.cases if c.obfuscation == kind]


def test_ground_truth_points_at_the_copied_text(seed_drafts, files):
    originals = {_trimmed(o) for o in ORIGINALS}
    stock = {_trimmed(o) for o in STOCK_HEAVY}
    for d in (d for drafts in seed_drafts.values() for d in drafts):
        assert d.originals or d.stock_originals
        assert len(d.cases) >= 2
        assert all(d.text[lo:hi] in originals for lo, hi in d.originals)
        assert all(d.text[lo:hi] in stock for lo, hi in d.stock_originals)
        own = list(d.originals) + list(d.stock_originals)
        for c in d.cases:
            source = files[c.file.rsplit("/", 1)[-1]][c.source_start : c.source_end]
            draft = d.text[c.start : c.end]
            assert c.doc.startswith(c.file.rsplit("/", 1)[-1] + "#")
            assert draft == c.text  # the copy as the generator wrote it, exactly at the span
            for span in (draft, source):  # trimmed to content characters at both ends
                assert is_content(span[0]) and is_content(span[-1])
            # every copied sentence is closed by a mark: it never runs into the next piece
            # (a clause piece sits in the drafter's own words: test_clause_… checks those)
            if c.obfuscation != "clause":
                assert not is_content(d.text[c.end]) and (c.start == 0 or not is_content(d.text[c.start - 1]))
            if c.obfuscation in VERBATIM_KINDS:
                assert draft == source, c
            else:
                assert draft != source, c
            assert not any(lo < c.end and c.start < hi for lo, hi in own)


def test_every_kind_has_ten_cases_on_every_seed(seed_drafts):
    for seed, drafts in seed_drafts.items():
        counts = {t: sum(c.obfuscation == t for d in drafts for c in d.cases) for t in TYPES}
        assert min(counts.values()) >= 10, (seed, counts)
        assert sum(len(d.stock_originals) for d in drafts) >= 10


def test_clause_sits_inside_the_drafters_own_sentence(seed_drafts, files):
    frames = {(_trimmed(a), _trimmed(b)) for a, b in CLAUSE_FRAMES}
    cases = _cases(seed_drafts, "clause")
    assert len(cases) >= 30
    for d, c in cases:
        (lo, hi), = [(lo, hi) for lo, hi in d.frames if lo < c.start and c.end < hi]
        before, after = d.text[lo : c.start], d.text[c.end : hi]
        assert not re.search("[。！？；\n]", before + after)  # one sentence
        assert (_trimmed(before), _trimmed(after)) in frames
        n = len(content_chars(c.text)[0])
        assert 20 <= n <= 60
        # the source sentence around the piece is at least 1.5 times as long
        text = files[c.file.rsplit("/", 1)[-1]]
        s0 = max(text.rfind(m, 0, c.source_start) for m in "。！？；\n") + 1
        s1 = min(i for i in (text.find(m, c.source_end) for m in "。！？；\n") if i >= 0)
        assert len(content_chars(text[s0:s1])[0]) >= 1.5 * n


def _nothing_between(text, a, b):
    return not any(is_content(ch) for ch in text[a:b])


def test_single_sentence_between_original_paragraphs(seed_drafts):
    for d, c in _cases(seed_drafts, "single"):
        line_start = d.text.rfind("\n", 0, c.start) + 1
        line_end = d.text.find("\n", c.end)
        assert _trimmed(d.text[line_start:line_end]) == c.text  # its own paragraph
        assert 25 <= len(content_chars(c.text)[0]) <= 70
        assert not re.search("[。！？；]", c.text)  # one sentence
        own = list(d.originals) + list(d.stock_originals)
        # an original paragraph ends just before its line and one starts just after it
        assert any(_nothing_between(d.text, hi, line_start) for lo, hi in own if hi < line_start)
        assert any(_nothing_between(d.text, line_end, lo) for lo, hi in own if lo > line_end)


def test_restructure_splits_or_merges(seed_drafts, files):
    notes = set()
    for _d, c in _cases(seed_drafts, "restructure"):
        source = files[c.file.rsplit("/", 1)[-1]][c.source_start : c.source_end]
        marks = len(re.findall("[。！？]", c.text)) - len(re.findall("[。！？]", source))
        assert marks == {"split": 1, "merge": -1}[c.note]
        assert re.sub("[，,。！？]", "", c.text) == re.sub("[，,。！？]", "", source)  # same words
        notes.add(c.note)
    assert notes == {"split", "merge"}
    assert split_sentence("前面一段有十五个字的内容在这里，后面一段也有十五个字的内容在这里。", random.Random(0)) \
        == "前面一段有十五个字的内容在这里。后面一段也有十五个字的内容在这里。"
    assert merge_sentences("第一句。", "第二句。") == "第一句，第二句。"


def test_paraphrase_swaps_the_asked_share_of_content_words(seed_drafts, files):
    table = alternatives()
    for kind, rate in PARAPHRASE_RATES.items():
        cases = _cases(seed_drafts, kind)
        assert len(cases) >= 30
        for _d, c in cases:
            assert abs(len(c.swaps) / c.content_words - rate) <= 0.05, c
            assert all(new in table[old] and new in c.text for old, new in c.swaps)
            # the count is of the copied passage (one clause dropped), not of something else
            source = files[c.file.rsplit("/", 1)[-1]][c.source_start : c.source_end]
            assert 0.5 <= c.content_words / sum(is_content_word(w) for w, _, _ in words(source)) <= 1.1


def test_paraphrase_of_a_known_passage():
    text = ("全面加强基层党组织建设，认真落实三会一课制度，积极开展主题党日活动，不断提升组织力。"
            "持续推进乡村振兴，扎实做好群众工作，有效保障困难群众基本生活，确保各项政策落实到位。")
    for rate in (0.3, 0.4, 0.5):
        p = paraphrase(text, rate, random.Random(3))
        assert p is not None and abs(p.swap_share - rate) <= 0.05
        assert p.dropped and p.dropped not in p.text  # one clause dropped
        assert p.connectives and p.text.count("。") == 2


def test_long_mosaic3_nearstock_retarget(seed_drafts, files, documents):
    import opencc

    t2s = opencc.OpenCC("t2s")
    for _d, c in _cases(seed_drafts, "long"):
        assert 10 <= len(re.findall("[。！？；]", c.text)) + 1 <= 20
    for drafts in seed_drafts.values():
        for d in drafts:
            mosaic3 = [c for c in d.cases if c.obfuscation == "mosaic3"]
            for i in range(0, len(mosaic3), 6):  # a unit: two sentences of each of three sources
                assert len({c.doc for c in mosaic3[i : i + 6]}) == 3
    # nearstock: mostly 8-grams found in >= 4 documents, and a 12+ run found in no other
    docs_with = {}
    for doc in documents:
        chars, _ = content_chars(doc.text)
        for i in range(len(chars) - 7):
            docs_with.setdefault(chars[i : i + 8], set()).add(doc.name)
    for _d, c in _cases(seed_drafts, "nearstock"):
        chars, _ = content_chars(c.text)
        stock, shared = [False] * len(chars), [False] * len(chars)
        for i in range(len(chars) - 7):
            n = len(docs_with.get(chars[i : i + 8], ()))
            if n >= 4:
                stock[i : i + 8] = [True] * 8
            if n >= 2:
                shared[i : i + 8] = [True] * 8
        assert sum(stock) > len(chars) / 2
        distinct = re.search("F{12,}", "".join("T" if x else "F" for x in shared))
        assert distinct and docs_with[chars[distinct.start() : distinct.start() + 8]] == {c.doc}
    for _d, c in _cases(seed_drafts, "retarget"):
        sentences = [s for s in re.findall("[^。！？；]*[。！？；]?", c.text) if s]
        traditional = sum(t2s.convert(s) != s for s in sentences)
        assert 1 <= traditional <= (len(sentences) + 1) // 2 + 1


def test_masks_obfuscation():
    out = obfuscate_masks("2023年XX镇D委召开会议x.x次，全县完成XX项。", random.Random(0))
    assert "X" not in out and "D" not in out and "2024年" in out and "党委" in out and "全区" in out


# ------------------------------------------------------------------ 13-character rule

def test_thirteen_char_rule_on_a_known_example(documents):
    rule = ThirteenCharRule(documents)
    doc = next(d for d in documents if d.name == "004_3442f27f9ba37306.txt#2")
    # a 30-character stretch of the document with no 13-gram found in any other document
    chars, offs = content_chars(doc.text)
    for i in range(200, len(chars) - 30):
        piece = chars[i : i + 30]
        if all(rule.documents_with(piece[j : j + 13]) == {doc.name} for j in range(18)):
            break
    lo, hi = int(offs[i]), int(offs[i + 29]) + 1
    copied = doc.text[lo:hi]
    draft = "我们自己写的开头。" + copied + "\n结尾也是自己写的话。"
    found = rule.detect(draft)
    assert [(m.doc, m.start, m.end, m.source_start, m.source_end) for m in found] == [
        (doc.name, 9, 9 + len(copied), doc.start + lo, doc.start + hi)
    ]
    # 12 identical characters are not a match under the rule
    assert rule.detect("开头" + chars[i : i + 12] + "结尾") == []


def test_thirteen_char_rule_merges_a_broken_run(documents):
    rule = ThirteenCharRule(documents)
    doc = next(d for d in documents if d.name == "004_3442f27f9ba37306.txt#2")
    chars, _offs = content_chars(doc.text)
    piece = chars[300:340]
    broken = piece[:20] + "某" + piece[21:]  # one changed character splits the run in two
    found = rule.detect(broken)
    mine = [m for m in found if m.doc == doc.name]
    assert len(mine) == 1 and (mine[0].start, mine[0].end) == (0, 40)
    assert longest_source(found)[0].doc == doc.name


# ------------------------------------------------------------------ original paragraphs

def test_originals_are_original(documents):
    assert len(ORIGINALS) >= 30 and len(set(ORIGINALS)) == len(ORIGINALS)
    rule = ThirteenCharRule(documents)
    for text in ORIGINALS + tuple(a + "、" + b for a, b in CLAUSE_FRAMES):
        longest = max((len(content_chars(text[m.start : m.end])[0]) for m in rule.matches(text)), default=0)
        # only stock phrases (以新时代中国特色社会主义思想为指导: 17) may be shared
        assert longest <= 20, text


def test_stock_heavy_originals_share_only_stock_phrases(documents):
    """Mostly stock phrasing, but every 13+ run shared with the corpus is made of phrases
    found in 3+ documents (a few joining characters aside): not any one source's text."""
    assert len(STOCK_HEAVY) >= 15 and not set(STOCK_HEAVY) & set(ORIGINALS)
    rule = ThirteenCharRule(documents)
    docs_with = {}
    for doc in documents:
        chars, _ = content_chars(doc.text)
        for i in range(len(chars) - 7):
            docs_with.setdefault(chars[i : i + 8], set()).add(doc.name)
    heavy = 0
    for text in STOCK_HEAVY:
        chars, _ = content_chars(text.replace("党", "D"))  # the corpus writes D for 党
        shared, stock = [False] * len(chars), [False] * len(chars)
        for i in range(len(chars) - 12):
            if rule.documents_with(chars[i : i + 13]):
                shared[i : i + 13] = [True] * 13
        for i in range(len(chars) - 7):
            if len(docs_with.get(chars[i : i + 8], ())) >= 3:
                stock[i : i + 8] = [True] * 8
        assert sum(a and not b for a, b in zip(shared, stock)) <= 5, text
        heavy += sum(stock) >= 0.25 * len(chars)
    assert heavy >= 12  # "stock-phrase heavy": most have a quarter or more of stock phrasing


def test_synonym_table_is_the_generators_own():
    import eval_synonyms

    assert len(GROUPS) + len(ONE_WAY) >= 250
    assert "Cilin" in eval_synonyms.__doc__ and "NOT" in eval_synonyms.__doc__
    table = alternatives()
    for old, new in (("加强", "强化"), ("推进", "推动"), ("群众", "居民"), ("保障", "保证"), ("开展", "组织开展"),
                     ("提升", "拉升"), ("群众", "老百姓"), ("工作", "事务")):
        assert new in table[old]
    assert all(old not in alts for old, alts in table.items())
