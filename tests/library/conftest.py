"""A library of reprints (the corpus plus four reprints of every file), indexed once per backend."""

from __future__ import annotations

import sys

import pytest

from chachong.indexer import index_paths
from chachong.store import open_store

from ..conftest import REPO, fresh_redis_url

sys.path.insert(0, str(REPO / "benchmarks"))

from reprints import Library, build_library


@pytest.fixture(scope="session")
def reprint_library(tmp_path_factory) -> Library:
    return build_library(tmp_path_factory.mktemp("reprints") / "lib", copies=4, seed=0)


@pytest.fixture(scope="session", params=("sqlite", "redis"))
def reprint_location(request, reprint_library, tmp_path_factory) -> str:
    """The reprint library indexed (from its root folder) on each backend; tests must not change it."""
    if request.param == "redis":
        location = fresh_redis_url(request.getfixturevalue("redis_server"), bucket_bits=12)
    else:
        location = str(tmp_path_factory.mktemp("reprint-index") / "lib.sqlite")
    with open_store(location, create=True) as store:
        index_paths(store, [reprint_library.root])
    return location
