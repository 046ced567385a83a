"""`chachong pairs`: which indexed documents share text, stock phrasing left out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from chachong.indexer import index_paths
from chachong.match.pairs import candidate_pairs, find_pairs
from chachong.report.html import render_pairs_html
from chachong.sketch.lsh import band_keys
from chachong.sketch.minhash import signatures
from chachong.sketch.shingles import sentence_shingles
from chachong.store import open_store
from chachong.text.normalize import normalize
from chachong.text.sentences import MIN_SENTENCE_CHARS, split_sentences

from ..browser import browser_dom, need_chromium, parse

STOCK = "在县委县政府的坚强领导下，全体干部职工团结一心、攻坚克难，圆满完成了全年各项目标任务。"
SHARED = (
    "今年我们在城东新区试点垃圾分类智能回收站十二处，居民投放准确率由六成提高到九成以上。"
    "回收站的运营交给本地一家环保合作社，每月向街道报送称重数据和居民积分兑换记录。"
    "明年计划把试点扩大到老城区的全部二十个小区，并引入第三方机构开展年度评估。"
)
UNIQUE = {
    "a": "档案馆完成馆藏民国报纸的数字化扫描，建成全文检索平台，向社会开放查询服务。",
    "b": "气象台新建自动观测站三座，暴雨预警信息提前量平均延长到四十分钟。",
    "c": "图书馆开展少儿阅读推广活动四十场，新办读者证三千余张，流动图书车进村二十次。",
    "d": "水利站完成两座小型水库除险加固，清理河道淤泥五万立方米，修复灌溉渠道八公里。",
    "e": "交通所改造农村公路危桥六座，新增城乡公交线路两条，群众出行更加便捷安全。",
}
TITLES = {
    "a": "<script>document.title='x'</script>档案馆工作总结",
    "b": "气象台2024年工作总结 & \"计划\"",
    "c": "图书馆2024年工作总结",
    "d": "水利站2024年工作总结",
    "e": "交通所2024年工作总结",
}


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lib")
    for key in "abcde":
        # the shared paragraph is not the last line: recurring last lines are distributor ads
        body = [STOCK] + ([SHARED] if key in "ab" else []) + [UNIQUE[key]]
        (folder / f"{key}.txt").write_text(TITLES[key] + "\n\n" + "\n".join(body) + "\n", encoding="utf-8")
    path = tmp_path_factory.mktemp("idx") / "small.sqlite"
    with open_store(path, create=True) as store:
        index_paths(store, [folder])
    return path


def counted(text: str) -> int:
    return int(np.count_nonzero(normalize(text).codes != 10))


def test_only_real_copying_counts_and_stock_sentences_are_ignored(small_index):
    with open_store(small_index) as store:
        result = find_pairs(store, max_docs=3)
    assert [d.title for d in result.documents] == [TITLES[k] for k in "abcde"]
    # the stock sentence is in all 5 documents (> 3): ignored in each of them
    assert result.stock_sentences == 5
    assert len(result.pairs) == 1
    pair = result.pairs[0]
    assert (pair.a.doc, pair.b.doc) == ("a.txt#1", "b.txt#1")
    assert pair.shared_chars == pair.a_chars == pair.b_chars == counted(SHARED)
    assert len(pair.passages) == 1
    passage = pair.passages[0]
    assert passage.a_text == SHARED.rstrip("。") and passage.b_text == SHARED.rstrip("。")
    assert pair.share_a == pytest.approx(counted(SHARED) / pair.a.chars)
    row = pair.to_json()
    assert set(row) == {"a", "b", "a_title", "b_title", "shared_chars", "share_a", "share_b", "passages"}
    assert row["passages"] == 1 and row["a_title"] == TITLES["a"]


def test_a_higher_threshold_counts_the_common_sentence(small_index):
    with open_store(small_index) as store:
        result = find_pairs(store, max_docs=10)
    assert result.stock_sentences == 0
    assert len(result.pairs) == 10  # every pair shares the stock sentence now
    top = result.pairs[0]
    assert (top.a.doc, top.b.doc) == ("a.txt#1", "b.txt#1")
    assert top.shared_chars == counted(SHARED) + counted(STOCK)
    assert {p.shared_chars for p in result.pairs[1:]} == {counted(STOCK)}


def test_passage_offsets_point_into_the_files(small_index):
    with open_store(small_index) as store:
        result = find_pairs(store, max_docs=3)
        files = {d.file: d for d in store.documents()}
    p = result.pairs[0]
    for doc, start, end, text in ((p.a, p.passages[0].a_start, p.passages[0].a_end, p.passages[0].a_text),
                                  (p.b, p.passages[0].b_start, p.passages[0].b_end, p.passages[0].b_text)):
        rec = files[doc.file]
        file_text = rec.text  # a one-document file: the document starts at the title
        assert rec.start == 0 and file_text[start:end] == text


def test_candidates_equal_the_stored_lsh(corpus_store):
    """The group-by over band keys finds exactly what store.candidates finds in the index."""
    params = corpus_store.params
    docs = corpus_store.documents()
    keys, owner, _spans = [], [], []
    for i, d in enumerate(docs):
        norm = normalize(d.text)
        sents = split_sentences(norm, min_chars=max(MIN_SENTENCE_CHARS, params.shingle_chars))
        # the same sentences the indexer stored for this document
        assert np.array_equal(
            np.stack((norm.starts[sents.starts], norm.ends[sents.ends - 1]), axis=1), d.spans
        ), d.name
        h, o = sentence_shingles(norm.codes, sents, k=params.shingle_chars)
        keys.append(band_keys(signatures(h, o, num_perm=params.num_perm, seed=params.seed), params))
        owner.append(np.full(len(sents), i))
    keys_all, owner_all = np.concatenate(keys), np.concatenate(owner)
    base = np.cumsum([0] + [k.shape[0] for k in keys])
    ours = {tuple(x) for x in candidate_pairs(keys_all, owner_all).tolist()}
    for i in (3, 20, 40):  # three documents from different files, checked against the index
        q, sid, _ = corpus_store.candidates(keys[i])
        found = corpus_store.documents_for_sentences(sid)
        stored = set()
        for qi, s in zip(q.tolist(), sid.tolist()):
            doc, local = found[s]
            j = docs.index(next(d for d in docs if d.id == doc.id))
            if j != i:
                g, h = int(base[i] + qi), int(base[j] + local)
                stored.add((min(g, h), max(g, h)))
        mine = {(g, h) for g, h in ours if owner_all[g] == i or owner_all[h] == i}
        assert stored and mine == stored


def test_cli_pairs_json_and_errors(cli, small_index, tmp_path):
    res = cli("pairs", "--index", small_index, "--json", "--max-docs", "3")
    assert res.code == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert rows == [{
        "a": "a.txt#1", "b": "b.txt#1", "a_title": TITLES["a"], "b_title": TITLES["b"],
        "shared_chars": counted(SHARED), "share_a": rows[0]["share_a"], "share_b": rows[0]["share_b"], "passages": 1,
    }]
    assert 0.5 < rows[0]["share_a"] < 1 and "\\u" not in res.stdout
    res = cli("pairs", "--index", small_index, "--max-docs", "3")
    assert res.code == 0 and "a.txt#1" in res.stdout and "1 pairs share text" in res.stdout
    res = cli("pairs", "--index", small_index, "--max-docs", "0")
    assert res.code == 2
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not an index", encoding="utf-8")
    res = cli("pairs", "--index", bad)
    assert res.code == 2 and res.stderr.startswith("chachong: error: ") and len(res.stderr.splitlines()) == 1


def test_pairs_html_heatmap_in_browser(cli, small_index, tmp_path):
    page = tmp_path / "pairs.html"
    res = cli("pairs", "--index", small_index, "--max-docs", "3", "--html", page)
    assert res.code == 0, res.stderr
    static = parse(page.read_text(encoding="utf-8"))
    assert not static.find_all(lambda n: n.tag == "script")  # the map needs no script at all
    need_chromium()
    dom = browser_dom(page)
    assert dom.find_all(lambda n: n.tag == "title")[0].text() == "chachong 文档间复用图"
    cells = dom.find_all(lambda n: n.tag == "rect" and "cell" in n.classes)
    with open_store(small_index) as store:
        pair = find_pairs(store, max_docs=3).pairs[0]
    assert sorted((c.attrs["data-row"], c.attrs["data-col"], c.attrs["data-share"]) for c in cells) == [
        ("a.txt#1", "b.txt#1", f"{pair.share_a:.4f}"), ("b.txt#1", "a.txt#1", f"{pair.share_b:.4f}"),
    ]
    # the two documents that share text sit next to each other, first in the map
    labels = dom.find_all(lambda n: n.tag == "svg")[0].find_all(lambda n: n.tag == "title")
    assert TITLES["a"] in labels[0].text() and TITLES["b"] in labels[2].text()
    row = dom.by_id("pair-1")
    assert TITLES["a"] in row.text() and TITLES["b"] in row.text()
    assert dom.find_all(lambda n: n.tag == "details")[0].text().count(SHARED[:20]) == 2


def test_render_pairs_html_with_nothing_shared(small_index):
    with open_store(small_index) as store:
        result = find_pairs(store, max_docs=1)
    assert result.pairs == ()
    dom = parse(render_pairs_html(result))
    assert "No two documents share text beyond stock phrasing." in dom.text()
    assert not dom.find_all(lambda n: n.tag == "rect" and "cell" in n.classes)


def test_pairs_agree_with_check_on_the_sample_draft(tmp_path, corpus_store):
    """Indexed next to the corpus, the sample draft pairs with exactly the sources check names."""
    from chachong.indexer import bundled_corpus_dir
    from chachong.match.check import check_text

    from ..conftest import REPO

    sample = REPO / "examples" / "sample_draft.txt"
    with open_store(tmp_path / "lib.sqlite", create=True) as store:
        index_paths(store, [bundled_corpus_dir(), sample])
        result = find_pairs(store)
    checked = check_text(corpus_store, sample.read_text(encoding="utf-8"))
    with_draft = [p for p in result.pairs if "sample_draft.txt#1" in (p.a.doc, p.b.doc)]
    assert [p.b.doc for p in with_draft] == [s.source.doc for s in checked.sources]
    assert [round(p.share_a, 4) for p in with_draft] == [round(s.share, 4) for s in checked.sources]
    assert [p.shared_chars for p in with_draft] == [s.chars for s in checked.sources]


# -- bounded work (issue 15 item 7) -------------------------------------------------------------
GOLDEN = Path(__file__).resolve().parents[1] / "golden"


@pytest.mark.parametrize(("max_docs", "golden", "stock"), [
    (None, "pairs-corpus.jsonl", 27), (2, "pairs-corpus-max2.jsonl", 43), (10, "pairs-corpus-max10.jsonl", 11),
])
def test_bundled_corpus_pairs_are_those_of_the_unbounded_version(corpus_store, max_docs, golden, stock, monkeypatch):
    """Buckets capped and pairs verified lazily, the bundled corpus gives the pairs and the
    sentences set aside that pairing every bucket and aligning every pair gave (the golden
    files: recorded by the unbounded find_pairs of commit 837e666 on today's phrase table)."""
    from chachong.match import pairs as module

    result = find_pairs(corpus_store, max_docs=max_docs)
    rows = [json.dumps(p.to_json(), ensure_ascii=False) for p in result.pairs]
    assert rows == (GOLDEN / golden).read_text(encoding="utf-8").splitlines()
    assert result.stock_sentences == stock
    monkeypatch.setattr(module, "BUCKET_DOCS_FACTOR", 10**6)  # no bucket capped: the same, passages too
    assert find_pairs(corpus_store, max_docs=max_docs) == result


def test_a_sentence_in_twenty_thousand_documents_forms_no_pair_and_is_stock():
    """20,000 documents sharing one sentence: the bucket is capped before pairs are formed
    (unbounded: 2×10^8 pairs per band, killed at 20 GB), in little memory."""
    import tracemalloc

    from chachong.match.pairs import bucket_pairs

    rng = np.random.default_rng(0)
    n_docs, bands = 20_000, 21
    shared = rng.integers(-(2**62), 2**62, size=bands)
    # Per document: the shared sentence, then two of its own; documents 0 and 1 share one more.
    keys = rng.integers(-(2**62), 2**62, size=(3 * n_docs, bands))
    keys[0::3] = shared
    keys[4] = keys[1]
    owner = np.repeat(np.arange(n_docs), 3)
    tracemalloc.start()
    found = bucket_pairs(keys, owner, max_docs=70)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert found.pairs.tolist() == [[1, 4]]
    assert np.flatnonzero(found.capped).tolist() == list(range(0, 3 * n_docs, 3))
    assert peak < 100 * 2**20  # bytes: the arrays of 60,000 sentences, nothing quadratic


def test_capped_sentences_are_set_aside_and_the_rest_still_pairs(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    n = 30  # more than BUCKET_DOCS_FACTOR × max_docs (8 × 3) documents share the stock sentence
    for i in range(n):
        # Own text enough that d00 and d01 (which share SHARED) are two works, not reprints of one.
        own = "".join(chr(0x4E00 + (i * 97 + k * 13) % 20_000) for k in range(120))
        body = [STOCK, own + "。"] + ([SHARED] if i < 2 else [])
        (folder / f"d{i:02d}.txt").write_text(f"单位{i}总结\n\n" + "\n".join(body) + "\n结束语各不相同" + own[:9] + "。\n",
                                              encoding="utf-8")
    calls = []
    with open_store(tmp_path / "i.sqlite", create=True) as store:
        index_paths(store, [folder])
        result = find_pairs(store, max_docs=3, on_progress=lambda done, total, what: calls.append((done, total, what)))
    assert [(p.a.doc, p.b.doc) for p in result.pairs] == [("d00.txt#1", "d01.txt#1")]
    assert result.pairs[0].shared_chars == counted(SHARED)
    assert result.stock_sentences >= n  # the stock sentence of every document
    # progress was reported: documents read, then pairs compared, up to their totals
    assert calls[0][:2] == (0, n) and calls[-1][0] == calls[-1][1] and calls[-1][2] == "comparing sentences"


def test_buckets_are_capped_by_works_not_by_reprints():
    """30 documents sharing a sentence, but reprints of two works: more than 8 × max_docs (24)
    documents, 2 works, so the bucket pairs (its pairs of one work are left to find_pairs)."""
    from chachong.match.pairs import bucket_pairs

    rng = np.random.default_rng(1)
    keys = rng.integers(-(2**62), 2**62, size=(60, 21))
    keys[0::2] = keys[0]  # sentence 0 of every document
    owner = np.repeat(np.arange(30), 2)
    works = np.where(owner < 15, 0, 15)
    by_document = bucket_pairs(keys, owner, max_docs=3)
    assert by_document.pairs.size == 0 and by_document.capped[0::2].all()
    by_work = bucket_pairs(keys, owner, max_docs=3, works=works)
    assert not by_work.capped.any()
    assert len(by_work.pairs) == 30 * 29 // 2  # every pair of documents, of one work or two


def test_reprints_pair_across_works_only_and_never_make_a_sentence_stock(tmp_path):
    """Fifteen reprints each of two articles that share a paragraph: the paragraph is in 30
    documents but 2 works, so it counts; every document pair across the works is listed
    (15 × 15), none within one (2 × 105 reprint pairs)."""
    folder = tmp_path / "lib"
    folder.mkdir()
    for w in range(2):
        own = "".join(chr(0x4E00 + (w * 4001 + k * 17) % 20_000) for k in range(300))
        article = f"第{w}篇文章\n\n{own}。\n{SHARED}\n"
        for copy in range(15):
            (folder / f"w{w}-{copy:02d}.txt").write_text(article, encoding="utf-8")
    with open_store(tmp_path / "i.sqlite", create=True) as store:
        index_paths(store, [folder])
        assert store.library_info().works == 2
        result = find_pairs(store, max_docs=3)
    assert len(result.pairs) == 15 * 15 and result.reprint_pairs == 2 * 15 * 14 // 2
    assert all(p.a.doc.startswith("w0-") and p.b.doc.startswith("w1-") for p in result.pairs)
    assert {p.shared_chars for p in result.pairs} == {counted(SHARED)} and result.stock_sentences == 0
