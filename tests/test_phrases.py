from __future__ import annotations

import jieba

from chachong.check import CheckOptions, check_text
from chachong.normalize import normalize
from chachong.phrases import default_min_docs, phrase_table

from .conftest import corpus_text

ORIGINAL_IN_THE_GENRE = """2024年，我局坚持以新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神，在县委、县政府的坚强领导下，围绕全县水利工作大局，扎实推进各项任务落实。
一是开展学习贯彻新时代中国特色社会主义思想主题教育，组织干部职工集中学习十二次，撰写心得体会四十余篇。
二是加强党风廉政建设，与各股室负责人签订责任书，开展廉政谈话二十余人次。
三是巩固拓展脱贫攻坚成果同乡村振兴有效衔接，完成农村饮水安全巩固提升工程六处，解决一千二百余名群众饮水问题。
四是推进河湖长制落实，全年巡河三百余次，清理河道垃圾八百余吨，水质达标率保持稳定。"""


def test_known_phrases_near_the_top(corpus_store):
    table = phrase_table(corpus_store)
    assert table.min_docs == default_min_docs(49) == 4
    top = [p.normalized for p in table.phrases[:20]]
    assert "以新时代中国特色社会主义思想为指导" in top
    assert "党的二十大精神" in top[:3]
    assert "学习贯彻新时代中国特色社会主义思想主题教育" in top
    first = table.phrases[0]
    assert (first.docs, first.normalized) == (22, "党的二十大精神")
    # ranked by documents, then length
    keys = [(-p.docs, -len(p.normalized)) for p in table.phrases]
    assert keys == sorted(keys)


def test_phrases_see_through_masks_and_D(corpus_store):
    table = phrase_table(corpus_store)
    party = next(p for p in table.phrases if p.normalized == "党风廉政建设")
    # the 2018 files write 党, the 2023 ones D: both count
    docs = {e.doc[:3] for e in party.examples}
    assert party.files >= 3 and party.docs >= 10
    texts = {corpus_text(e.doc.split("#")[0])[e.start : e.end] for e in party.examples}
    assert texts <= {"党风廉政建设", "D风廉政建设"} and docs


def test_no_phrase_cuts_a_word(corpus_store):
    jieba.setLogLevel(60)
    for p in phrase_table(corpus_store).phrases:
        for e in p.examples[:1]:  # the occurrence whose wording the phrase is given in
            text = corpus_text(e.doc.split("#")[0])
            lo, hi = max(0, e.start - 12), e.end + 12
            bounds = {lo + s for _, s, _ in jieba.tokenize(text[lo:hi])} | {lo + t for _, _, t in jieba.tokenize(text[lo:hi])}
            assert e.start in bounds and e.end in bounds, (p.phrase, text[e.start - 3 : e.end + 3])
        assert p.normalized[-1] not in "为的和及与对把"
        assert p.docs >= 4 and p.count >= p.docs


def test_phrases_are_maximal(corpus_store):
    phrases = phrase_table(corpus_store).phrases
    for p in phrases:
        assert not any(p.normalized in q.normalized and q.count >= p.count for q in phrases if q is not p)


def test_phrase_table_is_cached_until_the_index_changes(corpus_store):
    first = phrase_table(corpus_store)
    assert phrase_table(corpus_store) == first
    assert phrase_table(corpus_store, min_docs=10).min_docs == 10
    assert all(p.docs >= 10 for p in phrase_table(corpus_store, min_docs=10).phrases)


def test_original_draft_full_of_stock_phrases_is_not_copied(corpus_store):
    result = check_text(corpus_store, ORIGINAL_IN_THE_GENRE)
    assert result.copy_ratio <= 0.01
    assert result.boilerplate_ratio > 0.2
    stock = [p for p in result.passages if p.kind == "boilerplate"]
    assert [p.text for p in stock] == [
        "坚持以新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大精神，在县委、县政府的坚强领导",
        "学习贯彻新时代中国特色社会主义思想主题教育",
        "党风廉政建设",
        "巩固拓展脱贫攻坚成果同乡村振兴有效衔接",
    ]
    assert all(p.source is None and p.common_to >= 4 for p in stock)
    assert [p.common_to for p in stock][2] == 13  # 党风廉政建设 in 13 documents


def test_a_13_character_rule_would_call_it_copied(corpus_store):
    """The run that CNKI-style checkers flag: ≥13 identical characters shared with the corpus."""
    corpus = "".join(normalize(d.text).text for d in corpus_store.documents())
    draft = normalize(ORIGINAL_IN_THE_GENRE).text
    assert any(draft[i : i + 13] in corpus for i in range(len(draft) - 13))


