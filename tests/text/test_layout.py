"""The rules that turn printed lines (PDF, OFD) back into paragraphs, one by one, and a
property: whatever the page layout, no text is lost or added."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chachong.text.formats.layout import PrintedLine, display_width, drop_running_lines, join_pages

from .ofd_writer import wrap

FULL = "一二三四五六七八九十" * 3  # a full line: 30 Chinese characters, 60 columns


def test_display_width_counts_chinese_double():
    assert display_width("中文ab12，") == 2 + 2 + 1 + 1 + 1 + 1 + 2


@pytest.mark.parametrize(("first", "second", "joined"), [
    (FULL, "继续。", True),  # a full line runs on
    (FULL[:-1] + "，", "继续。", True),  # a comma does not end a sentence
    (FULL[:-1] + "。", "新段落。", False),  # sentence punctuation at the margin: paragraph end
    (FULL[:-2] + "。”", "新段落。", False),  # ... also inside closing quotes
    (FULL[:-1] + "：", "一是……", False),
    ("短标题", "正文。", False),  # a short line (a title) ends its paragraph
    (FULL, "（二）下一个标题", False),  # headings and numbered items begin anew
    (FULL, "二、下一部分", False),
    (FULL, "3. 第三项", False),
    (FULL, "①第一项", False),
    (FULL, "第二章 总则", False),
    (FULL, "1.5万元，继续。", True),  # a number is not an item
    (FULL, "2024年继续。", True),
])
def test_a_line_runs_on_only_when_full_and_unfinished(first, second, joined):
    # Other full lines set the full width; the pair under test is on one page.
    result = join_pages([[FULL + "。", FULL + "。", first, second]])
    expected = first + second if joined else first + "\n" + second
    assert result.text == f"{FULL}。\n{FULL}。\n{expected}"


def test_first_line_indentation_decides_where_it_is_known():
    """Paragraphs indented two characters: a flush-left line after a full one runs on even
    after 。; an indented one begins a paragraph even after a full unfinished line."""
    para = lambda *lines: [PrintedLine(lines[0], 2.0), *(PrintedLine(t, 0.0) for t in lines[1:])]  # noqa: E731
    pages = [[
        *[line for _ in range(5) for line in para(FULL, "短。")],
        *para(FULL[:-1] + "。", "同一段。"),  # 。 at the margin, the paragraph goes on
        *para(FULL), *para("新段落。"),  # a full line, then an indented one: a new paragraph
    ]]
    assert join_pages(pages).text.split("\n") == [
        *[FULL + "短。"] * 5, FULL[:-1] + "。同一段。", FULL, "新段落。",
    ]
    # Without indentation evidence the punctuation rule stands.
    flat = [[PrintedLine(line.text, 0.0) for line in pages[0]]]
    assert join_pages(flat).text.split("\n")[5:7] == [FULL[:-1] + "。", "同一段。"]


def test_a_blank_line_the_reader_saw_is_a_paragraph_break():
    assert join_pages([[FULL, FULL, "", "新段落。"]]).text == f"{FULL}{FULL}\n新段落。"


def test_sentence_runs_on_across_pages_past_footer_page_number_and_header():
    pages = [
        ["XX县人民政府", FULL + "。", FULL, "- 1 -"],
        ["XX县人民政府", "跨页的句子结束。", FULL + "。", "- 2 -"],
        ["XX县人民政府", "末页。", "- 3 -"],
    ]
    result = join_pages(pages)
    assert result.text == f"{FULL}。\n{FULL}跨页的句子结束。\n{FULL}。\n末页。"
    assert result.page_starts == (0, len(FULL) * 2 + 2, result.text.index("末页"))


@pytest.mark.parametrize("number", ["3", "- 3 -", "— 3 —", "第 3 页", "第3页 共9页", "3/9", "3 / 9", "Page 3 of 9", "·3·"])
def test_page_numbers_at_page_edges_are_dropped(number):
    pages = [[FULL + "。", number.replace("3", str(n))] for n in range(1, 3)]
    assert drop_running_lines(pages) == [[FULL + "。"], [FULL + "。"]]


def test_running_lines_need_enough_pages_and_the_page_edge():
    header = "某某单位文件"
    # on 2 of 4 pages: not a running header (it may be text)
    pages = [[header, "甲。"], [header, "乙。"], ["丙。", "丁。"], ["戊。", "己。"]]
    assert drop_running_lines(pages) == pages
    # on 3 of 4 pages at the top: dropped there, kept where it is not at an edge
    pages = [[header, "甲。"], [header, "乙。"], [header, "丙。"], ["丁。", "戊。", header, "己。", "庚。"]]
    assert drop_running_lines(pages) == [["甲。"], ["乙。"], ["丙。"], ["丁。", "戊。", header, "己。", "庚。"]]
    # numbers do not make headers differ
    pages = [[f"第{n}章 工作总结", f"正文{n}。"] for n in range(1, 5)]
    assert drop_running_lines(pages) == [[f"正文{n}。"] for n in range(1, 5)]
    # a one-page file has no running lines
    assert drop_running_lines([["标题", "正文。", "1"]]) == [["标题", "正文。", "1"]]


def test_title_under_a_running_header_of_the_same_words_is_kept():
    title = "城关镇档案馆2024年工作总结"
    pages = [[title, title, "正文。"], [title, "续。"], [title, "完。"]]
    assert drop_running_lines(pages) == [[title, "正文。"], ["续。"], ["完。"]]


def test_pages_without_text_begin_where_the_next_text_does():
    result = join_pages([["开头。"], [], ["  ", ""], ["结尾。"], []])
    assert result.text == "开头。\n结尾。"
    assert result.page_starts == (0, 4, 4, 4, 7)


def test_short_lines_never_join():
    """A file of short lines (a list, a table) stays line by line."""
    lines = ["张三", "李四", "王五", "赵六"]
    assert join_pages([lines]).text == "\n".join(lines)


PARAGRAPH = st.text(
    st.sampled_from(list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过")
                    + list("，、；：。！？“”（）0123456789xX%")),
    min_size=1, max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(PARAGRAPH, min_size=1, max_size=12),
    st.integers(min_value=12, max_value=40),
    st.integers(min_value=3, max_value=30),
    st.booleans(),
)
def test_no_text_is_lost_or_added_whatever_the_layout(paragraphs, width, per_page, running):
    """Nothing lost, nothing added (but line breaks); each page's text begins at its offset."""
    printed = [line for p in paragraphs for line in wrap(p, width)]
    # What the rules cannot tell from running lines, by design: a printed line whose
    # digits-blind form repeats (it may stand at the edge of several pages), and a bare
    # number (at a page's edge, it is the page number).
    keys = [re.sub(r"\d+", "#", re.sub(r"\s", "", line)) for line in printed]
    assume(len(set(keys)) == len(keys) and all(re.search(r"[^\d\s，]", line) for line in printed))
    pages = [printed[i : i + per_page] for i in range(0, len(printed), per_page)]
    if running and len(pages) >= 3:
        pages = [["某县人民政府办公室", *page, f"- {n} -"] for n, page in enumerate(pages, start=1)]
    result = join_pages(pages)
    squeeze = lambda s: re.sub(r"\s", "", s)  # noqa: E731
    assert squeeze(result.text) == squeeze("".join(paragraphs))
    assert len(result.page_starts) == len(pages)
    assert list(result.page_starts) == sorted(result.page_starts)
    for start, page in zip(result.page_starts, pages):
        body = [line for line in page if line.strip() and line != "某县人民政府办公室" and not line.startswith("- ")]
        if body:  # each page's first printed line of text begins at its offset
            assert result.text[start:].startswith(body[0].strip())
