"""How each passage was found ("match": verbatim / near / paraphrase) and the swapped words,
in JSON, the terminal report and the HTML report."""

from __future__ import annotations

import io
import json

from chachong.match.check import check_text
from chachong.model import CheckResult, CopyPassage, SourceRef, SourceShare, Swap
from chachong.report.html import render_check_html
from chachong.report.jsonl import json_line
from chachong.report.terminal import console_for, render_check

from ..conftest import corpus_text
from ..drafts import ORIGINAL_CLOSING, ORIGINAL_OPENING
from ..match.test_check import PARAPHRASE, PARAPHRASE_SOURCE

SOURCE_FILE = "002_5c485a01b3fa9e27.txt"
# The same source passage with edits that are no synonyms: 良好→很好, 卫生 inserted, 餐饮→饭菜.
NEAR = "后勤服务满足师生需要，师生反映很好。完善食堂治理制度，强化食品卫生安全，定期检查其经营状况，倾听师生的意见，努力提高饭菜质量。"


def _draft(passage: str) -> str:
    return ORIGINAL_OPENING + "\n" + passage + "\n" + ORIGINAL_CLOSING


def test_each_kind_of_copy_says_how_it_was_found(corpus_store):
    verbatim = check_text(corpus_store, _draft(PARAPHRASE_SOURCE)).copies
    near = check_text(corpus_store, _draft(NEAR)).copies
    rewritten = check_text(corpus_store, _draft(PARAPHRASE)).copies
    assert [p.match for p in verbatim + near + rewritten] == ["verbatim", "near", "paraphrase"]
    assert verbatim[0].swaps == near[0].swaps == ()
    assert verbatim[0].source.doc == near[0].source.doc == rewritten[0].source.doc


def test_json_adds_match_and_the_swaps_of_a_paraphrase(corpus_store):
    draft = _draft(PARAPHRASE)
    result = check_text(corpus_store, draft)
    [copy] = json.loads(json_line(result.to_json()))["passages"][1:]
    assert copy["match"] == "paraphrase"
    source = corpus_text(SOURCE_FILE)
    pairs = [(s["source"], s["draft"]) for s in copy["swaps"]]
    assert pairs == [("需要", "需求"), ("完善", "健全"), ("治理", "管理"), ("经营", "运营"), ("状况", "情况"),
                     ("倾听", "听取"), ("质量", "品质")]
    for s in copy["swaps"]:  # every offset points at the word, on both sides
        assert draft[s["start"] : s["end"]] == s["draft"]
        assert source[s["source_start"] : s["source_end"]] == s["source"]
    verbatim = check_text(corpus_store, _draft(PARAPHRASE_SOURCE)).to_json()["passages"]
    assert [p["match"] for p in verbatim if p["kind"] == "copy"] == ["verbatim"]
    assert all("swaps" not in p for p in verbatim)  # only a paraphrase has swaps


def test_terminal_report_labels_passages_and_lists_swaps(corpus_store):
    buf = io.StringIO()
    render_check(check_text(corpus_store, _draft(PARAPHRASE), file="d.txt"), console_for(buf, width=160, color=False))
    out = buf.getvalue()
    assert "match 91.1%, paraphrase 改写" in out
    assert "synonyms swapped (source → draft): 需要→需求, 完善→健全, 治理→管理, 经营→运营, 状况→情况, 倾听→听取, 质量→品质" in out


def test_html_marks_swapped_words_apart_from_changes(corpus_store):
    page = render_check_html([check_text(corpus_store, _draft(PARAPHRASE))])
    assert '<span class="how how-paraphrase">paraphrase 改写</span>' in page
    assert 'data-match="paraphrase"' in page
    # both sides: the draft's word says what it replaced, the source's what replaced it
    assert '<span class="swap" title="同义替换 synonym of: 完善">健全</span>' in page
    assert '<span class="swap" title="同义替换 synonym of: 健全">完善</span>' in page
    # seven whole words on each side (需求 is one mark though its 需 is equal), the legend twice
    assert page.count('class="swap"') == 2 * 7 + 2
    assert "同义替换 synonym swapped" in page
    near = render_check_html([check_text(corpus_store, _draft(NEAR))])
    assert '<span class="how how-near">near-verbatim 近似</span>' in near and near.count('class="swap"') == 2


def test_hostile_swapped_words_are_escaped():
    text = "前文<b>强化</b>后文"
    start, end = text.index("<b>"), text.index("后文")
    src = SourceRef(doc="s.txt#1", file="s.txt", title="t", start=0, end=4)
    swap = Swap(start=start, end=end, source_start=0, source_end=2, draft_word=text[start:end],
                source_word="<img src=x onerror=alert(1)>")
    copy = CopyPassage(start=start, end=end, score=0.5, source=src, text=text[start:end],
                       source_text="<i>加强</i>", sentences=1, match="paraphrase", swaps=(swap,))
    result = CheckResult(file="d.txt", text=text, chars=len(text), content_chars=6, copy_ratio=0.5,
                         copy_ratio_excluding_quotation=0.5, copy_ratio_excluding_own=0.5, boilerplate_ratio=0.0, max_source_share=0.5, passages=(copy,),
                         sources=(SourceShare(source=src, chars=3, share=0.5, passages=1),))
    page = render_check_html([result])
    assert "<img src=x" not in page and "<b>强化" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
