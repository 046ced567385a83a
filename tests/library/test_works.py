"""Works: reprints of one article are grouped, counted once, and named by their best match."""

from __future__ import annotations

import shutil

from chachong.indexer import index_paths
from chachong.library.ads import ad_like
from chachong.match.check import check_text
from chachong.match.pairs import find_pairs
from chachong.phrases import phrase_table
from chachong.store import open_store

from ..conftest import CORPUS, corpus_text

TAX = "2018年工作总结（税务局）"


def _works(store) -> dict[str, list[str]]:
    """The works of an index: the name of the document naming it -> its documents' names."""
    docs = store.documents()
    names = {d.id: d.name for d in docs}
    out: dict[str, list[str]] = {}
    for d in docs:
        out.setdefault(names[d.work], []).append(d.name)
    return out


def test_reprints_are_grouped_into_works(reprint_library, reprint_location):
    with open_store(reprint_location) as store:
        works = _works(store)
        info = store.library_info()
    assert (info.documents, info.works) == (245, 49)
    # Each work: the corpus document (it names the work: the smallest name) and its four reprints.
    assert works == {
        original: sorted([original, *reprints]) for original, reprints in reprint_library.works.items()
    }


def test_distributor_lines_of_reprinted_files_are_ads_only(reprint_location):
    with open_store(reprint_location) as store:
        files = {f.name: f for f in store.files()}
        titles = {d.name: d.title for d in store.documents()}
    # The originals lose nothing more than on their own (001: 4, 003: 1, 004: 4 — not 9, 10, 9).
    assert {n: len(f.set_aside) for n, f in files.items() if n.startswith("corpus/")} == {
        "corpus/000_8b880e3bb4cd86c7.txt": 1, "corpus/001_e5cfe61341d97502.txt": 4,
        "corpus/002_5c485a01b3fa9e27.txt": 4, "corpus/003_ec39d6286021c7d9.txt": 1,
        "corpus/004_3442f27f9ba37306.txt": 4,
    }
    for name, f in files.items():
        assert f.set_aside and all(ad_like(line) for line in f.set_aside), (name, f.set_aside)
        # r1, r3: 3 distinct ad lines; r2, r4: 2; a one-document reprint also has a watermark.
        if name.startswith("reprints/"):
            expected = (3 if name[10] in "13" else 2) + (name.endswith("003_ec39d6286021c7d9.txt"))
            assert len(f.set_aside) == expected, (name, f.set_aside)
    # 003's title line recurs at the top of all five copies and stays its title.
    assert {t for n, t in titles.items() if "003_" in n} == {"县政府2018年工作总结暨2019年工作谋划"}


def test_a_reprinted_sentence_stays_a_copy_not_stock_phrasing(reprint_location, corpus_index_path):
    text = corpus_text("000_8b880e3bb4cd86c7.txt")
    start = text.index("（二）税收职能作用有效发挥")
    draft = text[start : text.index("\n", start)]
    with open_store(reprint_location) as store:
        result = check_text(store, draft)
    with open_store(corpus_index_path) as corpus:  # the corpus alone (one backend suffices for it)
        plain = check_text(corpus, draft)
    assert [p.kind for p in result.passages] == [p.kind for p in plain.passages]
    copy = result.copies[0]
    assert (copy.source.doc, copy.source.reprints, copy.source.title) == (
        "corpus/000_8b880e3bb4cd86c7.txt#4", 4, TAX,
    )
    assert abs(result.copy_ratio - plain.copy_ratio) < 0.01 and result.copy_ratio > 0.9
    assert max((b.common_to for b in result.boilerplate), default=0) <= max(
        (b.common_to for b in plain.boilerplate), default=0
    )


def test_phrase_table_counts_works(reprint_location, corpus_index_path):
    with open_store(reprint_location) as store, open_store(corpus_index_path) as corpus:
        reprinted = phrase_table(store)
        plain = phrase_table(corpus)
    assert reprinted.min_docs == plain.min_docs == 4
    assert [(p.phrase, p.docs, p.count) for p in reprinted.phrases] == [(p.phrase, p.docs, p.count) for p in plain.phrases]


def test_one_cached_table_counts_works_and_every_threshold_cuts_it(reprint_location, corpus_index_path):
    """The base table (phrases in 2 works) is cached once under the index state, works
    included, and each threshold is that table cut: on the reprint library (245 documents,
    49 works) every threshold gives the corpus's phrases, counted in works."""
    from chachong.phrases.cache import CACHE_NAME, index_generation

    with open_store(reprint_location) as store, open_store(corpus_index_path) as corpus:
        for min_docs in (2, 3, 5, 9):
            reprinted, plain = phrase_table(store, min_docs=min_docs), phrase_table(corpus, min_docs=min_docs)
            assert [(p.phrase, p.docs) for p in reprinted.phrases] == [(p.phrase, p.docs) for p in plain.phrases]
            assert all(p.docs >= min_docs for p in reprinted.phrases) and reprinted.documents == 49
        assert store.get_derived(CACHE_NAME, index_generation(store)) is not None
        assert store.get_derived("phrases:4", index_generation(store)) is None  # no table per threshold


