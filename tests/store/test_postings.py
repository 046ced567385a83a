"""Posting layers (the fragment layer's fingerprints) in both backends: exact lookups, stock
keys capped, replaced files' postings dropped, the same answers on SQLite and Redis."""

from __future__ import annotations

import numpy as np
import pytest

from chachong.indexer import encode_file, index_paths
from chachong.model import WINDOW_FLAG
from chachong.store import open_store
from chachong.store import postings as layers
from chachong.text.reading import read_text

from ..conftest import CORPUS

CAP = layers.LAYERS[layers.FRAGMENT_LAYER].cap


def _u32(values) -> np.ndarray:
    return np.array(values, dtype=np.uint32)


def test_build_sorts_dedups_and_stops_keys_over_the_cap():
    keys = _u32([9, 5, 5, 5, 3, 3, 9, 7])
    ids = _u32([1, 2, 2, 4, 8, 7, 3, layers.STOPPED])
    k, i = layers.build(keys, ids, cap=2)
    # 5 has ids {2, 4}: at the cap, kept; 7 was stopped in a merged segment: stays stopped.
    assert list(zip(k.tolist(), i.tolist())) == [(3, 7), (3, 8), (5, 2), (5, 4), (7, int(layers.STOPPED)),
                                                  (9, 1), (9, 3)]
    k, i = layers.build(keys, ids, cap=1)
    assert list(zip(k.tolist(), i.tolist())) == [(3, int(layers.STOPPED)), (5, int(layers.STOPPED)),
                                                  (7, int(layers.STOPPED)), (9, int(layers.STOPPED))]


def test_find_and_combine_over_segments():
    first = layers.build(_u32([1, 1, 2, 4]), _u32([10, 11, 12, 13]), cap=3)
    second = layers.build(_u32([1, 2, 2, 3]), _u32([20, 21, 22, 23]), cap=3)
    probes = _u32([1, 2, 3, 5])
    parts = [layers.find(probes, *first), layers.find(probes, *second)]
    probe, ids = layers.combine(parts, probes.size, cap=3)
    # key 1: 3 postings in all (at the cap); key 2: 3; key 3: 1; key 5: none
    assert list(zip(probe.tolist(), ids.tolist())) == [(0, 10), (0, 11), (0, 20), (1, 12), (1, 21), (1, 22),
                                                      (2, 23)]
    probe, ids = layers.combine(parts, probes.size, cap=2)  # over the cap across segments: dropped
    assert list(zip(probe.tolist(), ids.tolist())) == [(2, 23)]


def test_bucket_bits_keep_buckets_small():
    assert layers.bucket_bits(0) == 0 and layers.bucket_bits(layers.BUCKET_ENTRIES) == 0
    assert layers.bucket_bits(1_000_000) == 14  # 1e6 / 2**14 = 61 postings a bucket
    keys = np.sort(np.random.default_rng(1).integers(0, 2**32, 5000, dtype=np.uint64).astype(np.uint32))
    parts = list(layers.buckets(keys, keys, layers.bucket_bits(keys.size)))
    assert np.array_equal(np.concatenate([k for _, k, _ in parts]), keys)
    assert [b for b, _, _ in parts] == sorted(b for b, _, _ in parts)


def _expected(files, probe_keys, cap=CAP, layer=layers.FRAGMENT_LAYER):
    """Brute force over what the indexer encoded: {probe index: sorted ids}, keys over the cap left out."""
    posted: dict[int, set[int]] = {}
    sid = 0
    for nf in files:
        for doc in nf.documents:
            found = layers.of_document(doc)[layer]
            ids = (found.sentences() + sid) | np.where(found.windows(), WINDOW_FLAG, 0)
            for key, i in zip(found.keys.tolist(), ids.tolist()):
                posted.setdefault(key, set()).add(i)
            sid += doc.spans.shape[0]
    out = {}
    for j, key in enumerate(probe_keys.tolist()):
        ids = posted.get(key, set())
        if ids and len(ids) <= cap:
            out[j] = sorted(ids)
    return out


def _got(store, probe_keys, layer=layers.FRAGMENT_LAYER):
    probe, ids = store.postings(layer, probe_keys)
    out: dict[int, list[int]] = {}
    for p, i in zip(probe.tolist(), ids.tolist()):
        out.setdefault(p, []).append(i)
    return out


def test_lookups_are_exact_on_both_backends(index_location):
    paths = sorted(CORPUS.glob("*.txt"))
    with open_store(index_location, create=True) as store:
        encoded = [encode_file(read_text(p), label=p.name, recurring=set(), params=store.params) for p in paths]
        store.write(encoded[:2])  # two runs: two segments in SQLite
        store.write(encoded[2:])
        for layer in layers.LAYERS:
            keys = np.unique(np.concatenate([layers.of_document(d)[layer].keys for nf in encoded for d in nf.documents]))
            probe_keys = np.unique(np.concatenate((keys[::5], _u32([0, 1, 2**32 - 1]))))
            expected = _expected(encoded, probe_keys, cap=layers.LAYERS[layer].cap, layer=layer)
            assert len(expected) > 1000
            assert _got(store, probe_keys, layer) == expected
            if layer == layers.PARAPHRASE_LAYER:  # windows of two sentences are posted too
                assert any(i & WINDOW_FLAG for ids in expected.values() for i in ids)


