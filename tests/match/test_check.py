from __future__ import annotations

import pytest

from chachong.match.align import align
from chachong.match.check import check_text
from chachong.text.normalize import normalize

from ..conftest import CORPUS, corpus_text
from ..drafts import ORIGINAL_CLOSING, ORIGINAL_OPENING, PARTY
from ..drafts import line as _line
from ..drafts import sample_draft as _draft


def test_copied_passages_found_with_sources_and_spans(corpus_store):
    draft, planted = _draft()
    result = check_text(corpus_store, draft, file="draft.txt")
    copies = [p for p in result.passages if p.kind == "copy"]
    assert [p.source.doc for p in copies] == [t.doc for t in planted]
    for p, truth in zip(copies, planted):
        # the passage lies inside the planted span and covers nearly all of it
        assert truth.start <= p.start < p.end <= truth.end
        assert (p.end - p.start) >= 0.9 * (truth.end - truth.start)
        assert truth.source_start <= p.source.start < p.source.end <= truth.source_end
        assert p.text == draft[p.start : p.end]
        assert p.source_text == corpus_text(p.source.file.rsplit("/", 1)[-1])[p.source.start : p.source.end]
    verbatim, filled, reordered = copies
    # Spans start and end on copied characters: "三" of "（三）", the last character before "。".
    assert draft[planted[0].start : planted[0].start + 2] == "（三"
    assert (verbatim.start, verbatim.end) == (planted[0].start + 1, planted[0].end - 1)
    assert (verbatim.source.start, verbatim.source.end) == (planted[0].source_start + 1, planted[0].source_end - 1)
    assert (filled.start, filled.end) == (planted[1].start, planted[1].end - 1)
    assert (filled.source.start, filled.source.end) == (planted[1].source_start, planted[1].source_end - 1)
    assert reordered.sentences == 4
    # original paragraphs are not reported
    for original in (ORIGINAL_OPENING, ORIGINAL_CLOSING):
        o0 = draft.index(original)
        assert not any(p.start < o0 + len(original) and o0 < p.end for p in copies)
    copied = sum(t.end - t.start for t in planted)
    assert result.copy_ratio == pytest.approx(copied / len(draft), abs=0.08)
    assert result.max_source_share == max(s.share for s in result.sources)
    assert next(s.source.doc for s in result.sources) in {t.doc for t in planted}


def test_original_text_reports_nothing(corpus_store):
    result = check_text(corpus_store, ORIGINAL_OPENING + "\n" + ORIGINAL_CLOSING)
    assert [p for p in result.passages if p.kind == "copy"] == []
    assert result.copy_ratio == 0.0


def test_whole_document_copied_scores_about_one(corpus_store):
    doc = corpus_store.documents()[20]
    result = check_text(corpus_store, doc.text)
    assert result.copy_ratio > 0.97
    assert result.sources[0].source.doc == doc.name


def test_empty_and_punctuation_only_drafts(corpus_store):
    for text in ("", "   \n\t", "。，、！？……——"):
        result = check_text(corpus_store, text)
        assert (result.copy_ratio, result.passages) == (0.0, ())


def test_heavily_edited_sentence_inside_a_copied_paragraph_does_not_split_it(corpus_store):
    paragraph, _p0, _p1 = _line(*PARTY[:2])
    sentences = [s for s in paragraph.split("。") if s]
    original_middle = "围绕“四强”D支部创建开展前瞻式调研，形成制定“四强”D支部创建管理办法参考依据"
    assert sentences[1] == original_middle
    # too different to pass the normal thresholds on its own …
    edited = "我们围绕“四强”支部创建工作，开展了多轮前瞻性的调查和研究，为制定相关的管理办法提供了有益参考"
    assert align(normalize(edited).text, normalize(original_middle).text) is None
    # … but it sits between two sentences copied from the same document
    draft = "本单位今年情况如下。\n" + "。".join([sentences[0], edited, *sentences[2:]]) + "。\n"
    result = check_text(corpus_store, draft)
    copies = [p for p in result.passages if p.kind == "copy"]
    assert len(copies) == 1
    assert copies[0].sentences == 4
    assert (copies[0].start, copies[0].end) == (draft.index("坚持把"), len(draft) - 2)
    assert copies[0].source.doc == PARTY[2]


# -- clauses (the fragment layer) ----------------------------------------------------------
ISSUE_CLAUSE = "开展学校D支部书记、校长走进思政课堂活动"  # issue 13's example of a miss


