from __future__ import annotations

import itertools
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from chachong.indexer import bundled_corpus_dir, index_paths
from chachong.store import open_store

from .redis_server import RedisClusterServers, RedisServer, require_redis

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
BACKENDS = ("sqlite", "redis")
_redis_prefixes = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_default_index(tmp_path_factory, monkeypatch):
    """Never touch the user's default index: point it (and the cache) into a temp dir."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("CHACHONG_INDEX", raising=False)


@pytest.fixture(scope="session")
def corpus_index_path(tmp_path_factory) -> Path:
    """An index of the bundled corpus, built once per session (tests must not modify it)."""
    path = tmp_path_factory.mktemp("index") / "corpus.sqlite"
    with open_store(path, create=True) as store:
        index_paths(store, [bundled_corpus_dir()])
    return path


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """The session's own redis-server (free loopback port, no persistence, temp dir).

    Without redis-server the Redis tests are skipped, except in CI (``$CI`` set), where a
    backend that silently goes untested would be a failure.
    """
    require_redis()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A three-node Redis Cluster of the session's own (same skip/fail rule as redis_server)."""
    require_redis()
    cluster = RedisClusterServers(tmp_path_factory.mktemp("redis-cluster")).start()
    yield cluster
    cluster.stop()


def fresh_redis_url(server: RedisServer | RedisClusterServers, *, bucket_bits: int = 10) -> str:
    """A new, empty index on the session's server (its own key prefix).

    Fewer buckets than the default keeps the tests quick; the session's corpus index
    uses the default layout, so both are exercised.
    """
    sep = "&" if "?" in server.url else "?"
    return f"{server.url}{sep}prefix=t{next(_redis_prefixes)}&bucket_bits={bucket_bits}"


@pytest.fixture(scope="session")
def corpus_redis_url(redis_server) -> str:
    """The bundled corpus indexed in Redis, built once per session (tests must not modify it)."""
    url = f"{redis_server.url}?prefix=corpus"
    with open_store(url, create=True) as store:
        index_paths(store, [bundled_corpus_dir()])
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def corpus_location(request) -> str:
    """The corpus index on each backend: a file path (SQLite) or a redis:// URL."""
    if request.param == "redis":
        return request.getfixturevalue("corpus_redis_url")
    return str(request.getfixturevalue("corpus_index_path"))


@pytest.fixture(scope="session")
def corpus_store(corpus_location):
    """The corpus index, opened; tests using it run once per backend."""
    store = open_store(corpus_location)
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def index_location(request, tmp_path) -> str:
    """A new, empty index location on each backend (nothing is created yet)."""
    if request.param == "redis":
        return fresh_redis_url(request.getfixturevalue("redis_server"))
    return str(tmp_path / "index.sqlite")


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the corpus folder, for tests that change files."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def corpus_text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: ``cli("check", "x.txt")`` → CliResult(code, stdout, stderr)."""
    from chachong.cli import main

    def run(*args: str) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def small_index(cli, tmp_path) -> Path:
    """An index of two corpus files (003, one small document, and 000), written and closed."""
    index = tmp_path / "small.sqlite"
    out = cli("index", CORPUS / "003_ec39d6286021c7d9.txt", CORPUS / "000_8b880e3bb4cd86c7.txt", "--index", index)
    assert out.code == 0, out.stderr
    db = sqlite3.connect(index)  # fold any WAL into the file, so damage tests see all of it
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return index


def brute_force_candidates(keys, ids, probe) -> dict[tuple[int, int], int]:
    """The slow reference for LSH lookups: {(probe row, sentence id): bands shared}."""
    expected = {}
    for qi, row in enumerate(probe):
        shared = (keys == row[None, :]).sum(axis=1)
        for j in np.flatnonzero(shared):
            expected[(qi, int(ids[j]))] = int(shared[j])
    return expected


def findings(result) -> dict:
    """A check result's JSON without the ``index`` object (where the index is and when it last
    changed): what two checks of the same draft against equal indexes must agree on."""
    return {k: v for k, v in result.to_json().items() if k != "index"}
