"""The evaluation instrument (benchmarks/eval_*.py): PAN measures, generator, 13-char baseline."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from eval_baseline import ThirteenCharRule, content_chars, longest_source  # noqa: E402
from eval_generate import TYPES, generate, is_content, obfuscate_masks, trim  # noqa: E402
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
from eval_originals import ORIGINALS  # noqa: E402

from chachong.store import open_store  # noqa: E402

from .conftest import CORPUS  # noqa: E402


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
    with open_store(corpus_index_path) as store:
        return store.documents()


@pytest.fixture(scope="module")
def drafts(documents):
    return generate(documents, seed=7, drafts=6)


def test_generator_is_reproducible(documents, drafts):
    again = generate(documents, seed=7, drafts=6)
    assert [(d.text, d.cases, d.originals) for d in again] == [(d.text, d.cases, d.originals) for d in drafts]
    assert generate(documents, seed=8, drafts=6)[0].text != drafts[0].text


def test_ground_truth_points_at_the_copied_text(drafts):
    files = {p.name: p.read_text(encoding="utf-8") for p in CORPUS.iterdir()}
    kinds = set()
    for d in drafts:
        assert d.originals and len(d.cases) >= 2
        for lo, hi in d.originals:
            assert d.text[lo:hi] in {o[slice(*trim(o, 0, len(o)))] for o in ORIGINALS}
        for c in d.cases:
            kinds.add(c.obfuscation)
            source = files[c.file.rsplit("/", 1)[-1]][c.source_start : c.source_end]
            draft = d.text[c.start : c.end]
            assert c.doc.startswith(c.file.rsplit("/", 1)[-1] + "#")
            for span in (draft, source):  # trimmed to content characters at both ends
                assert is_content(span[0]) and is_content(span[-1])
            # every copied sentence is closed by a mark: it never runs into the next piece
            assert not is_content(d.text[c.end]) and (c.start == 0 or not is_content(d.text[c.start - 1]))
            if c.obfuscation in ("verbatim", "mosaic"):
                assert draft == source
            else:
                assert draft != source
            assert not any(lo < c.end and c.start < hi for lo, hi in d.originals)
    assert kinds <= set(TYPES) and len(kinds) >= 4


def test_masks_obfuscation():
    import random

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
    chars, offs = content_chars(doc.text)
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
    for text in ORIGINALS:
        chars, _ = content_chars(text)
        longest = max((len(content_chars(text[m.start : m.end])[0]) for m in rule.matches(text)), default=0)
        # only stock phrases (以新时代中国特色社会主义思想为指导: 17) may be shared
        assert longest <= 20, text
