from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chachong.indexer import bundled_corpus_dir, index_paths
from chachong.storage import open_store

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


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
def corpus_store(corpus_index_path):
    store = open_store(corpus_index_path)
    yield store
    store.close()


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
