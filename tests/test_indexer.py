from __future__ import annotations

import json
import sqlite3

from chachong.indexer import index_paths
from chachong.match.check import check_text
from chachong.store import open_store


def test_indexing_again_changes_nothing(tmp_path, corpus_copy):
    path = tmp_path / "i.sqlite"
    with open_store(path, create=True) as store:
        first = index_paths(store, [corpus_copy])
        before = (store.stats(), [(d.name, d.sent_base) for d in store.documents()])
        second = index_paths(store, [corpus_copy])
        after = (store.stats(), [(d.name, d.sent_base) for d in store.documents()])
    assert (first.documents, len(first.added)) == (49, 5)
    assert (second.documents, second.added, len(second.unchanged)) == (0, (), 5)
    assert before == after


def test_many_small_runs_are_compacted(tmp_path, corpus_copy):
    path = tmp_path / "i.sqlite"
    with open_store(path, create=True) as store:
        for _k, f in enumerate(sorted(corpus_copy.glob("*.txt"))):
            index_paths(store, [f])
        for i in range(5):  # more runs than MAX_SEGMENTS triggers a merge
            extra = corpus_copy / f"extra{i}.txt"
            extra.write_text(f"补充材料{i}\n\n今年我单位第{i}次开展了档案整理和数字化工作，完成了年度目标任务。\n", encoding="utf-8")
            index_paths(store, [extra])
        stats = store.stats()
        assert stats["segments"] <= 8
        assert stats["documents"] == 54
        doc = store.documents()[10]
        assert check_text(store, doc.text).sources[0].source.doc == doc.name


def test_index_stores_schema_and_params_not_pickle(corpus_index_path):
    db = sqlite3.connect(corpus_index_path)
    meta = dict(db.execute("SELECT key, value FROM meta"))
    assert meta["schema_version"] == "3"
    assert json.loads(meta["params"]) == {"bands": 21, "num_perm": 64, "rows": 3, "seed": 1, "shingle_chars": 5}
    db.close()
