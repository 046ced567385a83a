"""Fragment alignment: exact shared clauses found wherever they sit in two long sentences."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chachong.match.align import FRAGMENT_MIN_CHARS, common_runs, fragments
from chachong.text.normalize import normalize_string


def test_a_clause_inside_two_longer_sentences_is_found_with_exact_spans():
    clause = normalize_string("开展学校党支部书记、校长走进思政课堂活动")
    a = normalize_string("今年我们组织全县中小学，开展学校党支部书记、校长走进思政课堂活动，覆盖师生两万余人")
    b = normalize_string("落实《关于深化新时代学校思想政治理论课改革创新的若干意见》，开展学校D支部书记、校长走进思政课堂活动")
    [f] = fragments(a, b)
    assert a[f.a_start : f.a_end] == clause == b[f.b_start : f.b_end]
    assert f.exact and f.matched == len(clause) == 19


def test_lcs_cannot_trade_a_clause_for_scattered_matches():
    """The clause sits at the end of one sentence and the start of the other, with long unrelated
    genre text on the other sides, where an LCS alignment would rather match scattered characters."""
    clause = "做到审计项目全面系统归档保存审计全过程可回溯"
    a = "全面加强工作的组织领导推进各项工作的落实发展建设管理服务群众的工作" + clause
    b = clause + "加强组织领导的工作推进落实各项建设发展工作管理群众服务的全面工作并"
    [f] = fragments(a, b)
    assert (a[f.a_start : f.a_end], f.b_start) == (clause, 0)


def test_an_edited_word_inside_a_clause_keeps_one_near_fragment():
    a = "各村村支书为村级第一责任人将禁毒工作列入党委政府和各村的政绩考核内容"
    b = "各村村支书为村级第一责任人将禁毒工作纳入党委政府和各村的政绩考核内容"
    [f] = fragments(a, b)
    assert (f.a_start, f.a_end, f.b_start, f.b_end) == (0, len(a), 0, len(b))
    assert not f.exact and f.matched == len(a) - 1  # 列入 for 纳入: one character differs


def test_shorter_runs_than_the_floor_are_not_fragments():
    assert fragments("我们坚持统筹发展和安全的原则", "上级要求统筹发展和安全工作") == []  # 7 shared
    assert FRAGMENT_MIN_CHARS == 13


@given(st.text("甲乙丙丁戊己庚辛", max_size=30), st.text("甲乙丙丁戊己庚辛", max_size=30), st.integers(2, 6))
def test_common_runs_are_maximal_exact_common_substrings(a, b, k):
    runs = common_runs(a, b, k)
    for i, j, n in runs:
        assert n >= k and a[i : i + n] == b[j : j + n]
        # maximal: cannot extend left or right
        assert not (i > 0 and j > 0 and a[i - 1] == b[j - 1])
        assert not (i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n])
    # every common k-gram lies in one of the runs, on the same diagonal
    for i in range(len(a) - k + 1):
        for j in range(len(b) - k + 1):
            if a[i : i + k] == b[j : j + k]:
                assert any(i - j == ri - rj and ri <= i and i + k <= ri + rn for ri, rj, rn in runs)


# -- paraphrase alignment -------------------------------------------------------------------
def _lexicon(text: str):
    from chachong.match.align import Lexicon
    from chachong.sketch.thesaurus import word_classes

    return Lexicon.of(normalize_string(text).strip("\n"), word_classes())


def test_a_rewrite_is_aligned_with_its_swapped_words():
    from chachong.match.align import paraphrase

    source = "完善食堂治理制度,强化食品安全，定期检查其经营状况，倾听师生的意见,努力提高餐饮质量。"
    rewrite = "此外，强化食品安全，健全食堂管理制度，定期检查其运营情况，听取师生的意见，全力提升餐饮品质。"
    a, b = _lexicon(rewrite), _lexicon(source)
    found = paraphrase(a, b)
    assert found is not None and found.score >= 0.85
    # from 强 (after the connective 此外) to the end on the draft side; all of the source
    assert (a.text[found.a_start : found.a_end], found.b_start, found.b_end) == (a.text[2:], 0, len(b.text))
    swaps = {(a.text[w.a_start : w.a_end], b.text[w.b_start : w.b_end]) for w in found.swaps}
    # 提升/提高 share no Cilin class: accounted for by neither, a change, not a swap
    assert swaps == {("健全", "完善"), ("管理", "治理"), ("运营", "经营"), ("情况", "状况"), ("听取", "倾听"),
                     ("品质", "质量")}


def test_unrelated_sentences_of_the_genre_are_not_a_rewrite():
    from chachong.match.align import paraphrase

    a = _lexicon("全年接收进馆档案三千二百余卷，完成民国时期档案抢救性修裱四百余页。")
    b = _lexicon("全年共受理各类信访事项三百余件，办结率达到百分之九十以上。")
    assert paraphrase(a, b) is None and paraphrase(a, b, relaxed=True) is None


def test_stock_phrasing_is_no_evidence_of_a_rewrite():
    from chachong.match.align import paraphrase

    a = _lexicon("坚持以新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神，全年开展集体研讨八次")
    b = _lexicon("以新时代中国特色社会主义思想为指导，深入学习贯彻落实D的二十大精神，切实发挥支部的战斗堡垒作用")
    assert paraphrase(a, b, relaxed=True) is not None  # the shared formula alone looks like a rewrite
    stock = [ch in "以新时代中国特色社会主义思想为指导深入学习贯彻党的二十大精神" for ch in a.text]
    assert paraphrase(a, b, relaxed=True, stock_a=stock) is None