def test_a_key_posted_for_more_sentences_than_the_cap_gives_nothing(index_location, tmp_path):
    """Stock phrasing (MOSS -m): one clause in CAP + 1 sentences is not looked up at all, on
    either backend; in CAP sentences it is."""
    clause = "坚持把档案数字化建设作为全局工作的重中之重"

    def library(n: int, name: str):
        lines = [f"第{i}条，我们在第{i}个乡镇{clause}，取得了第{i}项成果。" for i in range(n)]
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    with open_store(index_location, create=True) as store:
        at_cap = encode_file(read_text(library(CAP, "a.txt")), label="a.txt", recurring=set(), params=store.params)
        store.write([at_cap])
        clause_keys = set.intersection(*(
            set(doc.fragments.keys[doc.fragments.units == s].tolist())
            for doc in at_cap.documents for s in range(doc.spans.shape[0])
        ))
        assert clause_keys  # the clause's fingerprints, in every sentence
        probe = _u32(sorted(clause_keys))
        assert len(_got(store, probe)[0]) == CAP
        one_more = encode_file(read_text(library(1, "b.txt")), label="b.txt", recurring=set(), params=store.params)
        store.write([one_more])
        assert _got(store, probe) == {}


def test_replaced_files_postings_go_and_backends_agree(both_stores_postings, corpus_copy):
    files = sorted(corpus_copy.glob("*.txt"))
    for store in both_stores_postings:
        index_paths(store, [corpus_copy])
        text = files[2].read_text(encoding="utf-8")
        files[2].write_text(text.replace("。", "。\n", 5), encoding="utf-8")
        index_paths(store, [files[2]])
        files[2].write_text(text, encoding="utf-8")
    sqlite, redis_ = both_stores_postings
    encoded = encode_file(read_text(files[2]), label="x", recurring=set(), params=sqlite.params)
    probe = np.unique(np.concatenate([d.fragments.keys for d in encoded.documents]))

    def live(store):
        got = _got(store, probe)
        owners = store.documents_for_sentences(np.array([i for ids in got.values() for i in ids]))
        return {p: sorted((owners[i][0].name, owners[i][1]) for i in ids if i in owners) for p, ids in got.items()}

    assert live(sqlite) == live(redis_) != {}


@pytest.fixture
def both_stores_postings(tmp_path, redis_server):
    from ..conftest import fresh_redis_url

    stores = [open_store(tmp_path / "both.sqlite", create=True),
              open_store(fresh_redis_url(redis_server), create=True)]
    yield stores
    for store in stores:
        store.close()


def test_compaction_drops_replaced_postings(tmp_path, corpus_copy, monkeypatch):
    import sqlite3

    from chachong.store import sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "MAX_SEGMENTS", 2)
    files = sorted(corpus_copy.glob("*.txt"))
    path = tmp_path / "c.sqlite"
    with open_store(path, create=True) as store:
        index_paths(store, files[:2])  # two runs of similar size: the third run merges all three
        index_paths(store, files[2:])
        probe = np.unique(np.concatenate([
            d.fragments.keys for d in encode_file(read_text(files[0]), label="x", recurring=set(),
                                                  params=store.params).documents]))
        before = _got(store, probe)
        files[0].write_text(files[0].read_text(encoding="utf-8") + "\n补记一句。\n", encoding="utf-8")
        index_paths(store, [files[0]])
        after = _got(store, probe)
        live = store.documents_for_sentences(np.arange(10**5))
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM segments").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM layer_segments").fetchone()[0] == len(layers.LAYERS)
    stored = np.frombuffer(b"".join(r[0] for r in db.execute("SELECT ids FROM postings")), "<u4")
    db.close()
    # only live sentences' postings are left after the merge
    assert stored.size and all(int(i) & ~WINDOW_FLAG in live for i in stored if i != layers.STOPPED)
    # the same fingerprints find as many sentences as before (now the new version's)
    assert {p: len(v) for p, v in after.items()} == {p: len(v) for p, v in before.items()}


def test_key_ranges_keep_every_bucket_in_one_part_in_key_order():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32)
    ids = np.arange(keys.size, dtype=np.uint32)
    for bits in (0, 2, 4, 10):
        parts = list(layers.key_ranges(keys, ids, bits))
        assert len(parts) == 1 << min(bits, layers.KEY_RANGE_BITS)
        assert sorted(np.concatenate([i for _, i in parts]).tolist()) == ids.tolist()
        buckets = [set(layers.bucket_of(k, bits).tolist()) for k, _ in parts]
        assert all(not (a & b) for n, a in enumerate(buckets) for b in buckets[n + 1 :])
        assert [min(k) for k, _ in parts] == sorted(min(k) for k, _ in parts)


def test_redis_postings_of_a_run_killed_before_commit_stay_invisible(redis_server, monkeypatch):
    from chachong.store.redis import RedisStore

    from ..conftest import fresh_redis_url

    url = fresh_redis_url(redis_server)
    files = sorted(CORPUS.glob("*.txt"))
    with open_store(url, create=True) as store:
        index_paths(store, files[:2])
        encoded = encode_file(read_text(files[3]), label="x", recurring=set(), params=store.params)
        probes = {layer: np.unique(np.concatenate([layers.of_document(d)[layer].keys for d in encoded.documents]))
                  for layer in layers.LAYERS}
        before = {layer: _got(store, keys, layer) for layer, keys in probes.items()}

        def crash(self, *args):
            original(self, *args)  # the postings are in their buckets, the commit never happens
            raise KeyboardInterrupt

        original = RedisStore._append_postings
        monkeypatch.setattr(RedisStore, "_append_postings", crash)
        with pytest.raises(KeyboardInterrupt):
            index_paths(store, files[2:])
        monkeypatch.undo()
        assert {layer: _got(store, keys, layer) for layer, keys in probes.items()} == before
        index_paths(store, files[2:])  # the next run commits; its postings are found
        after = {layer: _got(store, keys, layer) for layer, keys in probes.items()}
        assert all(len(after[layer]) > len(before[layer]) for layer in layers.LAYERS)