def test_copied_paragraph_with_stock_phrases_is_one_copy_passage(corpus_store):
    text = corpus_text("001_e5cfe61341d97502.txt")
    start = text.index("今年以来，在县委、县政府的坚强领导下，在市卫生健康委的有力指导下")
    end = text.index("\n", start)
    paragraph = text[start:end]
    assert "深入学习贯彻新时代中国特色社会主义思想" in paragraph
    draft = "我们单位今年的情况简述如下，供参考。\n" + paragraph + "\n"
    result = check_text(corpus_store, draft)
    copies = [p for p in result.passages if p.kind == "copy"]
    assert len(copies) == 1
    assert copies[0].source.doc == "001_e5cfe61341d97502.txt#1"
    assert copies[0].text == paragraph[: len(copies[0].text)] and len(copies[0].text) > 0.95 * len(paragraph)
    # the stock phrases inside it are not counted as copied
    assert result.copy_ratio < copies[0].end / len(draft)


def test_common_docs_option_changes_the_threshold(corpus_store):
    strict = check_text(corpus_store, ORIGINAL_IN_THE_GENRE, options=CheckOptions(common_docs=30))
    assert strict.boilerplate_ratio < check_text(corpus_store, ORIGINAL_IN_THE_GENRE).boilerplate_ratio


def test_distributor_ads_in_a_draft_are_boilerplate_not_copies(corpus_store):
    ad = [line for line in corpus_text("004_3442f27f9ba37306.txt").splitlines() if line.startswith("【哒哒代笔】")][0]
    draft = ORIGINAL_IN_THE_GENRE.splitlines()[4] + "\n" + ad + "\n"
    result = check_text(corpus_store, draft)
    ad_start = draft.index(ad)
    on_ad = [p for p in result.passages if p.end > ad_start]
    # the ad is one passage per sentence (it contains a "！"), each marked as boilerplate
    assert [p.kind for p in on_ad] == ["boilerplate", "boilerplate"]
    assert on_ad[0].start == ad_start + 1 and on_ad[-1].end == len(draft) - 1  # "【" … "cwk"
    assert all(p.common_to > 0 for p in on_ad)
    assert result.copy_ratio == 0.0


def test_phrases_cli_json_csv_and_table(cli, corpus_index_path):
    import csv
    import io
    import json

    out = cli("phrases", "--json", "--top", "20", "--index", corpus_index_path)
    assert out.code == 0
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 20
    assert all(set(r) >= {"phrase", "docs", "count"} for r in rows)
    assert rows[0] == {**rows[0], "phrase": "D的二十大精神", "docs": 22, "count": 48}
    assert "D的二十大精神" in out.stdout  # Chinese readable, not \\u escapes
    csv_rows = list(csv.reader(io.StringIO(cli("phrases", "--csv", "--top", "3", "--index", corpus_index_path).stdout)))
    assert csv_rows[0][:3] == ["phrase", "docs", "count"] and len(csv_rows) == 4
    strict = [json.loads(x) for x in cli("phrases", "--json", "--min-docs", "15", "--index", corpus_index_path).stdout.splitlines()]
    assert strict and all(r["docs"] >= 15 for r in strict)
    table = cli("phrases", "--top", "5", "--index", corpus_index_path)
    assert "以新时代中国特色社会主义思想" in table.stdout.replace("\n", "").replace("│", "").replace(" ", "")
    assert cli("phrases", "--top", "0", "--index", corpus_index_path).code == 2
    assert cli("phrases", "--min-docs", "1", "--index", corpus_index_path).code == 2


def test_check_common_docs_option(cli, corpus_index_path, tmp_path):
    import json

    draft = tmp_path / "original.txt"
    draft.write_text(ORIGINAL_IN_THE_GENRE, encoding="utf-8")
    default = json.loads(cli("check", draft, "--json", "--index", corpus_index_path).stdout)
    strict = json.loads(cli("check", draft, "--json", "--common-docs", "30", "--index", corpus_index_path).stdout)
    assert default["copy_ratio"] <= 0.01 and default["boilerplate_ratio"] > 0.2
    assert strict["boilerplate_ratio"] < default["boilerplate_ratio"]
    assert cli("check", draft, "--common-docs", "1", "--index", corpus_index_path).code == 2


def test_large_library_is_sampled_and_threshold_scaled(corpus_store, monkeypatch):
    from chachong import phrases

    docs = corpus_store.documents()
    monkeypatch.setattr(phrases, "MAX_CORPUS_CHARS", 60_000)  # the corpus is ~188K characters
    table = phrases.compute_phrases(docs, min_docs=12)
    assert table.sampled
    assert table.documents == len(docs[::4]) == 13  # every 4th document: ceil(188,069 / 60,000)
    assert table.min_docs == max(3, round(12 * 13 / 49)) == 3
    assert all(p.docs >= table.min_docs for p in table.phrases)