def test_pairs_do_not_list_reprints_of_one_work(reprint_location, corpus_index_path):
    with open_store(reprint_location) as store, open_store(corpus_index_path) as corpus:
        result = find_pairs(store)
        work = {d.name: d.work for d in store.documents()}
        plain = find_pairs(corpus)
    assert result.max_docs == plain.max_docs == 3
    assert result.reprint_pairs >= 49 * 10  # every pair of the five copies of each document
    assert all(work[p.a.doc] != work[p.b.doc] for p in result.pairs)
    # Pairs between different works are those of the plain corpus, between any of their copies.
    assert {(p.a.title, p.b.title) for p in result.pairs} >= {(p.a.title, p.b.title) for p in plain.pairs}


def _edited_copy(tmp_path):
    """a/doc.txt: a corpus document; b/doc.txt: the same with one sentence rewritten."""
    text = corpus_text("003_ec39d6286021c7d9.txt")
    old = "大力实施开放带动战略"
    new = "全面实施开放带动战略和创新驱动战略"
    (tmp_path / "lib" / "a").mkdir(parents=True)
    (tmp_path / "lib" / "b").mkdir()
    (tmp_path / "lib" / "a" / "doc.txt").write_text(text, encoding="utf-8")
    (tmp_path / "lib" / "b" / "doc.txt").write_text(text.replace(old, new), encoding="utf-8")
    start = text.index("（二）项目建设成效显著")
    paragraph = text[start : text.index("\n", start)]
    return paragraph, paragraph.replace(old, new)


def test_a_copy_names_the_best_matching_reprint(index_location, tmp_path):
    same, edited = _edited_copy(tmp_path)
    with open_store(index_location, create=True) as store:
        index_paths(store, [tmp_path / "lib"])
        assert len(_works(store)) == 1  # the two files are one work
        from_edited = check_text(store, "前言。\n" + edited)
        from_both = check_text(store, "前言。\n" + same)
    # The edited sentence is only in b: b matches best. Text in both: the document naming the work.
    assert [(p.source.doc, p.source.reprints) for p in from_edited.copies] == [("b/doc.txt#1", 1)]
    assert [(p.source.doc, p.source.reprints) for p in from_both.copies] == [("a/doc.txt#1", 1)]
    assert from_edited.copies[0].score > 0.99


def test_works_do_not_depend_on_the_order_of_indexing(index_location, reprint_library, tmp_path):
    lib = tmp_path / "lib"
    (lib / "corpus").mkdir(parents=True)
    (lib / "reprints").mkdir()
    for name in ("000_8b880e3bb4cd86c7.txt", "003_ec39d6286021c7d9.txt"):
        shutil.copy(CORPUS / name, lib / "corpus" / name)
        for k in (1, 2):
            shutil.copy(reprint_library.root / "reprints" / f"r{k}_{name}", lib / "reprints" / f"r{k}_{name}")
    with open_store(index_location, create=True) as store:
        index_paths(store, [lib / "reprints"])  # reprints first, then the originals join their works
        index_paths(store, [lib / "corpus"])
        works = _works(store)
        assert len(works) == 5 and all(len(ms) == 3 for ms in works.values())
        assert set(works) == {f"{n}#{i}" for n, i in [("000_8b880e3bb4cd86c7.txt", k) for k in (1, 2, 3, 4)]
                              + [("003_ec39d6286021c7d9.txt", 1)]}
        # Taking the documents naming the works out: the reprints stay one work, named anew.
        store.remove(paths=[str((lib / "corpus" / n).resolve()) for n in ("000_8b880e3bb4cd86c7.txt",
                                                                          "003_ec39d6286021c7d9.txt")])
        works = _works(store)
        assert len(works) == 5 and all(len(ms) == 2 and head.startswith("r1_") for head, ms in works.items())
        assert store.library_info().works == 5


def test_the_phrase_worker_counts_the_works_the_index_will_have(monkeypatch, index_location, reprint_library):
    """The second process computing the phrase table beside `index` predicts the works after the
    write (indexed ones joined by the run's links), so its table is the one cached."""
    from chachong.phrases import worker

    monkeypatch.setattr(worker, "BACKGROUND_MIN_CHARS", 0)
    monkeypatch.setattr(worker, "_usable_cpus", lambda: 2)
    accepted: list[bool] = []
    original = worker.cache_if_current

    def spy(*args, **kwargs):
        accepted.append(original(*args, **kwargs))
        return accepted[-1]

    monkeypatch.setattr(worker, "cache_if_current", spy)
    with open_store(index_location, create=True) as store:
        for folder in ("corpus", "reprints"):  # the reprints join works already indexed
            job = worker.BackgroundPhraseTable(index_location)
            index_paths(store, [reprint_library.root / folder], on_split=job.start)
            table = job.finish(store)
        assert accepted == [True, True] and job.in_background
        assert table == phrase_table(store) and table.documents == store.library_info().works == 49
