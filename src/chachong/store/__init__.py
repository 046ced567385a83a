"""Index storage behind one interface (`Store`), opened by the form of its location.

A path is an embedded SQLite file (`sqlite.SqliteStore`); ``redis://``, ``rediss://`` and
``unix://`` URLs are a shared index in Redis (`redis.RedisStore`, needs the ``redis``
extra). Callers use the functions here and never name a backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..errors import BackendError
from ..sketch.lsh import LshParams
from .base import Candidates, IndexView, SentenceOwners, Store

__all__ = [
    "Candidates", "IndexView", "SentenceOwners", "Store", "is_shared", "open_store",
    "remove_store", "store_exists", "store_footprint",
]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class _Backend(Protocol):
    """What the registry needs of a backend class besides opening it."""

    def __call__(self, location: str, /, *, create: bool = False, params: LshParams | None = None) -> Store: ...

    def exists(self, location: str) -> bool: ...

    def drop(self, location: str) -> int: ...

    def footprint(self, location: str) -> int: ...


def is_shared(location: str | Path) -> bool:
    """Whether ``location`` names a shared (server) index rather than a local file."""
    return str(location).startswith(_REDIS_SCHEMES)


def _backend(location: str) -> _Backend:
    if is_shared(location):
        try:
            from .redis import RedisStore
        except ImportError:
            raise BackendError(
                "a redis:// index needs the redis client: pip install 'chachong[redis]'"
            ) from None
        return RedisStore
    from .sqlite import SqliteStore

    return SqliteStore


def open_store(location: str | Path, *, create: bool = False, params: LshParams | None = None) -> Store:
    """Open the index at ``location``: a file path (SQLite) or a ``redis://`` URL."""
    location = str(location)
    return _backend(location)(location, create=create, params=params)


def store_exists(location: str | Path) -> bool:
    location = str(location)
    return _backend(location).exists(location)


def remove_store(location: str | Path) -> None:
    """Delete the index at ``location`` (an index file with its WAL files, or a Redis index)."""
    location = str(location)
    _backend(location).drop(location)


def store_footprint(location: str | Path) -> int:
    """Bytes the index takes: on disk for a file, the server's memory in use for Redis."""
    location = str(location)
    return _backend(location).footprint(location)
