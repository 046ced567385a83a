from __future__ import annotations

import jieba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.indexer import index_paths, label_for
from chachong.match.check import CheckOptions, check_text
from chachong.phrases import default_min_docs, index_generation, phrase_table
from chachong.phrases.cache import CACHE_NAME
from chachong.phrases.table import restrict, table_from_json
from chachong.store import open_store
from chachong.text.normalize import normalize

from ..conftest import REPO, corpus_text

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
    ad = next(line for line in corpus_text("004_3442f27f9ba37306.txt").splitlines() if line.startswith("【哒哒代笔】"))
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
    from chachong.phrases import table as phrases

    docs = corpus_store.documents()
    monkeypatch.setattr(phrases, "MAX_CORPUS_CHARS", 60_000)  # the corpus is ~188K characters
    table = phrases.compute_phrases(docs, min_docs=12)
    assert table.sampled
    assert table.documents == len(docs[::4]) == 13  # every 4th document: ceil(188,069 / 60,000)
    assert table.min_docs == max(3, round(12 * 13 / 49)) == 3
    assert all(p.docs >= table.min_docs for p in table.phrases)


# -- the repeat finder against a slow reference ---------------------------------------------
def _reference_repeats(docs: list[str], *, min_docs: int, min_chars: int) -> list[tuple[str, int]]:
    """Every substring, counted by brute force: maximal repeats in >= min_docs documents."""
    text = "".join(d + "\x00" for d in docs)
    owner = [i for i, d in enumerate(docs) for _ in range(len(d) + 1)]
    stop = {"\x00", "\n"}
    found = {}
    for a in range(len(text)):
        for b in range(a + min_chars, len(text) + 1):
            s = text[a:b]
            if stop & set(s):
                break
            if s in found:
                continue
            occ = [p for p in range(len(text)) if text.startswith(s, p)]
            n_docs = len({owner[p] for p in occ})
            before = {text[p - 1] if p else "\x00" for p in occ}
            after = {text[p + len(s)] if p + len(s) < len(text) else "\x00" for p in occ}
            left_maximal = len(before) > 1 or bool(before & stop)
            right_maximal = len(after) > 1 or bool(after & stop)
            if n_docs >= min_docs and left_maximal and right_maximal:
                found[s] = (n_docs, occ[0])
    ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], -len(kv[0]), kv[0]))
    return [(s, first) for s, (_, first) in ranked]


@settings(max_examples=200, deadline=None)
@given(
    docs=st.lists(st.text(alphabet="ab\n党", max_size=24), min_size=1, max_size=6),
    min_docs=st.integers(2, 3),
    min_chars=st.integers(2, 4),
)
def test_maximal_repeats_match_a_brute_force_reference(docs, min_docs, min_chars):
    from chachong.phrases import table as phrases

    text = "".join(d + "\x00" for d in docs)
    starts = np.cumsum([0] + [len(d) + 1 for d in docs[:-1]])
    corpus = phrases._SuffixCorpus(text, starts)
    got = phrases._maximal_repeats(corpus, min_docs=min_docs, min_chars=min_chars)
    assert got == _reference_repeats(docs, min_docs=min_docs, min_chars=min_chars)
    for s, first in got:  # and the suffix array finds every occurrence, as str.find does
        assert corpus.occurrences(s).tolist() == [p for p in range(len(text)) if text.startswith(s, p)]
        assert text.find(s) == first


# -- the phrase table computed beside `index`, in a second process -----------------------------
@pytest.fixture
def background(monkeypatch):
    """Use the worker even for the small corpus, and on a one-core machine."""
    from chachong.phrases import worker

    monkeypatch.setattr(worker, "BACKGROUND_MIN_CHARS", 0)
    monkeypatch.setattr(worker, "_usable_cpus", lambda: 2)
    return worker


def _serial_table(store):
    from chachong.phrases import compute_phrases

    return compute_phrases(store.documents(), min_docs=default_min_docs(store.document_count()))


def test_background_table_is_the_serial_one_and_cached(background, index_location, corpus_copy):
    files = sorted(corpus_copy.iterdir())
    with open_store(index_location, create=True) as store:
        index_paths(store, files[:3])
        # The second run adds two files and replaces one: the worker must drop its old version.
        files[0].write_text(files[0].read_text(encoding="utf-8") + "\n补充一句新的内容。\n", encoding="utf-8")
        job = background.BackgroundPhraseTable(index_location)
        report = index_paths(store, [corpus_copy], on_split=job.start)
        assert report.replaced == (label_for(files[0]),) and len(report.added) == 2
        table = job.finish(store)
        assert job.in_background and job.worker_seconds > 0 and job.worker_peak_rss > 0
        assert table == _serial_table(store)
        cached = store.get_derived(CACHE_NAME, index_generation(store))
        assert cached is not None and phrase_table(store) == table


def test_background_table_of_a_state_another_writer_changed_is_not_cached(
    background, index_location, corpus_copy
):
    files = sorted(corpus_copy.iterdir())
    with open_store(index_location, create=True) as store, open_store(index_location) as other:
        job = background.BackgroundPhraseTable(index_location)
        index_paths(store, files[:4], on_split=job.start)
        index_paths(other, [files[4]])  # commits before the worker's table is collected
        table = job.finish(store)
        assert job.in_background
        assert table == _serial_table(store) and table.documents == 49


def test_a_failed_worker_leaves_the_table_to_the_index_process(background, tmp_path):
    location = str(tmp_path / "index.sqlite")
    with open_store(location, create=True) as store:
        job = background.BackgroundPhraseTable(str(tmp_path / "missing" / "index.sqlite"))
        index_paths(store, [REPO / "corpus"], on_split=job.start)
        table = job.finish(store)
        assert job.in_background and job.worker_seconds is None  # the worker could not open it
        assert table == _serial_table(store)


def test_index_command_leaves_the_phrase_table_cached(background, cli, index_location):
    assert cli("index", str(REPO / "corpus"), "--index", index_location).code == 0
    with open_store(index_location) as store:
        generation = index_generation(store)
        raw = store.get_derived(CACHE_NAME, generation)
        assert raw is not None
        assert restrict(table_from_json(raw), default_min_docs(store.document_count())) == _serial_table(store)
