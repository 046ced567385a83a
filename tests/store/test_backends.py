"""Both backends behave the same; the Redis one also stays consistent under many machines."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from chachong.errors import BackendError, IndexBusyError, IndexFileError
from chachong.indexer import encode_file, index_paths, label_for
from chachong.match.check import check_text
from chachong.sketch.lsh import LshParams
from chachong.store import open_store, store_exists
from chachong.store import redis as redis_store
from chachong.store.postings import LAYERS
from chachong.store.redis import RedisStore
from chachong.text.reading import read_text

from ..conftest import REPO, corpus_text, findings, fresh_redis_url
from ..drafts import sample_draft as _draft
from ..redis_server import RedisServer, free_port, require_redis

SAMPLE = REPO / "examples" / "sample_draft.txt"
REPLACED = "全县经济社会发展保持良好的发展态势"


def _snapshot(store):
    """Everything a user can observe of an index, backend-independent."""
    docs = [
        (d.name, d.file, d.title, d.start, d.end, d.sent_base, d.text, d.spans.tolist())
        for d in store.documents()
    ]
    files = [
        (f.path, f.sha256, f.chars, f.encoding, f.documents, f.declared_count, f.warnings, f.set_aside,
         f.name, f.collection)
        for f in store.files()
    ]
    edges = {f.path: store.file_edge_lines(f.path) for f in store.files()}
    return docs, files, edges, store.stats()["documents"], store.document_count()


def _prefix(url: str) -> str:
    return url.split("prefix=", 1)[1].split("&", 1)[0]


def _live_candidates(store, keys):
    q, sid, hits = store.candidates(keys)
    live = store.documents_for_sentences(sid)
    return sorted((int(a), int(b), int(h)) for a, b, h in zip(q, sid, hits) if int(b) in live)


def _probe_keys(store, names=("002_5c485a01b3fa9e27.txt", "004_3442f27f9ba37306.txt")):
    keys = [
        encode_file(read_text(REPO / "corpus" / n), label=n, recurring=set(), params=store.params)
        for n in names
    ]
    return np.concatenate([d.keys for nf in keys for d in nf.documents])


# -- the same results on both backends --------------------------------------------------
def test_backends_hold_the_same_index_and_give_the_same_results(corpus_index_path, corpus_redis_url):
    with open_store(corpus_index_path) as sqlite, open_store(corpus_redis_url) as redis_:
        assert (sqlite.backend, redis_.backend) == ("sqlite", "redis")
        assert _snapshot(sqlite) == _snapshot(redis_)
        assert sqlite.stats() == redis_.stats() | {"segments": sqlite.stats()["segments"]}
        assert len(redis_.documents()) == 49 and redis_.stats()["chars"] == 188_093
        probe = _probe_keys(sqlite)
        for got, want in zip(redis_.candidates(probe), sqlite.candidates(probe)):
            assert np.array_equal(got, want)
        draft, planted = _draft()
        on_sqlite, on_redis = check_text(sqlite, draft), check_text(redis_, draft)
        # The same but where the index is and when it changed.
        assert findings(on_redis) == findings(on_sqlite)
        assert on_redis.index.location == corpus_redis_url and on_sqlite.index.location == str(corpus_index_path)
        assert [p.source.doc for p in on_redis.passages if p.kind == "copy"] == [t.doc for t in planted]
        sids = np.array([0, 1, 393, 4210, 4211, 10**6])
        assert {k: (d.name, i) for k, (d, i) in redis_.documents_for_sentences(sids).items()} == {
            k: (d.name, i) for k, (d, i) in sqlite.documents_for_sentences(sids).items()
        }
        lines = [k for f in sqlite.files() for k in sqlite.file_edge_lines(f.path)]
        assert redis_.edge_line_counts(lines) == sqlite.edge_line_counts(lines) != {}


def test_cli_index_docs_check_on_redis_match_sqlite(cli, redis_server, tmp_path):
    url, path = fresh_redis_url(redis_server), tmp_path / "i.sqlite"
    outputs = []
    for location in (path, url):
        index = cli("index", REPO / "corpus", "--index", location, "--json")
        assert index.code == 0, index.stderr
        summary = json.loads(index.stdout)
        assert (summary["documents"], len(summary["added"]), summary["index"]) == (49, 5, str(location))
        docs = cli("docs", "--json", "--index", location)
        check = cli("check", SAMPLE, "--json", "--index", location)
        assert check.code == 0, check.stderr
        checked = json.loads(check.stdout)
        assert checked.pop("index")["location"] == str(location)
        outputs.append((docs.stdout, json.dumps(checked, ensure_ascii=False)))
    assert outputs[0] == outputs[1]
    assert len(outputs[1][0].splitlines()) == 49
    assert [p["kind"] for p in json.loads(outputs[1][1])["passages"]].count("copy") == 3


def test_environment_variable_selects_a_redis_index(cli, redis_server, monkeypatch):
    monkeypatch.setenv("CHACHONG_INDEX", fresh_redis_url(redis_server))
    assert cli("index", REPO / "corpus" / "003_ec39d6286021c7d9.txt").code == 0
    docs = cli("docs", "--json")
    assert [json.loads(line)["doc"] for line in docs.stdout.splitlines()] == ["003_ec39d6286021c7d9.txt#1"]


# -- incremental indexing, on each backend ---------------------------------------------
def test_indexing_again_changes_nothing(index_location, corpus_copy):
    with open_store(index_location, create=True) as store:
        first = index_paths(store, [corpus_copy])
        before = _snapshot(store)
        second = index_paths(store, [corpus_copy])
        assert (first.documents, len(first.added)) == (49, 5)
        assert (second.documents, second.added, len(second.unchanged)) == (0, (), 5)
        assert _snapshot(store) == before


def test_incremental_add_and_replace(index_location, corpus_copy):
    files = sorted(corpus_copy.glob("*.txt"))
    with open_store(index_location, create=True) as store:
        index_paths(store, files[:4])
        assert store.stats()["documents"] == 35
        report = index_paths(store, [corpus_copy])  # adds the fifth file only
        assert (report.added, report.documents) == ((str(files[4].resolve()),), 14)
        assert store.stats()["documents"] == 49
        old_text = files[3].read_text(encoding="utf-8")
        assert REPLACED in old_text
        files[3].write_text(old_text.replace(REPLACED, "全县经济运行总体平稳"), encoding="utf-8")
        report = index_paths(store, [files[3]])
        assert report.replaced == (str(files[3].resolve()),)
        stats = store.stats()
        assert (stats["files"], stats["documents"]) == (5, 49)
        docs = [d for d in store.documents() if d.file == str(files[3].resolve())]
        assert REPLACED not in "".join(d.text for d in docs) and "全县经济运行总体平稳" in docs[0].text
        # the replaced version's sentences are never reported, only the new version's
        result = check_text(store, old_text)
        assert {s.source.file for s in result.sources} == {str(files[3].resolve())}
        assert result.copy_ratio > 0.9
        live_ids = {d.id for d in store.documents()}
        owners = store.documents_for_sentences(np.arange(2 * store.stats()["sentences"]))
        assert len(owners) == store.stats()["sentences"]
        assert {d.id for d, _ in owners.values()} <= live_ids


@pytest.fixture
def both_stores(tmp_path, redis_server):
    """A new, empty index on each backend: [SQLite, Redis]."""
    stores = [open_store(tmp_path / "both.sqlite", create=True),
              open_store(fresh_redis_url(redis_server), create=True)]
    yield stores
    for store in stores:
        store.close()


def test_replacing_keeps_edge_line_counts_exact(both_stores, corpus_copy):
    """Edge-line recurrence counts (ads detection) follow replacements exactly like SQLite."""
    files = sorted(corpus_copy.glob("*.txt"))
    for store in both_stores:
        index_paths(store, [corpus_copy])
        files[0].write_text(files[0].read_text(encoding="utf-8") + "\n新增的结尾一行文字用于测试\n", encoding="utf-8")
        index_paths(store, [files[0]])
        files[0].write_text(corpus_text(files[0].name), encoding="utf-8")
    sqlite, redis_ = both_stores
    lines = sorted({k for f in sqlite.files() for k in sqlite.file_edge_lines(f.path)}
                   | {"新增的结尾一行文字用于测试"})
    assert sqlite.edge_line_counts(lines) == redis_.edge_line_counts(lines)
    assert _snapshot(sqlite)[2] == _snapshot(redis_)[2]


def test_same_path_twice_in_one_write_keeps_the_last(index_location):
    path = REPO / "corpus" / "003_ec39d6286021c7d9.txt"
    with open_store(index_location, create=True) as store:
        a = encode_file(read_text(path), label="x.txt", recurring=set(), params=store.params)
        b = encode_file(read_text(REPO / "corpus" / "000_8b880e3bb4cd86c7.txt"), label="x.txt",
                        recurring=set(), params=store.params)
        store.write([a, b])
        assert [f.path for f in store.files()] == ["x.txt"]
        assert store.file_sha256("x.txt") == b.sha256
        assert store.document_count() == len(b.documents)


def test_candidates_equal_after_replacements(both_stores, corpus_copy):
    files = sorted(corpus_copy.glob("*.txt"))
    for store in both_stores:
        index_paths(store, [corpus_copy])
        text = files[3].read_text(encoding="utf-8")
        files[3].write_text(text.replace(REPLACED, "全县经济运行总体平稳"), encoding="utf-8")
        index_paths(store, [files[3]])
        files[3].write_text(text, encoding="utf-8")
    sqlite, redis_ = both_stores
    probe = _probe_keys(sqlite, names=(files[3].name,))
    assert _live_candidates(sqlite, probe) == _live_candidates(redis_, probe) != []


# -- Redis: consistency with several writers and readers ------------------------------
def _corpus_files():
    return sorted((REPO / "corpus").glob("*.txt"))


def test_a_run_killed_before_commit_leaves_the_index_as_it_was(redis_server, monkeypatch):
    url = fresh_redis_url(redis_server)
    files = _corpus_files()
    with open_store(url, create=True) as store:
        index_paths(store, files[:2])
        before = _snapshot(store)
        draft = corpus_text(files[3].name)[:3000]
        probe = _probe_keys(store, names=(files[3].name,))
        seen_before = (store.candidates(probe), findings(check_text(store, draft)))

        def crash(self, *args):
            original(self, *args)  # the bucket entries are written, the commit never happens
            raise KeyboardInterrupt

        original = RedisStore._append_entries
        monkeypatch.setattr(RedisStore, "_append_entries", crash)
        with pytest.raises(KeyboardInterrupt):
            index_paths(store, files[2:])
        monkeypatch.undo()
        assert _snapshot(store) == before
        # the half-written run's ids are invisible to candidates, hence to checks
        q, sid, hits = store.candidates(probe)
        assert all(np.array_equal(a, b) for a, b in zip((q, sid, hits), seen_before[0]))
        assert int(sid.max()) < before[3] * 1000 and findings(check_text(store, draft)) == seen_before[1]
        # The lock was released; the next run commits, and the orphans stay unreachable.
        index_paths(store, files[2:])
        assert store.document_count() == 49
        meta = redis_server.client().hgetall("{%s}:meta" % _prefix(url))
        # the orphaned ids are counted as dead, for the vacuum
        assert int(meta[b"dead"]) == int(meta[b"next_sid"]) - int(meta[b"sentences"]) > 0
        result = check_text(store, draft)
        assert {s.source.file for s in result.sources} == {label_for(files[3])}


def test_vacuum_drops_unreachable_ids_and_keeps_results(redis_server, corpus_copy, monkeypatch):
    url = fresh_redis_url(redis_server)
    files = sorted(corpus_copy.glob("*.txt"))
    prefix = _prefix(url)
    client = redis_server.client()

    def bucket_ids():
        ids = [np.frombuffer(v, "<u4") for key in client.scan_iter(f"{prefix}:b:*", count=10_000)
               for v in client.hvals(key)]
        return np.concatenate(ids)

    def observed(store):
        """Candidates and a check, with sentence ids replaced by (document, sentence)."""
        live = _live_candidates(store, probe)
        owners = store.documents_for_sentences(np.array([s for _, s, _ in live]))
        cands = sorted((q, owners[s][0].name, owners[s][1], h) for q, s, h in live)
        return cands, findings(check_text(store, text))

    with open_store(url, create=True) as store:
        index_paths(store, [corpus_copy])
        text = files[1].read_text(encoding="utf-8")
        probe = _probe_keys(store, names=(files[1].name,))
        before = observed(store)
        files[1].write_text(text.replace("。", "。\n", 3), encoding="utf-8")
        index_paths(store, [files[1]])
        dead = int(client.hget("{%s}:meta" % prefix, "dead"))
        assert dead > 0
        assert bucket_ids().size == (4211 + dead) * store.params.bands
        monkeypatch.setattr(RedisStore, "vacuum_min_dead", 0)
        files[1].write_text(text, encoding="utf-8")
        index_paths(store, [files[1]])  # one more replacement, then the vacuum runs
        assert int(client.hget("{%s}:meta" % prefix, "dead")) == 0
        ids = bucket_ids()
        assert ids.size == 4211 * store.params.bands
        assert len(store.documents_for_sentences(np.unique(ids))) == 4211
        # the posting layers' buckets are vacuumed too: only live sentences (and stopped keys) left
        posted = np.concatenate([np.frombuffer(v, "<u4") for key in client.scan_iter(f"{prefix}:p:*", count=10_000)
                                 for v in client.hvals(key)])
        sentences = posted[posted != 0xFFFFFFFF].astype(np.int64) & 0x7FFFFFFF
        assert sentences.size and set(store.documents_for_sentences(np.unique(sentences))) == set(np.unique(sentences).tolist())
        assert observed(store) == before


def test_several_writers_at_once_all_commit(redis_server):
    url = fresh_redis_url(redis_server)
    open_store(url, create=True).close()
    errors, sentences = [], []

    def run(paths):
        try:
            with open_store(url) as store:
                sentences.append(index_paths(store, paths).sentences)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    files = _corpus_files()
    threads = [threading.Thread(target=run, args=([f],)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(url) as store, open_store(url) as again:
        assert store.document_count() == 49 == len(again.documents())
        assert sorted(d.sentence_count for d in store.documents()) == sorted(
            d.sentence_count for d in again.documents())
        ids = np.concatenate([np.arange(d.sent_base, d.sent_base + d.sentence_count) for d in store.documents()])
        # every run's sentences got their own ids (how many depends on the order the runs
        # saw each other's distributor lines in, as on SQLite)
        assert np.unique(ids).size == ids.size == store.stats()["sentences"] == sum(sentences)
        draft, planted = _draft()
        copies = [p for p in check_text(store, draft).passages if p.kind == "copy"]
        assert [p.source.doc for p in copies] == [t.doc for t in planted]


def test_a_second_writer_waits_then_gives_up_with_a_clear_error(redis_server, monkeypatch, cli):
    url = fresh_redis_url(redis_server)
    path = _corpus_files()[3]
    with open_store(url, create=True) as store:
        prefix = _prefix(url)
        holder = redis_server.client().lock("{%s}:lock" % prefix, timeout=30)
        assert holder.acquire()
        monkeypatch.setattr(redis_store, "BUSY_TIMEOUT_S", 0.3)
        with pytest.raises(IndexBusyError, match="locked by another writer"):
            index_paths(store, [path])
        out = cli("index", path, "--index", url)
        assert out.code == 2 and out.stderr.count("\n") == 1
        assert "locked by another writer" in out.stderr
        holder.release()
        index_paths(store, [path])
        assert store.document_count() == 1


def test_a_writer_that_lost_its_lock_commits_nothing(redis_server, monkeypatch):
    url = fresh_redis_url(redis_server)
    files = _corpus_files()
    prefix = _prefix(url)
    with open_store(url, create=True) as store:
        index_paths(store, files[:1])
        before = _snapshot(store)
        original = RedisStore._append_entries

        def expire_lock(self, *args):
            original(self, *args)
            redis_server.client().delete("{%s}:lock" % prefix)  # the lease ran out meanwhile

        monkeypatch.setattr(RedisStore, "_append_entries", expire_lock)
        with pytest.raises(IndexBusyError, match="lost the write lock"):
            index_paths(store, files[1:])
        assert _snapshot(store) == before


def test_redis_cluster_holds_the_same_index(redis_cluster, tmp_path, corpus_copy, monkeypatch):
    """Commit transactions stay in one slot, bulk keys spread over every node."""
    url = fresh_redis_url(redis_cluster)
    files = sorted(corpus_copy.glob("*.txt"))
    monkeypatch.setattr(RedisStore, "vacuum_min_dead", 0)
    with open_store(url, create=True) as store, open_store(tmp_path / "c.sqlite", create=True) as sqlite:
        for s in (store, sqlite):
            index_paths(s, [corpus_copy])
        text = files[2].read_text(encoding="utf-8")
        files[2].write_text(text.replace("。", "。\n", 5), encoding="utf-8")
        for s in (store, sqlite):  # a replacement: commit, old documents freed, vacuum
            index_paths(s, [files[2]])
        assert _snapshot(store)[:3] == _snapshot(sqlite)[:3]
        draft, _ = _draft()
        assert findings(check_text(store, draft)) == findings(check_text(sqlite, draft))
        probe = _probe_keys(sqlite, names=(files[2].name,))
        assert _live_candidates(store, probe) != []
    for node in redis_cluster.nodes:
        with node.client() as c:
            assert c.dbsize() > 100  # documents and buckets on every node
    assert RedisStore.footprint(url) > 0 and RedisStore.drop(url) > 300
    assert sum(node.client().dbsize() for node in redis_cluster.nodes) == 0


def test_reviewers_can_check_against_a_read_only_replica(redis_server, corpus_redis_url, tmp_path, cli):
    replica = RedisServer(tmp_path, args=("--replicaof", "127.0.0.1", str(redis_server.port))).start()
    try:
        with replica.client() as c:
            for _ in range(200):
                if c.info("replication").get("master_link_status") == "up" and c.dbsize():
                    break
                time.sleep(0.05)
        url = corpus_redis_url.replace(f":{redis_server.port}/", f":{replica.port}/")
        on_primary = cli("check", SAMPLE, "--json", "--index", corpus_redis_url)
        on_replica = cli("check", SAMPLE, "--json", "--index", url)
        assert on_replica.code == 0, on_replica.stderr
        replica_json, primary_json = json.loads(on_replica.stdout), json.loads(on_primary.stdout)
        # The same report, but where it says which index it compared with.
        assert replica_json.pop("index")["location"] == url
        assert primary_json.pop("index")["location"] == corpus_redis_url
        assert replica_json == primary_json
        out = cli("index", _corpus_files()[0], "--index", url.replace("prefix=corpus", "prefix=new"))
        assert out.code == 2 and out.stderr.count("\n") == 1 and "read-only replica" in out.stderr
    finally:
        replica.stop()


# -- Redis: opening, errors, storage format -----------------------------------------------
def test_connection_error_is_one_line_exit_2(cli):
    url = f"redis://127.0.0.1:{free_port()}/0"
    for args in (("docs",), ("check", SAMPLE), ("index", SAMPLE)):
        out = cli(*args, "--index", url)
        assert out.code == 2
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        assert out.stderr.startswith(f"chachong: error: {url}: cannot reach Redis (")


def test_password_never_appears_in_messages(cli):
    url = f"redis://reviewer:s3cret@127.0.0.1:{free_port()}/0"
    out = cli("docs", "--index", url)
    assert out.code == 2 and "s3cret" not in out.stderr
    assert f"redis://reviewer:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in out.stderr


def test_missing_index_and_bad_options(redis_server):
    url = fresh_redis_url(redis_server)
    assert not store_exists(url)
    with pytest.raises(IndexFileError, match="no index here"):
        open_store(url)
    with pytest.raises(IndexFileError, match="prefix= takes"):
        open_store(redis_server.url + "?prefix=a{b}")
    with pytest.raises(IndexFileError, match="bucket_bits= takes"):
        open_store(redis_server.url + "?prefix=x&bucket_bits=40", create=True)
    open_store(url, create=True).close()
    assert store_exists(url)


def test_schema_and_params_are_checked_on_open(redis_server):
    url = fresh_redis_url(redis_server)
    prefix = _prefix(url)
    open_store(url, create=True, params=LshParams(num_perm=128, bands=32, rows=4)).close()
    with open_store(url) as store:  # the params an index was built with win over the defaults
        assert store.params == LshParams(num_perm=128, bands=32, rows=4)
    client = redis_server.client()
    client.hset("{%s}:meta" % prefix, "schema_version", "redis-999")
    with pytest.raises(IndexFileError, match="incompatible version"):
        open_store(url)
    client.hdel("{%s}:meta" % prefix, "schema_version")
    with pytest.raises(IndexFileError, match="not a chachong index"):
        open_store(url)
    client.delete("{%s}:meta" % prefix)
    client.set("{%s}:meta" % prefix, "something else")
    with pytest.raises(BackendError, match="Redis answered with an error"):
        open_store(url)


@pytest.mark.parametrize("old", ["redis-1", "redis-2"])
def test_redis_index_of_a_previous_schema_is_refused_with_how_to_rebuild(cli, redis_server, old):
    """An index written before the posting layers and the library layer (redis-1), or with
    only one of them (redis-2, either branch), lacks the rest: refused, one line, exit 2."""
    url = fresh_redis_url(redis_server)
    assert cli("index", REPO / "corpus" / "003_ec39d6286021c7d9.txt", "--index", url).code == 0
    client = redis_server.client()
    client.hset("{%s}:meta" % _prefix(url), "schema_version", old)
    before = sorted(client.scan_iter("*%s*" % _prefix(url)))
    out = cli("check", SAMPLE, "--index", url)
    assert out.code == 2 and "Traceback" not in out.stderr
    [line] = out.stderr.strip().splitlines()
    assert f"index written by an incompatible version (schema {old}, this chachong reads schema redis-3)" in line
    assert f"rebuild it with: chachong index --index {url} PATH" in line
    assert sorted(client.scan_iter("*%s*" % _prefix(url))) == before


def test_storage_is_plain_values_never_pickle(corpus_redis_url, redis_server):
    client = redis_server.client()
    meta = client.hgetall("{corpus}:meta")
    assert meta[b"schema_version"] == b"redis-3"
    assert json.loads(meta[b"params"]) == {"bands": 21, "num_perm": 64, "rows": 3, "seed": 1, "shingle_chars": 5}
    with open_store(corpus_redis_url) as store:
        doc = store.documents()[5]
        raw = client.hgetall(f"corpus:d:{doc.id}")
        assert raw[b"text"].decode("utf-8") == doc.text
        assert np.array_equal(np.frombuffer(raw[b"spans"], "<i4").reshape(-1, 2), doc.spans)
        entry = json.loads(client.hget("{corpus}:files", doc.file))
        assert doc.id in entry["docs"]
    # Buckets stay compact hashes (listpack) at this size, the posting layers' too: field =
    # layer byte + big-endian uint32 key, value = packed little-endian uint32 sentence ids.
    key = next(client.scan_iter("corpus:b:*", count=1000))
    assert client.object("encoding", key) == b"listpack"
    key = next(client.scan_iter("corpus:p:*", count=1000))
    assert client.object("encoding", key) == b"listpack"
    field, value = next(iter(client.hgetall(key).items()))
    assert len(field) == 5 and field[0] in LAYERS and len(value) % 4 == 0
    with open_store(corpus_redis_url) as store:
        probe, ids = store.postings(field[0], np.array([int.from_bytes(field[1:], "big")], dtype=np.uint32))
        assert ids.tolist() == np.frombuffer(value, "<u4").tolist() and set(probe.tolist()) == {0}


def test_two_prefixes_are_two_indexes_and_drop_removes_one(redis_server):
    a, b = fresh_redis_url(redis_server), fresh_redis_url(redis_server)
    client = redis_server.client()
    with open_store(a, create=True) as one, open_store(b, create=True) as two:
        index_paths(one, [_corpus_files()[3]])
        index_paths(two, [_corpus_files()[0]])
        assert (one.document_count(), two.document_count()) == (1, 4)
        keys_b = set(client.scan_iter(f"{_prefix(b)}:*")) | set(client.scan_iter("{%s}:*" % _prefix(b)))
        memory = RedisStore.footprint(a)
        assert RedisStore.drop(a) > 100
        assert RedisStore.footprint(a) < memory
        assert not store_exists(a) and not list(client.scan_iter(f"{_prefix(a)}:*"))
        keys_b_after = set(client.scan_iter(f"{_prefix(b)}:*")) | set(client.scan_iter("{%s}:*" % _prefix(b)))
        assert keys_b_after == keys_b and two.document_count() == 4


def test_redis_tests_skip_without_redis_server_but_fail_in_ci(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        require_redis()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        require_redis()


def test_check_under_way_keeps_a_source_replaced_meanwhile(redis_server, tmp_path):
    """Deterministic interleaving: another machine commits a new version of the source
    between the check's LSH lookup and its document lookup. The check still reports the
    passage from that file (the version its lookup saw), as it would on SQLite."""
    url = fresh_redis_url(redis_server)
    source = tmp_path / "004.txt"
    source.write_text(corpus_text("004_3442f27f9ba37306.txt"), encoding="utf-8")
    draft = "\n".join(source.read_text(encoding="utf-8").splitlines()[40:46])
    with open_store(url, create=True) as writer:
        index_paths(writer, [source])
    reader = open_store(url)
    writer = open_store(url)
    try:
        expected = findings(check_text(reader, draft))
        assert expected["copy_ratio"] > 0.9
        real = reader.candidates

        def candidates_then_replace(keys):
            found = real(keys)
            source.write_text(source.read_text(encoding="utf-8").replace("。", "。\n", 400), encoding="utf-8")
            assert index_paths(writer, [source]).replaced == (str(source.resolve()),)
            return found

        reader.candidates = candidates_then_replace
        assert findings(check_text(reader, draft)) == expected
        reader.candidates = real
        # A check that starts after the replacement sees the new version only.
        after = check_text(reader, draft)
        assert after.copy_ratio > 0.9
        new_docs = {d.name: d for d in reader.documents()}
        for p in after.passages:
            if p.source is not None:
                doc = new_docs[p.source.doc]
                assert p.source_text in doc.text
    finally:
        reader.close()
        writer.close()
