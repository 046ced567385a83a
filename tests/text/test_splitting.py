from __future__ import annotations

import itertools
import json

from chachong.text.splitting import split_documents

from ..conftest import corpus_text

EXPECTED_TITLES = {
    "000_8b880e3bb4cd86c7.txt": [
        "2018年工作总结（银行）", "2018年工作总结（卫计局）", "2018年工作总结（旅发委）", "2018年工作总结（税务局）",
    ],
    "001_e5cfe61341d97502.txt": [
        "2023年度工作总结和2024年度工作计划", "XX镇2023年工作总结2024年工作计划",
        "XX镇2023年工作总结和2024年工作计划", "区城市管理局2023年度政府信息公开工作总结和2024年工作计划",
        "区审计局2023年工作总结和2024年工作计划", "市审计局2023年法治政府建设工作总结和2024年工作计划",
        "县文化和旅游局2023年工作总结和2024年工作计划", "县医疗保障局2023年度工作总结和2024年度工作计划",
        "县医疗保障局2023年工作总结及2024年工作计划", "县应急管理局2023年工作总结和2024工作计划",
        "乡2023年工作总结及2024年工作计划", "乡国民经济和社会发展2023年工作总结和2024年工作计划",
        "镇2023年工作总结和2024年工作计划",
    ],
    "002_5c485a01b3fa9e27.txt": [
        "2023年XX县XX中学学校工作总结", "2023年D建工作总结", "2023年D支部D建工作总结",
        "2023年度XX区农业农村局法治政府建设工作总结", "2023年法治政府建设工作总结",
        "2023年开展爱国卫生运动工作总结", "2023年农民专业合作社工作总结", "XX街道2023年工作总结",
        "XX新城2023年乡村振兴工作总结", "市审计局2023年D建工作总结", "市审计局2023年政务公开工作总结",
        "市统计局2023年人事工作总结", "市卫生健康委2023年基层政务公开“两化”工作总结",
        "市政府办公室2023年D建工作总结", "县2023年度粮食节约和反食品浪费工作总结",
        "县2023年疾病预防健康宣教工作总结", "县民政局2023年定点帮扶工作总结",
    ],
    "003_ec39d6286021c7d9.txt": ["县政府2018年工作总结暨2019年工作谋划"],
    "004_3442f27f9ba37306.txt": [
        "图书馆2023年工作总结及2024年工作计划", "文化和旅游局2023年工作总结和2024年工作打算",
        "市场监督管理局2023年工作总结及2024年工作计划", "环卫局2023年工作总结和2024年工作计划的报告",
        "乡村振兴局2023年工作总结和2024年工作计划的报告", "医疗保障局2023年工作总结",
        "民政局2023年工作总结及2024年工作打算", "数据资源管理局2023年全年工作总结",
        "商务局2023年工作总结和2024年工作谋划", "统计局2022年工作总结及2023年工作计划",
        "市人社局2023年工作总结", "公安局2023年工作总结及2024年工作谋划",
        "街道2023年工作总结及2024年工作谋划", "民政局2023年工作总结及2024年工作计划",
    ],
}


def test_corpus_has_49_documents_with_exact_titles_and_spans(corpus_store):
    docs = corpus_store.documents()
    assert len(docs) == 49
    by_file: dict[str, list] = {}
    for d in docs:
        by_file.setdefault(d.file.rsplit("/", 1)[-1], []).append(d)
    assert {k: [d.title for d in v] for k, v in by_file.items()} == EXPECTED_TITLES
    for name, file_docs in by_file.items():
        text = corpus_text(name)
        for d in file_docs:
            assert text[d.start : d.end] == d.text
            assert d.text.startswith(d.title)
        # documents are in file order and do not overlap
        assert all(a.end <= b.start for a, b in itertools.pairwise(file_docs))


def test_toc_ads_and_watermarks_are_not_document_text(corpus_store):
    for d in corpus_store.documents():
        assert "目录" not in d.text.splitlines()[0:3]
        assert "\t" not in d.text, d.name  # table-of-contents entries are title<TAB>page
        assert "哒哒" not in d.text
        assert "##paidend##" not in d.text
        assert "本文系邮箱投稿" not in d.text


def test_distributor_lines_are_recognised_by_recurrence(corpus_store):
    files = {f.path.rsplit("/", 1)[-1]: f for f in corpus_store.files()}
    assert files["000_8b880e3bb4cd86c7.txt"].set_aside == ("本文系邮箱投稿，仅供学习参考，请勿照搬照抄！",)
    for name in ("001_e5cfe61341d97502.txt", "002_5c485a01b3fa9e27.txt", "004_3442f27f9ba37306.txt"):
        aside = files[name].set_aside
        assert "##paidend##" in aside
        assert any(line.startswith("【哒哒素材库】") for line in aside)
        assert any("9000万字" in line for line in aside)
        assert any(line.startswith("【哒哒代笔】") for line in aside)
        assert len(aside) == 4


def test_section_heading_that_looks_like_a_title_does_not_split():
    text = corpus_text("002_5c485a01b3fa9e27.txt")
    split = split_documents(text)
    assert len(split.documents) == 17
    assert "2024年工作打算" not in [d.title for d in split.documents]


def test_declared_count_disagreement_is_a_warning():
    text = corpus_text("001_e5cfe61341d97502.txt").replace("（13篇）", "（12篇）", 1)
    split = split_documents(text)
    assert split.declared_count == 12
    assert split.warnings == ("declares 12 documents but 13 were found in its table of contents",)


def test_missing_toc_entry_is_a_warning():
    text = corpus_text("001_e5cfe61341d97502.txt")
    text = text.replace("\n区审计局2023年工作总结和2024年工作计划\n\n", "\n区审计局工作情况\n\n", 1)
    split = split_documents(text)
    assert len(split.documents) == 12
    assert "table of contents entry not found in the text: 区审计局2023年工作总结和2024年工作计划" in split.warnings


def test_plain_file_is_one_document():
    split = split_documents("关于加强档案管理的几点意见\n\n一是要健全制度。二是要配齐人员。\n")
    assert [(d.title, d.start) for d in split.documents] == [("关于加强档案管理的几点意见", 0)]


def test_docs_json_lists_49_documents(cli, corpus_index_path):
    out = cli("docs", "--json", "--index", str(corpus_index_path))
    assert out.code == 0
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 49
    assert set(rows[0]) >= {"doc", "file", "title", "chars"}
    assert rows[0]["doc"] == "000_8b880e3bb4cd86c7.txt#1"
    assert rows[0]["title"] == "2018年工作总结（银行）"