def test_a_clause_lifted_out_of_a_long_sentence_is_found_with_exact_spans(corpus_store):
    """The clause closes a longer corpus sentence (落实《…若干意见》，…); the drafter embeds it,
    with 党 for D, in a sentence of their own between original paragraphs."""
    source_file = "002_5c485a01b3fa9e27.txt"
    text = corpus_text(source_file)
    s0 = text.index(ISSUE_CLAUSE)
    assert text[s0 - 1] == "，"  # inside a longer sentence
    clause = ISSUE_CLAUSE.replace("D", "党")
    sentence = f"今年我们在全县中小学{clause}，覆盖师生两万余人。"
    draft = ORIGINAL_OPENING + "\n" + sentence + "\n" + ORIGINAL_CLOSING
    [copy] = check_text(corpus_store, draft).copies
    d0 = draft.index(clause)
    assert (copy.start, copy.end, copy.text) == (d0, d0 + len(clause), clause)
    assert copy.source.doc == "002_5c485a01b3fa9e27.txt#1"
    assert (copy.source.start, copy.source.end) == (s0, s0 + len(ISSUE_CLAUSE))
    assert copy.sentences == 1


def test_a_formula_shared_by_a_few_documents_is_not_a_copied_clause(corpus_store):
    """坚持以人民为中心的发展思想 is one corpus sentence's clause, but is built of pieces (以人民为中心,
    人民为中心的发展思想) that three documents share: the genre's wording, not a source."""
    formula = "坚持以人民为中心的发展思想"
    assert sum(formula in corpus_text(p.name) for p in sorted(CORPUS.glob("*.txt"))) == 1
    draft = ORIGINAL_OPENING + "\n我们始终" + formula + "，把群众满意作为档案工作的出发点。\n" + ORIGINAL_CLOSING
    assert check_text(corpus_store, draft).copies == ()


def test_two_source_sentences_merged_into_one_are_one_passage(corpus_store):
    """。→，: the draft sentence holds a copied sentence and its short successor (10 characters,
    under the clause floor): extension inside the sentence takes the successor too."""
    text = corpus_text("001_e5cfe61341d97502.txt")
    first = "强化D员纪律要求，严厉查处违规违纪行为。"
    second = "二是深化D建+乡村治理模式"
    s0 = text.index(first + second)
    draft = ORIGINAL_OPENING + "\n" + first[:-1] + "，" + second + "。\n" + ORIGINAL_CLOSING
    [copy] = check_text(corpus_store, draft).copies
    d0 = draft.index(first[:-1])
    assert (copy.start, copy.end) == (d0, d0 + len(first + second))
    assert (copy.source.start, copy.source.end) == (s0, s0 + len(first + second))


# -- paraphrase (the paraphrase layer) ------------------------------------------------------
PARAPHRASE_SOURCE = "后勤服务满足师生需要,师生反映良好。完善食堂治理制度,强化食品安全，定期检查其经营状况，倾听师生的意见,努力提高餐饮质量。"
# What a 降重 tool makes of it: synonyms (需要→需求, 完善→健全, 治理→管理, 经营→运营, 状况→情况,
# 倾听→听取, 质量→品质 …), two clauses swapped, a connective added.
PARAPHRASE = "后勤服务满足师生需求，师生反响良好。此外，强化食品安全，健全食堂管理制度，定期检查其运营情况，听取师生的意见，全力提升餐饮品质。"


def test_a_rewritten_passage_is_found_with_its_source_and_exact_spans(corpus_store):
    text = corpus_text("002_5c485a01b3fa9e27.txt")
    s0 = text.index(PARAPHRASE_SOURCE)
    draft = ORIGINAL_OPENING + "\n" + PARAPHRASE + "\n" + ORIGINAL_CLOSING
    [copy] = check_text(corpus_store, draft).copies
    d0 = draft.index(PARAPHRASE)
    assert (copy.start, copy.end) == (d0, d0 + len(PARAPHRASE) - 1)  # up to 品质, not the 。
    assert copy.source.doc == "002_5c485a01b3fa9e27.txt#1"
    assert (copy.source.start, copy.source.end) == (s0, s0 + len(PARAPHRASE_SOURCE) - 1)
    assert copy.sentences == 2
    # the character-level layers alone do not find it
    assert align(normalize(PARAPHRASE).text.split("\n")[1], normalize(PARAPHRASE_SOURCE).text.split("\n")[1]) is None
