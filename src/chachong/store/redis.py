"""The shared index: the same store as `sqlite.SqliteStore`, kept in Redis.

``--index redis://HOST:PORT/DB`` (also ``rediss://`` and ``unix://``). Three query options
of our own are taken out of the URL before it goes to redis-py: ``prefix=NAME`` (several
indexes in one database; default ``chachong``), ``cluster=1`` (a Redis Cluster node) and,
when the index is created, ``bucket_bits=N`` (see below). The rest is redis-py's.

Layout (never pickle: strings, JSON and raw little-endian numpy buffers):

* ``{P}:meta`` (hash): schema version, LSH parameters, bucket bits, and the counters
  ``next_sid`` (allocated sentence ids), ``committed_sid`` (ids below it belong to
  committed runs), ``generation``, ``next_doc``, ``next_file``, ``documents``, ``sentences``, ``chars``,
  ``dead`` (sentence ids in the buckets that no live document owns);
* ``{P}:files`` (hash): path -> JSON of the file record, its document ids and its edge lines;
* ``{P}:sents`` (sorted set): member ``DOCID:COUNT``, score = the document's first sentence
  id; "which document owns sentence s" is one ZREVRANGEBYSCORE;
* ``{P}:retired`` (sorted set): documents of replaced files, ``DOCID:COUNT:GENERATION:TIME``,
  kept resolvable for `RETIRE_GRACE_S` for checks that looked their sentences up before
  the replacement (``generation`` in meta counts commits);
* ``{P}:edge`` (hash): edge-line key -> ``"occurrences files"``;
* the library layer: in each file record its identity (``name``), ``collection`` and per
  document its ordinal, length, work and near-duplicate links; ``{P}:dsketch`` (hash):
  document id -> its document-level LSH keys (int64 each); ``{P}:dband`` (hash): band byte +
  key -> packed uint32 ids of the documents with that key (what an ``index`` run looks its
  documents' reprints up in);
* ``{P}:lock``: the writers' lock (redis-py's `Lock`: token, timeout, atomic release), and
  ``{P}:lock:holder``: host, pid and start of the writer holding it (same lease), named to a
  writer that has to wait;
* ``P:d:ID`` (hash): one document: file, ordinal, title, offsets, ``spans`` (int32 pairs)
  and its text;
* ``P:b:{P.GG}HEX`` (hash): an LSH bucket. The top ``bucket_bits`` bits of a band key
  choose the bucket, its top 8 bits the group GG (a Cluster hash tag); field = band number
  (1 byte) + band key (8 bytes), value = the uint32 ids of the sentences with that band
  key, packed. One key per (band, key) would cost ~60 bytes of key overhead per entry
  (datasketch's layout: 169 MB per million characters measured, 15 GB for 223 MB in its
  issue #96); a bucket of up to 128 (server setting) small fields stays a Redis
  *listpack*, ~17 bytes an entry: ~11 MB per million characters, text included.
* ``P:p:{P.GG}HEX`` (hash): a bucket of the posting layers (`postings`: the fragment
  layer's fingerprints, the paraphrase layer's band keys), chosen by the top
  ``bucket_bits`` bits of the uint32 key; field = layer (1 byte) + key (4 bytes), value =
  the packed uint32 ids posted under it, or the one id `postings.STOPPED` once more than
  the layer's cap were (stock phrasing).
* ``P:x:NAME`` (hash): derived data cached in the index (the phrase table).

Consistency: a writer takes the lock, allocates sentence/document ids, writes document
hashes and bucket entries (one Lua call per bucket group, atomic), and
then publishes everything in one MULTI/EXEC guarded by WATCH on the lock: the file
records, the sentence map, the edge-line counts and ``committed_sid``. Readers only reach
documents through the file records and the sentence map, and drop sentence ids at or
above ``committed_sid``, so they never see half a run; a run killed half-way leaves
unreachable ids behind, which ``_vacuum`` removes once enough have piled up (as do
ids of replaced files). Readers take no lock: any number of machines check at once.

Redis Cluster: the catalog keys share the hash tag ``{P}`` (one slot), so the commit is
a single-slot transaction; documents carry no tag and the 256 bucket groups one tag each,
so both spread over all nodes.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar, cast
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt
import redis
from redis.cluster import RedisCluster
from redis.exceptions import LockError
from redis.lock import Lock
from redis.typing import EncodableT, FieldT

from ..errors import BackendError, IndexBusyError, IndexFileError, register_secret
from ..library.works import components, works_digest
from ..model import (
    WINDOW_FLAG,
    CatalogEntry,
    DocumentRecord,
    FileRecord,
    IntArray,
    LibraryInfo,
    NewFile,
    UInt32Array,
)
from ..sketch.lsh import LshParams, stable_argsort
from . import postings as layers
from .arrays import alive, count_pairs
from .base import Candidates, SentenceOwners

log = logging.getLogger(__name__)  # notices (a wait for the lock); the CLI shows them on stderr

SCHEMA_VERSION = "redis-3"  # 3: the posting layers and the library layer (as sqlite.SCHEMA_VERSION 3)
DEFAULT_PREFIX = "chachong"
DEFAULT_BUCKET_BITS = 16  # 65,536 buckets: ~100 entries each at ~300K sentences (~14M chars)
LOCK_TTL_S = 60.0  # a writer that dies frees the index after this long
BUSY_TIMEOUT_S = 120.0  # how long a writer waits for another one
NOTICE_AFTER_S = 2.0  # a writer waiting longer than this says for whom (a short wait is normal)
CONNECT_TIMEOUT_S = 5.0
RETIRE_GRACE_S = 300  # replaced documents stay readable this long for checks already under way
PIPELINE_COMMANDS = 1000  # commands per round trip
GROUP_BITS = 8  # 256 bucket groups = 256 Cluster hash tags, spread over the cluster's nodes
RECORDS_PER_CALL = 8192  # bound how long one script call holds the server (a few ms)
_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")

# Bucket entries travel as packed records, one script call per bucket *group* (the
# buckets sharing a Cluster hash tag), so a run costs a few hundred calls, not one
# command per entry: redis-py spends ~30 us packing each command in Python, which made a
# command-per-bucket layout 5x slower than SQLite at indexing. Record (big-endian key
# index into KEYS, 2 bytes) + field (band 1 byte + band key 8 bytes) [+ sentence id 4 bytes].
_APPEND_LUA = """
local blob = ARGV[1]
for o = 0, #blob - 15, 15 do
  local key = KEYS[string.byte(blob, o + 1) * 256 + string.byte(blob, o + 2) + 1]
  local field = string.sub(blob, o + 3, o + 11)
  local id = string.sub(blob, o + 12, o + 15)
  if redis.call('HSETNX', key, field, id) == 0 then
    redis.call('HSET', key, field, redis.call('HGET', key, field) .. id)
  end
end
return 0
"""

# Look fields up; the answer is one string: per record a 4-byte little-endian byte count,
# then that many bytes of packed sentence ids.
_LOOKUP_LUA = """
local blob = ARGV[1]
local out = {}
for o = 0, #blob - 11, 11 do
  local key = KEYS[string.byte(blob, o + 1) * 256 + string.byte(blob, o + 2) + 1]
  local ids = redis.call('HGET', key, string.sub(blob, o + 3, o + 11)) or ''
  out[#out + 1] = struct.pack('<I4', #ids) .. ids
end
return table.concat(out)
"""

# Posting layers: record (key index 2 bytes, field = layer 1 byte + key 4 bytes, id 4 bytes).
# A key's list stops at its layer's cap (ARGV[1 + layer]): past it only STOPPED (ARGV[2]) is kept.
_POST_LUA = """
local blob = ARGV[1]
local stop = ARGV[2]
for o = 0, #blob - 11, 11 do
  local key = KEYS[string.byte(blob, o + 1) * 256 + string.byte(blob, o + 2) + 1]
  local field = string.sub(blob, o + 3, o + 7)
  local id = string.sub(blob, o + 8, o + 11)
  local cur = redis.call('HGET', key, field)
  if not cur then
    redis.call('HSET', key, field, id)
  elseif cur ~= stop then
    if #cur >= 4 * tonumber(ARGV[2 + string.byte(field, 1)]) then
      redis.call('HSET', key, field, stop)
    else
      redis.call('HSET', key, field, cur .. id)
    end
  end
end
return 0
"""

# Look posting fields up (records: key index 2 bytes + field 5 bytes); answered like _LOOKUP_LUA,
# a stopped key as an empty list.
_POST_LOOKUP_LUA = """
local blob = ARGV[1]
local stop = ARGV[2]
local out = {}
for o = 0, #blob - 7, 7 do
  local key = KEYS[string.byte(blob, o + 1) * 256 + string.byte(blob, o + 2) + 1]
  local ids = redis.call('HGET', key, string.sub(blob, o + 3, o + 7)) or ''
  if ids == stop then ids = '' end
  out[#out + 1] = struct.pack('<I4', #ids) .. ids
end
return table.concat(out)
"""

# The member and score of the last entry at or below each sentence id (ARGV[1]: packed uint32
# little-endian ids) in the sorted set KEYS[1]: "member|score", or "" when there is none.
_OWNERS_LUA = """
local blob = ARGV[1]
local out = {}
for o = 1, #blob - 3, 4 do
  local sid = struct.unpack('<I4', string.sub(blob, o, o + 3))
  local hit = redis.call('ZREVRANGEBYSCORE', KEYS[1], sid, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if hit[1] then out[#out + 1] = hit[1] .. '|' .. hit[2] else out[#out + 1] = '' end
end
return out
"""

# Create the meta hash unless it exists (two machines creating one index at once).
_CREATE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
end
return redis.call('HGETALL', KEYS[1])
"""


# redis-py types replies as ``bytes | str`` (a client may decode them); ours never decodes
# responses, so every reply is bytes. `_bytes` and the casts below say so where it matters.
def _bytes(reply: bytes | str) -> bytes:
    return reply if isinstance(reply, bytes) else reply.encode()


def _bytes_hash(reply: Mapping[bytes | str, bytes | str]) -> dict[bytes, bytes]:
    return {_bytes(k): _bytes(v) for k, v in reply.items()}


# Query parameters that carry a credential (redis-py passes unknown ones on to the connection).
_SECRET_PARAMS = frozenset({"password", "pass", "passwd", "pwd", "token", "secret", "auth",
                            "sentinel_password", "access_token"})
_USERINFO_RE = re.compile(r"(?<=//)[^/@?#]*@")
_SECRET_QUERY_RE = re.compile(r"(?i)([?&](?:" + "|".join(sorted(_SECRET_PARAMS)) + r")=)[^&#]*")


def redact(location: str) -> str:
    """The URL with every credential blanked (``***``): the password of the user-info (a bare
    user-info too: some write ``redis://PASSWORD@host``) and ``?password=``-like parameters.
    What `location` and every message show."""
    try:
        parts = urlsplit(location)
        netloc = parts.netloc
        if "@" in netloc:
            host = netloc.rsplit("@", 1)[1]
            netloc = f"{parts.username or ''}:***@{host}" if parts.password is not None else f"***@{host}"
        query = [(k, "***" if k.lower() in _SECRET_PARAMS else v)
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))
    except ValueError:  # not even a URL: blank anything that could be a credential
        return _SECRET_QUERY_RE.sub(r"\1***", _USERINFO_RE.sub("***@", location))


def _register_secrets(location: str) -> None:
    """Blank the credentials of ``location`` out of every error message, whoever wrote it."""
    try:
        parts = urlsplit(location)
        register_secret(unquote(parts.password or ""))
        if "@" in parts.netloc and parts.password is None:
            register_secret(unquote(parts.username or ""))
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            if k.lower() in _SECRET_PARAMS:
                register_secret(v)
    except ValueError:
        pass


def parse_location(location: str) -> tuple[str, str, int | None, bool]:
    """(URL for redis-py, key prefix, bucket bits asked for, cluster?) from an index URL."""
    _register_secrets(location)
    parts = urlsplit(location)
    prefix, bits, cluster, rest = DEFAULT_PREFIX, None, False, []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "prefix":
            prefix = value
        elif name == "bucket_bits":
            bits = int(value) if value.isdigit() else -1
        elif name == "cluster":
            cluster = value.lower() in ("1", "yes", "true", "on")
        else:
            rest.append((name, value))
    if not _PREFIX_RE.match(prefix):
        raise IndexFileError(
            "prefix= takes 1-64 letters, digits, '_', '.' or '-'", path=redact(location)
        )
    if bits is not None and not 8 <= bits <= 24:
        raise IndexFileError("bucket_bits= takes a number from 8 to 24", path=redact(location))
    return urlunsplit(parts._replace(query=urlencode(rest))), prefix, bits, cluster


def _problem(exc: redis.RedisError) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, redis.AuthenticationError):
        return f"Redis refused the credentials ({text})"
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return f"cannot reach Redis ({text})"
    if isinstance(exc, redis.ReadOnlyError) or "read only replica" in text:
        return f"this Redis is a read-only replica: index through the primary ({text})"
    if isinstance(exc, redis.exceptions.OutOfMemoryError) or text.startswith("OOM"):
        return (f"Redis is out of memory (maxmemory): nothing was committed; give it more memory "
                f"or free some ({text})")
    if text.startswith("MISCONF"):
        return f"Redis cannot write to its disk (full?), so it refuses writes: nothing was committed ({text})"
    return f"Redis answered with an error ({text})"


@contextmanager
def _backend_errors(location: str) -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        raise BackendError(_problem(exc), path=location) from None


def _connect(url: str, location: str, cluster: bool) -> redis.Redis | RedisCluster:
    with _backend_errors(location):
        try:
            if cluster:  # any node's address; the client discovers the others
                return RedisCluster.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
            return redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
        except ValueError as exc:  # a malformed URL
            raise BackendError(f"not a usable Redis URL ({exc})", path=location) from None


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _wrapped(method: Callable[Concatenate[RedisStore, _P], _R]) -> Callable[Concatenate[RedisStore, _P], _R]:
    """Turn redis-py errors of a public method into one-line `BackendError`s."""

    @functools.wraps(method)
    def run(self: RedisStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _backend_errors(self.location):
            return method(self, *args, **kwargs)

    return run


class RedisStore:
    """The shared index in Redis. Many readers and writers on many machines; writers queue."""

    backend = "redis"
    # Vacuum when dead sentence ids exceed this many and this share of the live ones.
    vacuum_min_dead = 20_000
    vacuum_dead_share = 0.25

    def __init__(self, location: str, *, create: bool = False, params: LshParams | None = None):
        self.location = redact(str(location))
        url, prefix, bits, cluster = parse_location(str(location))
        self._client = _connect(url, self.location, cluster)
        self._cluster = cluster
        self._meta_key = f"{{{prefix}}}:meta"
        self._files_key = f"{{{prefix}}}:files"
        self._sents_key = f"{{{prefix}}}:sents"
        self._edge_key = f"{{{prefix}}}:edge"
        self._lock_key = f"{{{prefix}}}:lock"
        self._holder_key = f"{{{prefix}}}:lock:holder"  # who holds the lock (for the wait message)
        self._retired_key = f"{{{prefix}}}:retired"
        self._dband_key = f"{{{prefix}}}:dband"
        self._dsketch_key = f"{{{prefix}}}:dsketch"
        self._bulk = f"{prefix}:"  # documents, buckets, derived data: no hash tag, spread out
        try:
            with _backend_errors(self.location):
                meta = _bytes_hash(self._client.hgetall(self._meta_key))
                if not meta:
                    if not create:
                        raise IndexFileError(
                            "no index here (build one with: chachong index --index URL PATH)",
                            path=self.location,
                        )
                    meta = self._create(params or LshParams(), bits or DEFAULT_BUCKET_BITS)
            self.params, self._bucket_bits = self._read_meta(meta)
            self._shas: dict[str, str] = {}
        except BaseException:
            self._client.close()
            raise

    @classmethod
    def exists(cls, location: str) -> bool:
        url, prefix, _, cluster = parse_location(str(location))
        client = _connect(url, redact(str(location)), cluster)
        try:
            with _backend_errors(redact(str(location))):
                return bool(client.exists(f"{{{prefix}}}:meta"))
        finally:
            client.close()

    @classmethod
    def drop(cls, location: str) -> int:
        """Delete the whole index at ``location`` (all its keys); returns how many keys.

        For benchmarks and for retiring an index; nothing else in chachong deletes an index.
        SCAN visits every primary of a Cluster (redis-py's RedisCluster.scan_iter).
        """
        url, prefix, _, cluster = parse_location(str(location))
        where = redact(str(location))
        client = _connect(url, where, cluster)
        deleted = 0
        try:
            with _backend_errors(where):
                for pattern in (f"{{{prefix}}}:*", f"{prefix}:*"):
                    batch: list[bytes] = []
                    for key in client.scan_iter(match=pattern, count=1000):
                        batch.append(key)
                        if len(batch) >= 1000:
                            deleted += sum(client.delete(k) for k in batch) if cluster else client.delete(*batch)
                            batch = []
                    if batch:
                        deleted += sum(client.delete(k) for k in batch) if cluster else client.delete(*batch)
        finally:
            client.close()
        return deleted

    @classmethod
    def footprint(cls, location: str) -> int:
        """Bytes the Redis server(s) behind ``location`` use (INFO memory, summed over nodes):
        for measuring an index's footprint as the difference before and after indexing."""
        url, _, _, cluster = parse_location(str(location))
        where = redact(str(location))
        client = _connect(url, where, cluster)
        try:
            with _backend_errors(where):
                if cluster:
                    per_node = client.info("memory", target_nodes=RedisCluster.PRIMARIES)
                    return sum(int(v["used_memory"]) for v in per_node.values())
                return int(client.info("memory")["used_memory"])
        finally:
            client.close()

    def _create(self, params: LshParams, bits: int) -> dict[bytes, bytes]:
        fields = {
            "schema_version": SCHEMA_VERSION,
            "params": json.dumps(params.to_dict(), sort_keys=True),
            "bucket_bits": str(bits),
            **dict.fromkeys(("next_sid", "committed_sid", "next_doc", "next_file",
                             "documents", "sentences", "chars", "dead", "works"), "0"),
        }
        args = [x for kv in fields.items() for x in kv]
        raw = self._client.eval(_CREATE_LUA, 1, self._meta_key, *args)
        return dict(zip(raw[::2], raw[1::2]))

    def _read_meta(self, meta: dict[bytes, bytes]) -> tuple[LshParams, int]:
        version = meta.get(b"schema_version")
        if version is None:
            raise IndexFileError("not a chachong index (no schema version)", path=self.location)
        if version.decode() != SCHEMA_VERSION:
            raise IndexFileError(
                f"index written by an incompatible version (schema {version.decode()}, this "
                f"chachong reads schema {SCHEMA_VERSION}); rebuild it with: chachong index --index "
                f"{self.location} PATH, once its keys are deleted (or under another prefix=)",
                path=self.location,
            )
        try:
            return LshParams(**json.loads(meta[b"params"])), int(meta[b"bucket_bits"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexFileError(f"index metadata unreadable ({exc})", path=self.location) from None

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def snapshot(self) -> Iterator[_RedisView]:
        """A view of one committed state: the catalog (file records, ``committed_sid``,
        ``generation``) is read in one MULTI, and every read of the view answers for it.

        Documents of files replaced after that stay readable for `RETIRE_GRACE_S` (see
        `_write_locked`), so a check that takes longer than that may find a source gone and
        raises `IndexBusyError`; sentences written after it (ids at or above
        ``committed_sid``) are never returned.
        """
        with _backend_errors(self.location):
            yield self._pin()

    def _pin(self) -> _RedisView:
        with self._client.pipeline(transaction=True) as tx:
            tx.hgetall(self._files_key)
            tx.hmget(self._meta_key, ["committed_sid", "generation", "updated", "works_digest"])
            raw_files, (committed, generation, updated, digest) = tx.execute()
        entries = {k.decode(): json.loads(v) for k, v in raw_files.items()}
        view = _RedisView(self, dict(sorted(entries.items())), int(committed or 0), int(generation or 0))
        view.updated = _bytes(updated).decode() if updated else None
        view.works_digest = _bytes(digest).decode() if digest else works_digest(())
        return view

    def __enter__(self) -> RedisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keys --------------------------------------------------------------------------
    def _doc_key(self, doc_id: int) -> str:
        return f"{self._bulk}d:{doc_id}"

    def _bucket_key(self, bucket: int) -> str:
        # The group in a hash tag: Cluster keeps a group's buckets in one slot, so a script
        # may touch them together. Hex, not raw bytes: raw bytes could contain braces.
        group = bucket >> (self._bucket_bits - GROUP_BITS)
        return f"{self._bulk}b:{{{self._bulk}{group:02x}}}{bucket:0{(self._bucket_bits + 3) // 4}x}"

    def _posting_key(self, bucket: int) -> str:
        group = bucket >> (self._bucket_bits - GROUP_BITS)
        return f"{self._bulk}p:{{{self._bulk}{group:02x}}}{bucket:0{(self._bucket_bits + 3) // 4}x}"

    def _posting_records(
        self, layer: int, keys: UInt32Array, ids: UInt32Array | None
    ) -> Iterator[tuple[npt.NDArray[np.intp], list[str], bytes]]:
        """Posting records grouped for script calls, as `_records` (field: layer + key)."""
        buckets = (keys.astype(np.int64) >> (32 - self._bucket_bits)).astype(np.int64)
        groups = buckets >> (self._bucket_bits - GROUP_BITS)
        fmt = [("k", ">u2"), ("layer", "u1"), ("key", ">u4")] + ([("id", "<u4")] if ids is not None else [])
        order = stable_argsort(groups)
        bounds = np.flatnonzero(np.diff(groups[order])) + 1
        for part in np.split(order, bounds):
            for lo in range(0, part.size, RECORDS_PER_CALL):
                sel = part[lo : lo + RECORDS_PER_CALL]
                names, index = np.unique(buckets[sel], return_inverse=True)
                rec = np.empty(sel.size, dtype=fmt)
                rec["k"], rec["layer"], rec["key"] = index, layer, keys[sel]
                if ids is not None:
                    rec["id"] = ids[sel]
                yield sel, [self._posting_key(int(b)) for b in names], rec.tobytes()

    def _records(
        self, keys: IntArray, bands: IntArray, ids: UInt32Array | None
    ) -> Iterator[tuple[npt.NDArray[np.intp], list[str], bytes]]:
        """Bucket records grouped for script calls: yields (record indices, bucket key names,
        record blob), one script call each.

        ``keys``/``bands`` (and ``ids``) are flat arrays, one entry per record; a call's
        records are in the order of its indices, so a caller maps the answers back with them.
        """
        ukeys = keys.astype(np.int64).view(np.uint64)
        buckets = (ukeys >> np.uint64(64 - self._bucket_bits)).astype(np.int64)
        groups = buckets >> (self._bucket_bits - GROUP_BITS)
        fmt = [("k", ">u2"), ("band", "u1"), ("key", "<i8")] + ([("id", "<u4")] if ids is not None else [])
        order = stable_argsort(groups)
        bounds = np.flatnonzero(np.diff(groups[order])) + 1
        for part in np.split(order, bounds):
            if part.size == 0:
                continue
            for lo in range(0, part.size, RECORDS_PER_CALL):
                sel = part[lo : lo + RECORDS_PER_CALL]
                names, index = np.unique(buckets[sel], return_inverse=True)
                rec = np.empty(sel.size, dtype=fmt)
                rec["k"], rec["band"], rec["key"] = index, bands[sel], keys[sel]
                if ids is not None:
                    rec["id"] = ids[sel]
                yield sel, [self._bucket_key(int(b)) for b in names], rec.tobytes()

    # -- reading: the latest state (each call a view of its own; see snapshot) -----------
    @_wrapped
    def files(self) -> list[FileRecord]:
        return self._pin().files()

    @_wrapped
    def file_edge_lines(self, path: str) -> dict[str, int]:
        entry = self._file_entry(path)
        return dict(entry["edge_lines"]) if entry else {}

    @_wrapped
    def file_sha256(self, path: str) -> str | None:
        entry = self._file_entry(path)
        return str(entry["sha256"]) if entry else None

    def _file_entry(self, path: str) -> dict[str, Any] | None:
        raw = self._client.hget(self._files_key, path)
        return json.loads(raw) if raw is not None else None

    @_wrapped
    def documents(self) -> list[DocumentRecord]:
        return self._pin().documents()

    @_wrapped
    def document_count(self) -> int:
        return int(self._client.hget(self._meta_key, "documents") or 0)

    @_wrapped
    def edge_line_counts(self, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        values = self._client.hmget(self._edge_key, wanted)
        out: dict[str, tuple[int, int]] = {}
        for key, value in zip(wanted, values):
            if value is not None:
                occurrences, files = value.split()
                out[key] = (int(occurrences), int(files))
        return out

    @_wrapped
    def documents_for_sentences(self, sentence_ids: IntArray) -> SentenceOwners:
        return self._pin().documents_for_sentences(sentence_ids)

    @_wrapped
    def candidates(self, keys: IntArray) -> Candidates:
        return self._pin().candidates(keys)

    @_wrapped
    def postings(self, layer: int, keys: UInt32Array) -> tuple[IntArray, UInt32Array]:
        return self._pin().postings(layer, keys)

    def _posting_lookup(self, layer: int, keys: UInt32Array, committed: int) -> tuple[IntArray, UInt32Array]:
        """Postings of distinct ``keys`` in ``layer``, ids of committed sentences only."""
        keys = np.asarray(keys, dtype=np.uint32)
        probe_parts: list[IntArray] = []
        id_parts: list[UInt32Array] = []
        calls = list(self._posting_records(layer, keys, None))
        stop = layers.STOPPED.tobytes()
        for (sel, _, _), reply in zip(calls, self._run_script(_POST_LOOKUP_LUA, calls, stop)):
            answer = _bytes(reply)
            pos = 0
            for i in sel.tolist():
                size = int.from_bytes(answer[pos : pos + 4], "little")
                pos += 4
                if size:
                    ids = np.frombuffer(answer, dtype="<u4", count=size // 4, offset=pos)
                    pos += size
                    if ids.size > layers.LAYERS[layer].cap:
                        continue  # stock phrasing (a list is stopped at the cap as it grows)
                    ids = ids[layers.sentence_of(ids) < committed]  # ids of a run still being written
                    probe_parts.append(np.full(ids.size, i, dtype=np.int64))
                    id_parts.append(ids.astype(np.uint32))
        if not probe_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint32)
        probe, ids = np.concatenate(probe_parts), np.concatenate(id_parts)
        order = np.lexsort((ids, probe))
        return probe[order], ids[order]

    @staticmethod
    def _doc(doc_id: int, h: dict[bytes, bytes], library: Callable[[int], tuple[str, int] | None]) -> DocumentRecord:
        # Collection and work as the reader's view has them (they change without the
        # document being rewritten); a document no longer in it is its own work.
        collection, work = library(doc_id) or (h[b"collection"].decode(), doc_id)
        return DocumentRecord(
            id=doc_id, file=h[b"file"].decode(), ordinal=int(h[b"ordinal"]),
            title=h[b"title"].decode(), start=int(h[b"start"]), end=int(h[b"end"]),
            text=h[b"text"].decode(), sent_base=int(h[b"sent_base"]),
            spans=np.frombuffer(h[b"spans"], dtype="<i4").reshape(-1, 2),
            file_name=h[b"file_name"].decode(), collection=collection, work=work,
        )

    def _fetch_docs(
        self, doc_ids: Sequence[int], library: Callable[[int], tuple[str, int] | None] = lambda _: None
    ) -> dict[int, DocumentRecord]:
        out: dict[int, DocumentRecord] = {}
        for lo in range(0, len(doc_ids), PIPELINE_COMMANDS):
            part = doc_ids[lo : lo + PIPELINE_COMMANDS]
            pipe = self._client.pipeline(transaction=False)
            for doc_id in part:
                pipe.hgetall(self._doc_key(doc_id))
            for doc_id, h in zip(part, pipe.execute()):
                if h:  # gone: its file was replaced longer than RETIRE_GRACE_S ago
                    out[doc_id] = self._doc(doc_id, h, library)
        return out

    def _owners(self, key: str, sids: list[int], newer_than: int | None) -> dict[int, int]:
        """sentence id -> document id, from the live (or the retired) sentence map: one script
        call per RECORDS_PER_CALL ids (a command each cost ~30 us of redis-py packing, and a
        check asks for the owners of ~1,000 sentences)."""
        owner: dict[int, int] = {}
        for lo in range(0, len(sids), RECORDS_PER_CALL):
            part = sids[lo : lo + RECORDS_PER_CALL]
            reply = self._run_script(_OWNERS_LUA, [(None, [key], np.array(part, dtype="<u4").tobytes())])[0]
            for sid, hit in zip(part, cast(list[bytes], reply)):
                if hit:
                    member, base = hit.rsplit(b"|", 1)
                    doc_id, count, *retired = map(int, member.split(b":"))
                    if newer_than is not None and retired[0] <= newer_than:
                        continue  # replaced before the caller's view: not part of it
                    if sid < int(base) + count:  # else: a sentence of a replaced file
                        owner[sid] = doc_id
        return owner

    def _lookup(self, keys: IntArray, committed: int) -> Candidates:
        """LSH candidates of query band keys, sentence ids below ``committed`` only."""
        keys = np.asarray(keys, dtype=np.int64)
        if keys.size == 0:
            return count_pairs([], [])
        m, bands = keys.shape
        flat = np.ascontiguousarray(keys, dtype=np.int64).reshape(-1)
        band_of = np.tile(np.arange(bands, dtype=np.int64), m)
        query_of = np.repeat(np.arange(m, dtype=np.int64), bands)
        # One lookup per distinct (band, key); remember which queries asked for it.
        order = np.lexsort((query_of, flat, band_of))
        b_sorted, k_sorted = band_of[order], flat[order]
        first = np.concatenate(([True], (b_sorted[1:] != b_sorted[:-1]) | (k_sorted[1:] != k_sorted[:-1])))
        starts = np.flatnonzero(first)
        ends = np.append(starts[1:], order.size)
        calls = list(self._records(k_sorted[starts], b_sorted[starts], None))
        q_parts: list[IntArray] = []
        s_parts: list[UInt32Array] = []
        for (sel, _, _), reply in zip(calls, self._run_script(_LOOKUP_LUA, calls)):
            answer = _bytes(reply)
            pos = 0
            for i in sel.tolist():
                size = int.from_bytes(answer[pos : pos + 4], "little")
                pos += 4
                if size:
                    cids = np.frombuffer(answer, dtype="<u4", count=size // 4, offset=pos)
                    pos += size
                    cids = cids[cids < committed]  # ids of a run still being written
                    if cids.size:
                        queries = query_of[order[starts[i] : ends[i]]]
                        q_parts.append(np.repeat(queries, cids.size))
                        s_parts.append(np.tile(cids, queries.size))
        return count_pairs(q_parts, s_parts)

    def _run_script(
        self, script: str, calls: Sequence[tuple[object, list[str], bytes]], *args: EncodableT
    ) -> list[Any]:
        """Script calls over (_, key names, blob) triples (``args`` after each blob): one
        pipelined round trip, or on a Cluster (whose redis-py pipelines refuse scripts) one
        call each, routed by slot."""
        for attempt in (1, 2):
            sha = self._shas.get(script) or self._client.script_load(script)
            self._shas[script] = sha
            try:
                if self._cluster:
                    return [self._client.evalsha(sha, len(names), *names, blob, *args) for _, names, blob in calls]
                pipe = self._client.pipeline(transaction=False)
                for _, names, blob in calls:
                    pipe.evalsha(sha, len(names), *names, blob, *args)
                return pipe.execute()
            except redis.exceptions.NoScriptError:
                if attempt == 2:
                    raise
                del self._shas[script]  # the server restarted or ran SCRIPT FLUSH: load again
        return []

    @_wrapped
    def stats(self) -> dict[str, int]:
        meta = self._client.hgetall(self._meta_key)
        documents = int(meta.get(b"documents", 0))
        return {
            "files": int(self._client.hlen(self._files_key)),
            "documents": documents,
            "sentences": int(meta.get(b"sentences", 0)),
            "chars": int(meta.get(b"chars", 0)),
            "segments": 1 if documents else 0,  # one bucket space, appended to in place
        }

    # -- derived data (the phrase table cache, as SqliteStore) ------------------------------
    @_wrapped
    def get_derived(self, name: str, generation: str) -> bytes | None:
        stored, value = self._client.hmget(f"{self._bulk}x:{name}", ["generation", "value"])
        if stored is None or value is None or _bytes(stored).decode() != generation:
            return None
        return _bytes(value)

    @_wrapped
    def put_derived(self, name: str, generation: str, value: bytes) -> None:
        # A read-only replica still answers checks; the table is just recomputed.
        with suppress(redis.ReadOnlyError):
            self._client.hset(f"{self._bulk}x:{name}", mapping={"generation": generation, "value": value})

    # -- writing -----------------------------------------------------------------------
    @_wrapped
    def write(self, new_files: Sequence[NewFile]) -> None:
        """Add files (replacing earlier versions of the same paths) as one atomic run."""
        if not new_files:
            return
        with self._write_lock() as lock:
            self._write_locked(new_files, lock)
            self._maybe_vacuum(lock)

    @contextmanager
    def _write_lock(self) -> Iterator[Lock]:
        """The writers' lock, held for the block (every write: files added, removed, moved).

        A writer kept waiting more than `NOTICE_AFTER_S` says for whom (a notice, see `log`)
        and waits on, up to `BUSY_TIMEOUT_S` in all; the lock and its holder's record are
        released on every way out."""
        lock = self._client.lock(
            self._lock_key, timeout=LOCK_TTL_S, blocking_timeout=BUSY_TIMEOUT_S, thread_local=False
        )
        first_wait = min(NOTICE_AFTER_S, BUSY_TIMEOUT_S)
        if not lock.acquire(blocking_timeout=first_wait):
            who, lease = self._lock_holder()
            waited_on = first_wait < BUSY_TIMEOUT_S
            if waited_on:
                # Say so, then wait on (up to BUSY_TIMEOUT_S in all): a writer that died holds
                # the lock until its lease runs out, and a silent minute looks like a hang.
                log.warning("%s: waiting for the write lock, held by %s%s", self.location, who, lease)
            if not waited_on or not lock.acquire(blocking_timeout=BUSY_TIMEOUT_S - first_wait):
                by = "" if who == "another writer" else f", {who}"
                raise IndexBusyError(
                    f"index is locked by another writer{by} (waited {BUSY_TIMEOUT_S:.0f} s)", path=self.location
                )
        try:
            self._client.set(self._holder_key, json.dumps({
                "host": socket.gethostname(), "pid": os.getpid(), "since": int(time.time()),
            }), px=int(LOCK_TTL_S * 1000))
            yield lock
        finally:
            # Released on every way out (an error, Ctrl-C, SIGTERM), so no stale lock makes
            # the next run wait; best effort, as the connection may be what failed.
            with suppress(redis.RedisError):
                self._client.delete(self._holder_key)
            with suppress(LockError, redis.RedisError):  # expired: the commit was already refused then
                lock.release()

    def _lock_holder(self) -> tuple[str, str]:
        """Who holds the write lock, and (as "; …") how long its lease still runs."""
        raw, ttl_ms = self._client.get(self._holder_key), self._client.pttl(self._lock_key)
        who = "another writer"
        with suppress(TypeError, ValueError, KeyError):
            h = json.loads(raw) if raw is not None else None
            if isinstance(h, dict):
                since = time.strftime("%H:%M:%S", time.localtime(int(h["since"])))
                who = f"{h['host']} pid {int(h['pid'])} since {since}"
        if ttl_ms is not None and ttl_ms > 0:
            return who, (f"; its lease ends in {ttl_ms / 1000:.0f} s unless renewed (a writer that "
                         f"died frees it then; giving up after {BUSY_TIMEOUT_S:.0f} s)")
        return who, ""

    def _keep_lock(self, lock: Lock, state: dict[str, float]) -> None:
        """Renew the lock while a long run writes; fail if another writer took it over."""
        if time.monotonic() - state["renewed"] > LOCK_TTL_S / 4:
            try:
                lock.reacquire()
            except LockError:
                raise IndexBusyError(
                    "lost the write lock (this run took longer than its lease); nothing was committed",
                    path=self.location,
                ) from None
            self._client.pexpire(self._holder_key, int(LOCK_TTL_S * 1000))
            state["renewed"] = time.monotonic()

    def _write_locked(self, new_files: Sequence[NewFile], lock: Lock) -> None:  # noqa: PLR0912, PLR0915
        # One locked run in numbered steps that share its state (ids, records, counts):
        # split into functions, the order of effects the commit depends on would be scattered.
        state = {"renewed": time.monotonic()}
        client = self._client
        meta = client.hgetall(self._meta_key)
        committed_before = int(meta[b"committed_sid"])
        paths = sorted({nf.path for nf in new_files})
        current = {
            p: (json.loads(raw) if raw is not None else None)
            for p, raw in zip(paths, client.hmget(self._files_key, paths))
        }
        catalog = self._catalog_locked()  # every file record: names, links, works
        edge_keys = sorted(
            {k for e in current.values() if e for k in e["edge_lines"]}
            | {k for nf in new_files for k in nf.edge_lines}
        )
        edge: dict[str, list[int] | None] = {}
        if edge_keys:
            for key, raw in zip(edge_keys, client.hmget(self._edge_key, edge_keys)):
                edge[key] = [int(x) for x in raw.split()] if raw is not None else None

        # Same order of effects as SqliteStore.write, on in-memory state.
        writes: list[tuple[NewFile, list[int]]] = []  # files to store with their doc ids
        removed_docs: list[dict[str, Any]] = []  # entries of replaced versions
        for nf in new_files:
            old = current.get(nf.path)
            if old is not None:
                if old["sha256"] == nf.sha256:
                    continue
                removed_docs.append(old)
                for key, count in old["edge_lines"].items():
                    counts = edge.get(key)
                    if counts is not None:
                        counts[0] -= count
                        counts[1] -= 1
                for key, value in edge.items():
                    if value is not None and value[1] <= 0:
                        edge[key] = None
                writes = [(w, ids) for w, ids in writes if w.path != nf.path]
            for key, count in nf.edge_lines.items():
                value = edge.get(key)
                edge[key] = [count, 1] if value is None else [value[0] + count, value[1] + 1]
            current[nf.path] = {"sha256": nf.sha256, "edge_lines": nf.edge_lines, "pending": True}
            writes.append((nf, []))
        if not writes:
            return
        # Replaced versions that were written in this same run never reached Redis.
        removed_docs = [e for e in removed_docs if "pending" not in e]

        n_sents = sum(int(d.spans.shape[0]) for nf, _ in writes for d in nf.documents)
        n_docs = sum(len(nf.documents) for nf, _ in writes)
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(self._meta_key, "next_sid", n_sents)
        pipe.hincrby(self._meta_key, "next_doc", n_docs)
        pipe.hincrby(self._meta_key, "next_file", len(writes))
        sid_end, doc_end, file_end = pipe.execute()
        if sid_end >= WINDOW_FLAG:
            raise BackendError("the index is full (2^31 sentence ids)", path=self.location)
        next_sid, next_doc, next_file = sid_end - n_sents, doc_end - n_docs, file_end - len(writes)

        # 1. Bulk data, unreachable until the commit: documents and bucket entries.
        entries_keys: list[IntArray] = []
        entries_ids: list[UInt32Array] = []
        posted: dict[int, tuple[list[UInt32Array], list[UInt32Array]]] = {layer: ([], []) for layer in layers.LAYERS}
        members: dict[bytes, int] = {}
        records: dict[str, dict[str, Any]] = {}  # path -> the file record
        written: dict[tuple[str, int], int] = {}  # (path, ordinal) -> id of a document written
        pipe = client.pipeline(transaction=False)
        queued = 0
        for nf, doc_ids in writes:
            bases = []
            name = self._free_name(nf, catalog, records)
            for doc in nf.documents:
                n = int(doc.spans.shape[0])
                doc_id = next_doc
                next_doc += 1
                bases.append(next_sid)
                doc_ids.append(doc_id)
                written[(nf.path, doc.ordinal)] = doc_id
                pipe.hset(self._doc_key(doc_id), mapping={
                    "file": nf.path, "ordinal": doc.ordinal, "title": doc.title,
                    "start": doc.start, "end": doc.end, "sent_base": next_sid, "sent_count": n,
                    "spans": doc.spans.astype("<i4").tobytes(), "text": doc.text,
                    "file_name": name, "collection": nf.collection,
                })
                queued += 1
                if n:
                    members[f"{doc_id}:{n}".encode()] = next_sid
                    entries_keys.append(doc.keys)
                    entries_ids.append(np.arange(next_sid, next_sid + n, dtype=np.uint32))
                    for layer, found in layers.of_document(doc).items():
                        posted[layer][0].append(found.keys)
                        posted[layer][1].append(layers.global_ids(found.units, next_sid))
                next_sid += n
                if queued >= PIPELINE_COMMANDS // 10:  # documents are large: smaller batches
                    pipe.execute()
                    queued = 0
                    self._keep_lock(lock, state)
            records[nf.path] = {
                "id": next_file, "sha256": nf.sha256, "chars": nf.chars, "encoding": nf.encoding,
                "declared_count": nf.declared_count, "warnings": list(nf.warnings),
                "set_aside": list(nf.set_aside), "edge_lines": dict(sorted(nf.edge_lines.items())),
                "docs": doc_ids, "doc_sentences": [int(d.spans.shape[0]) for d in nf.documents],
                "doc_bases": bases,
                "sentences": sum(int(d.spans.shape[0]) for d in nf.documents),
                "doc_chars": sum(d.end - d.start for d in nf.documents),
                # The library layer: identity, collection, and per document its ordinal, length,
                # work and near-duplicate links (set by `_library_update`).
                "name": name, "collection": nf.collection,
                "doc_ordinals": [d.ordinal for d in nf.documents],
                "doc_lengths": [d.end - d.start for d in nf.documents],
                "doc_works": list(doc_ids), "doc_links": [[] for _ in nf.documents],
            }
            next_file += 1
        pipe.execute()
        if entries_keys:
            self._append_entries(np.concatenate(entries_keys), np.concatenate(entries_ids), lock, state)
        for layer, (layer_keys, layer_ids) in posted.items():
            if layer_keys:
                self._append_postings(layer, np.concatenate(layer_keys), np.concatenate(layer_ids), lock, state)

        # Retired documents past their grace period are forgotten in this commit.
        now = int(time.time())
        retired = cast(list[bytes], client.zrange(self._retired_key, 0, -1))  # members (bytes: see `_bytes`)
        expired = [m for m in retired if int(m.split(b":")[3]) < now - RETIRE_GRACE_S]
        generation = int(meta.get(b"generation", 0)) + 1
        library = self._library_update(
            catalog, records, removed=[d for e in removed_docs for d in e["docs"]],
            links=_resolve_links(new_files, written, catalog),
            sketches={doc_id: nf.sketches[i] for nf, ids in writes if nf.sketches is not None
                      for i, doc_id in enumerate(ids)},
        )

        # 2. Publish in one transaction, provided we still hold the lock.
        token = lock.local.token
        with client.pipeline(transaction=True) as tx:
            tx.watch(self._lock_key)
            if tx.get(self._lock_key) != token:
                raise IndexBusyError(
                    "lost the write lock (this run took longer than its lease); nothing was committed",
                    path=self.location,
                )
            tx.multi()
            tx.hset(self._files_key, mapping=library.encoded_records())
            library.queue(tx)
            old_members = [f"{d}:{len_}".encode() for e in removed_docs for d, len_ in self._members_of(e)]
            if old_members:
                tx.zrem(self._sents_key, *old_members)
                tx.zadd(self._retired_key, {
                    f"{m.decode()}:{generation}:{now}".encode(): base
                    for m, base in zip(old_members, (b for e in removed_docs for b in self._bases_of(e)))
                })
            if expired:
                tx.zrem(self._retired_key, *expired)
            if members:
                tx.zadd(self._sents_key, members)
            gone = [k for k, v in edge.items() if v is None]
            kept: dict[FieldT, EncodableT] = {k: f"{v[0]} {v[1]}" for k, v in edge.items() if v is not None}
            if gone:
                tx.hdel(self._edge_key, *gone)
            if kept:
                tx.hset(self._edge_key, mapping=kept)
            dead = sum(e["sentences"] for e in removed_docs) + (sid_end - n_sents - committed_before)
            tx.hincrby(self._meta_key, "dead", dead)
            tx.hincrby(self._meta_key, "documents", n_docs - sum(len(e["docs"]) for e in removed_docs))
            tx.hincrby(self._meta_key, "sentences", n_sents - sum(e["sentences"] for e in removed_docs))
            tx.hincrby(self._meta_key, "chars", sum(
                d.end - d.start for nf, _ in writes for d in nf.documents
            ) - sum(e["doc_chars"] for e in removed_docs))
            tx.hset(self._meta_key, mapping={"committed_sid": sid_end, "generation": generation})
            try:
                tx.execute()
            except redis.WatchError:
                raise IndexBusyError(
                    "lost the write lock while committing; nothing was committed", path=self.location
                ) from None
        # 3. The replaced versions' documents: freed after the grace period.
        old_ids = [d for e in removed_docs for d in e["docs"]]
        for lo in range(0, len(old_ids), PIPELINE_COMMANDS):
            pipe = client.pipeline(transaction=False)
            for d in old_ids[lo : lo + PIPELINE_COMMANDS]:
                pipe.expire(self._doc_key(d), RETIRE_GRACE_S)
            pipe.execute()

    @staticmethod
    def _bases_of(entry: dict[str, Any]) -> list[int]:
        """First sentence ids of a stored file's documents that have sentences."""
        return [b for b, n in zip(entry["doc_bases"], entry["doc_sentences"]) if n]

    def _members_of(self, entry: dict[str, Any]) -> list[tuple[int, int]]:
        """(doc id, sentence count) of a stored file's documents that have sentences."""
        return [(d, n) for d, n in zip(entry["docs"], entry["doc_sentences"]) if n]

    def _append_entries(
        self, keys: IntArray, ids: UInt32Array, lock: Lock, state: dict[str, float]
    ) -> None:
        """Append (band, key) -> id records to their buckets: one script call per group."""
        n, bands = keys.shape
        flat = np.ascontiguousarray(keys, dtype=np.int64).reshape(-1)
        band_of = np.tile(np.arange(bands, dtype=np.int64), n)
        sid_of = np.repeat(ids.astype(np.uint32), bands)
        queued: list[tuple[npt.NDArray[np.intp], list[str], bytes]] = []
        for call in self._records(flat, band_of, sid_of):
            queued.append(call)
            if len(queued) >= 64:
                self._run_script(_APPEND_LUA, queued)
                queued = []
                self._keep_lock(lock, state)
        self._run_script(_APPEND_LUA, queued)

    def _append_postings(
        self, layer: int, keys: UInt32Array, ids: UInt32Array, lock: Lock, state: dict[str, float]
    ) -> None:
        """Append (key -> id) postings of ``layer`` to their buckets: one script call per group."""
        caps = [layers.LAYERS[i].cap if i in layers.LAYERS else 0 for i in range(1, max(layers.LAYERS) + 1)]
        queued: list[tuple[npt.NDArray[np.intp], list[str], bytes]] = []
        for call in self._posting_records(layer, keys, ids):
            queued.append(call)
            if len(queued) >= 64:
                self._run_script(_POST_LUA, queued, layers.STOPPED.tobytes(), *caps)
                queued = []
                self._keep_lock(lock, state)
        self._run_script(_POST_LUA, queued, layers.STOPPED.tobytes(), *caps)

    # -- the library layer (`chachong.library`): identities, collections, works, removal ----
    # Kept in the file records (catalog slot, published in each commit's MULTI/EXEC), plus two
    # catalog hashes only writers read: ``{P}:dsketch`` (document id -> its document-level LSH
    # keys) and ``{P}:dband`` (band byte + key -> packed ids of the documents with that key).
    def _catalog_locked(self) -> dict[str, dict[str, Any]]:
        """Every file record (under the write lock: what the commit will build on)."""
        return {_bytes(k).decode(): json.loads(v) for k, v in self._client.hgetall(self._files_key).items()}

    @staticmethod
    def _free_name(nf: NewFile, catalog: dict[str, dict[str, Any]], pending: dict[str, dict[str, Any]]) -> str:
        """The file's identity: as the indexer chose it (or kept from its earlier version),
        ``name~DIGEST`` if another file has it (a concurrent run may have picked it too)."""
        old = catalog.get(nf.path)
        name = nf.name or (old["name"] if old else "") or nf.path.rsplit("/", 1)[-1]
        taken = {r["name"]: p for p, r in catalog.items()} | {r["name"]: p for p, r in pending.items()}
        digest = hashlib.sha256(nf.path.encode("utf-8", "surrogatepass")).hexdigest()
        candidate, width = name, 8
        while taken.get(candidate, nf.path) != nf.path:
            candidate = f"{name}~{digest[:width]}"
            width += 4
        return candidate

    def _library_update(  # noqa: PLR0912 - one pass over the records
        self, catalog: dict[str, dict[str, Any]], records: dict[str, dict[str, Any]], *,
        removed: Sequence[int], links: Sequence[tuple[int, int]], sketches: Mapping[int, IntArray],
    ) -> _LibraryWrite:
        """What a commit writes for the library layer: the new ``records`` and the existing
        ones whose links or works change (documents ``removed``, ``links`` added), the
        document-level LSH entries, and the works digest."""
        state = {p: r for p, r in catalog.items() if p not in records}
        state.update(records)
        changed: set[str] = set(records)
        where = {d: (p, i) for p, r in state.items() for i, d in enumerate(r["docs"])}
        gone = set(removed) - set(where)
        seeds = {d for r in records.values() for d in r["docs"]}
        # ``catalog`` is the caller's own copy (parsed under the lock): changed in place.
        for path, r in state.items():
            if any(x in gone for ls in r["doc_links"] for x in ls):
                for i, ls in enumerate(r["doc_links"]):
                    if any(x in gone for x in ls):
                        seeds.add(r["docs"][i])
                        r["doc_links"][i] = [x for x in ls if x not in gone]
                changed.add(path)
        for a, b in links:
            if a not in where or b not in where:
                continue  # a document gone meanwhile
            for x, y in ((a, b), (b, a)):
                path, i = where[x]
                changed.add(path)
                if y not in state[path]["doc_links"][i]:
                    state[path]["doc_links"][i].append(y)
                    state[path]["doc_links"][i].sort()
                seeds.add(x)
        changed |= _relink(state, where, seeds)
        heads = [(r["name"], o) for r in state.values()
                 for d, o, w in zip(r["docs"], r["doc_ordinals"], r["doc_works"]) if d == w]

        # Document-level LSH entries: add the new documents', drop the removed ones'.
        additions: dict[bytes, list[int]] = {}
        for doc_id, row in sketches.items():
            if row.any():
                for band, key in enumerate(row.tolist()):
                    additions.setdefault(_band_field(band, key), []).append(doc_id)
        dropped = sorted(gone)
        removals: dict[bytes, set[int]] = {}
        if dropped:
            for doc_id, raw in zip(dropped, self._client.hmget(self._dsketch_key, [str(d) for d in dropped])):
                if raw is not None:
                    for band, key in enumerate(np.frombuffer(_bytes(raw), dtype="<i8").tolist()):
                        removals.setdefault(_band_field(band, key), set()).add(doc_id)
        fields = sorted(set(additions) | set(removals))
        band_set: dict[FieldT, EncodableT] = {}
        band_del: list[FieldT] = []
        if fields:
            for field, raw in zip(fields, self._client.hmget(self._dband_key, fields)):
                ids = np.frombuffer(_bytes(raw), dtype="<u4").tolist() if raw is not None else []
                ids = [d for d in ids if d not in removals.get(field, ())] + additions.get(field, [])
                if ids:
                    band_set[field] = np.array(sorted(set(ids)), dtype="<u4").tobytes()
                else:
                    band_del.append(field)
        return _LibraryWrite(
            records={p: state[p] for p in sorted(changed) if p in state},
            band_set=band_set, band_del=band_del,
            sketch_set={str(d): np.asarray(row, dtype="<i8").tobytes() for d, row in sketches.items()},
            sketch_del=[str(d) for d in dropped],
            meta={"works_digest": works_digest(heads), "updated": _now_iso(), "works": len(heads)},
            keys=(self._files_key, self._dband_key, self._dsketch_key, self._meta_key),
        )

    @_wrapped
    def remove(self, *, paths: Collection[str] = (), documents: Collection[int] = ()) -> None:
        """Take whole files (by path) and single documents (by id) out, in one transaction.

        As for replaced files, their sentence ids stay in the buckets until a vacuum (no
        live document owns them), and their document hashes stay readable `RETIRE_GRACE_S`."""
        if not paths and not documents:
            return
        with self._write_lock() as lock:
            self._remove_locked(set(paths), set(documents), lock)
            self._maybe_vacuum(lock)

    def _remove_locked(self, paths: set[str], documents: set[int], lock: Lock) -> None:  # noqa: PLR0912, PLR0915 - one commit, in steps
        client = self._client
        catalog = self._catalog_locked()
        meta = client.hgetall(self._meta_key)
        records: dict[str, dict[str, Any]] = {}
        dropped_files = sorted(p for p in paths if p in catalog)
        gone: list[tuple[int, int, int, int]] = []  # (doc id, sentences, first sentence id, chars)
        per_doc = ("docs", "doc_sentences", "doc_bases", "doc_ordinals", "doc_lengths", "doc_works", "doc_links")
        for path, r in catalog.items():
            whole = path in paths
            drop = [i for i, d in enumerate(r["docs"]) if whole or d in documents]
            gone += [(r["docs"][i], r["doc_sentences"][i], r["doc_bases"][i], r["doc_lengths"][i]) for i in drop]
            if drop and not whole:
                kept = [i for i in range(len(r["docs"])) if i not in drop]
                left = records[path] = {**r, **{k: [r[k][i] for i in kept] for k in per_doc}}
                left["sentences"] = sum(left["doc_sentences"])
                left["doc_chars"] = sum(left["doc_lengths"])
        if not gone and not dropped_files:
            return
        edge_lines = [catalog[p]["edge_lines"] for p in dropped_files]
        edge_keys = sorted({k for e in edge_lines for k in e})
        edge: dict[str, list[int] | None] = {}
        if edge_keys:
            for key, raw in zip(edge_keys, client.hmget(self._edge_key, edge_keys)):
                edge[key] = [int(x) for x in raw.split()] if raw is not None else None
        for e in edge_lines:
            for key, count in e.items():
                counts = edge.get(key)
                if counts is not None:
                    counts[0] -= count
                    counts[1] -= 1
        for p in dropped_files:
            del catalog[p]
        library = self._library_update(catalog, records, removed=[g[0] for g in gone], links=(), sketches={})
        now = int(time.time())
        generation = int(meta.get(b"generation", 0)) + 1
        members = {f"{d}:{n}".encode(): base for d, n, base, _ in gone if n}
        token = lock.local.token
        with client.pipeline(transaction=True) as tx:
            tx.watch(self._lock_key)
            if tx.get(self._lock_key) != token:
                raise IndexBusyError("lost the write lock; nothing was removed", path=self.location)
            tx.multi()
            if dropped_files:
                tx.hdel(self._files_key, *dropped_files)
            if library.records:
                tx.hset(self._files_key, mapping=library.encoded_records())
            library.queue(tx)
            if members:
                tx.zrem(self._sents_key, *members)
                tx.zadd(self._retired_key, {m + f":{generation}:{now}".encode(): b for m, b in members.items()})
            gone_keys = [k for k, v in edge.items() if v is None or v[1] <= 0]
            kept_edges: dict[FieldT, EncodableT] = {
                k: f"{v[0]} {v[1]}" for k, v in edge.items() if v and v[1] > 0
            }
            if gone_keys:
                tx.hdel(self._edge_key, *gone_keys)
            if kept_edges:
                tx.hset(self._edge_key, mapping=kept_edges)
            tx.hincrby(self._meta_key, "dead", sum(n for _, n, _, _ in gone))
            tx.hincrby(self._meta_key, "documents", -len(gone))
            tx.hincrby(self._meta_key, "sentences", -sum(n for _, n, _, _ in gone))
            tx.hincrby(self._meta_key, "chars", -sum(c for *_, c in gone))
            tx.hset(self._meta_key, "generation", generation)
            try:
                tx.execute()
            except redis.WatchError:
                raise IndexBusyError("lost the write lock while committing; nothing was removed",
                                     path=self.location) from None
        pipe = client.pipeline(transaction=False)
        for d, *_ in gone:
            pipe.expire(self._doc_key(d), RETIRE_GRACE_S)
        pipe.execute()

    @_wrapped
    def set_collection(self, paths: Collection[str], collection: str) -> None:
        if not paths:
            return
        with self._write_lock() as lock:
            catalog = self._catalog_locked()
            records = {p: {**catalog[p], "collection": collection} for p in sorted(paths) if p in catalog}
            library = self._library_update(catalog, records, removed=(), links=(), sketches={})
            token = lock.local.token
            with self._client.pipeline(transaction=True) as tx:
                tx.watch(self._lock_key)
                if tx.get(self._lock_key) != token:
                    raise IndexBusyError("lost the write lock; nothing was changed", path=self.location)
                tx.multi()
                tx.hset(self._files_key, mapping=library.encoded_records())
                library.queue(tx)
                tx.execute()

    @_wrapped
    def library_info(self) -> LibraryInfo:
        return self._pin().library_info()

    @_wrapped
    def catalog(
        self, *, files: Collection[str] | None = None, works: Collection[int] | None = None
    ) -> list[CatalogEntry]:
        return self._pin().catalog(files=files, works=works)

    @_wrapped
    def documents_by_id(self, ids: Collection[int]) -> dict[int, DocumentRecord]:
        return self._pin().documents_by_id(ids)

    @_wrapped
    def sentence_owners(self, sentence_ids: IntArray) -> tuple[IntArray, IntArray]:
        return self._pin().sentence_owners(sentence_ids)

    @_wrapped
    def sketch_candidates(self, keys: IntArray) -> list[tuple[int, int]]:
        return self._pin().sketch_candidates(keys)

    # -- vacuum ------------------------------------------------------------------------
    def _maybe_vacuum(self, lock: Lock) -> None:
        dead, live = (int(x or 0) for x in self._client.hmget(self._meta_key, ["dead", "sentences"]))
        if dead > self.vacuum_min_dead and dead > self.vacuum_dead_share * live:
            self._vacuum(lock, dead)

    def _vacuum(self, lock: Lock, dead: int) -> None:
        """Drop sentence ids no live document owns (replaced files, runs killed half-way).

        Runs under the write lock; readers are unaffected, as they ignore such ids anyway.
        """
        state = {"renewed": time.monotonic()}
        # (member, score) pairs; members are bytes (see `_bytes`).
        live = cast(list[tuple[bytes, float]], self._client.zrange(self._sents_key, 0, -1, withscores=True))
        bases = np.array(
            sorted((int(score), int(member.split(b":")[1])) for member, score in live),
            dtype=np.int64,
        ).reshape(-1, 2)
        step = PIPELINE_COMMANDS
        stop = layers.STOPPED.tobytes()
        for lo, name_of in itertools.product(range(0, 1 << self._bucket_bits, step),
                                             (self._bucket_key, self._posting_key)):
            names = [name_of(b) for b in range(lo, min(lo + step, 1 << self._bucket_bits))]
            pipe = self._client.pipeline(transaction=False)
            for name in names:
                pipe.hgetall(name)
            contents = pipe.execute()
            pipe = self._client.pipeline(transaction=False)
            for name, fields in zip(names, contents):
                drop, keep = [], {}
                for field, value in fields.items():
                    if value == stop:
                        continue  # a stopped key stays stopped
                    cids = np.frombuffer(value, dtype="<u4")
                    live_ids = alive(layers.sentence_of(cids), bases)
                    if not live_ids.all():
                        if live_ids.any():
                            keep[field] = cids[live_ids].tobytes()
                        else:
                            drop.append(field)
                if drop:
                    pipe.hdel(name, *drop)
                if keep:
                    pipe.hset(name, mapping=keep)
            pipe.execute()
            self._keep_lock(lock, state)
        self._client.hincrby(self._meta_key, "dead", -dead)


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _band_field(band: int, key: int) -> bytes:
    return bytes((band,)) + key.to_bytes(8, "little", signed=True)


def _resolve_links(
    new_files: Sequence[NewFile], written: Mapping[tuple[str, int], int], catalog: Mapping[str, dict[str, Any]]
) -> list[tuple[int, int]]:
    """The near-duplicate links of the files written, as (document id, document id) pairs."""
    pairs: set[tuple[int, int]] = set()
    for nf in new_files:
        for ordinal, ref in nf.links:
            a = written.get((nf.path, ordinal))
            b = ref if isinstance(ref, int) else written.get(ref)
            if a is not None and b is not None and a != b:
                pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)


def _relink(state: dict[str, dict[str, Any]], where: Mapping[int, tuple[str, int]], seeds: set[int]) -> set[str]:
    """Recompute (in place) the works of the documents connected to ``seeds`` in the file
    records ``state``; returns the paths of the records that changed."""
    members: set[int] = set()
    frontier = {d for d in seeds if d in where}
    while frontier:
        members |= frontier
        frontier = {
            x for d in frontier for x in state[where[d][0]]["doc_links"][where[d][1]] if x in where
        } - members
    names = {d: (state[where[d][0]]["name"], state[where[d][0]]["doc_ordinals"][where[d][1]]) for d in members}
    links = [(d, x) for d in members for x in state[where[d][0]]["doc_links"][where[d][1]]]
    changed: set[str] = set()
    for d, work in components(names, links).items():
        path, i = where[d]
        if state[path]["doc_works"][i] != work:
            state[path]["doc_works"][i] = work
            changed.add(path)
    return changed


@dataclass(frozen=True, slots=True)
class _LibraryWrite:
    """What one commit writes for the library layer (see `RedisStore._library_update`)."""

    records: dict[str, dict[str, Any]]  # path -> file record to store
    band_set: dict[FieldT, EncodableT]
    band_del: list[FieldT]
    sketch_set: dict[str, bytes]
    sketch_del: list[str]
    meta: dict[str, str | int]
    keys: tuple[str, str, str, str]  # files, dband, dsketch, meta

    def encoded_records(self) -> dict[FieldT, EncodableT]:
        return {p: json.dumps(r, ensure_ascii=False) for p, r in self.records.items()}

    def queue(self, tx: Any) -> None:  # redis-py's Pipeline, generic over its client
        """Queue the writes but the records into the commit's MULTI."""
        _, dband, dsketch, meta = self.keys
        if self.band_del:
            tx.hdel(dband, *self.band_del)
        if self.band_set:
            tx.hset(dband, mapping=self.band_set)
        if self.sketch_del:
            tx.hdel(dsketch, *self.sketch_del)
        if self.sketch_set:
            tx.hset(dsketch, mapping=self.sketch_set)
        tx.hset(meta, mapping=self.meta)


class _RedisView:
    """The reads of one committed state of a Redis index (what `RedisStore.snapshot` yields)."""

    updated: str | None = None
    works_digest: str = ""

    def __init__(self, store: RedisStore, entries: dict[str, dict[str, Any]], committed: int, generation: int):
        self._store = store
        self._entries = entries  # path -> file record, as committed at `generation`
        self._committed = committed  # sentence ids below this belong to committed runs
        self._generation = generation
        self._where: dict[int, tuple[str, int]] | None = None
        # What this view has looked up already: a check asks for the owners of the sentences
        # each layer found (sentences, fragments, paraphrases), mostly of the same documents.
        self._owner_of: dict[int, int | None] = {}
        self._docs: dict[int, DocumentRecord] = {}

    def _doc_index(self) -> dict[int, tuple[str, int]]:
        """Document id -> (path, position in its file record), built on first use."""
        if self._where is None:
            self._where = {d: (p, i) for p, e in self._entries.items() for i, d in enumerate(e["docs"])}
        return self._where

    def _library(self, doc_id: int) -> tuple[str, int] | None:
        """(collection, work) of a document of this view."""
        found = self._doc_index().get(doc_id)
        if found is None:
            return None
        entry = self._entries[found[0]]
        return entry["collection"], int(entry["doc_works"][found[1]])

    def library_info(self) -> LibraryInfo:
        collections: dict[str, int] = {}
        works = 0
        for e in self._entries.values():
            collections[e["collection"]] = collections.get(e["collection"], 0) + len(e["docs"])
            works += sum(d == w for d, w in zip(e["docs"], e["doc_works"]))
        return LibraryInfo(
            documents=self.document_count(), works=works, updated=self.updated, works_digest=self.works_digest,
            collections={c: n for c, n in sorted(collections.items()) if n},
        )

    def catalog(
        self, *, files: Collection[str] | None = None, works: Collection[int] | None = None
    ) -> list[CatalogEntry]:
        every = files is None and works is None
        wanted_files, wanted_works = set(files or ()), set(works or ())
        return [
            CatalogEntry(id=d, file=path, file_name=e["name"], ordinal=o, collection=e["collection"], work=w)
            for path, e in self._entries.items()
            for d, o, w in zip(e["docs"], e["doc_ordinals"], e["doc_works"])
            if every or path in wanted_files or w in wanted_works
        ]

    def documents_by_id(self, ids: Collection[int]) -> dict[int, DocumentRecord]:
        index = self._doc_index()
        with _backend_errors(self.location):
            return self._store._fetch_docs(sorted(d for d in set(ids) if d in index), self._library)

    def sentence_owners(self, sentence_ids: IntArray) -> tuple[IntArray, IntArray]:
        sids = np.asarray(sentence_ids, dtype=np.int64)
        distinct, inverse = np.unique(sids, return_inverse=True)
        owner = self._owner_ids(distinct.tolist())
        found = np.full((distinct.size, 2), -1, dtype=np.int64)
        for k, sid in enumerate(distinct.tolist()):
            doc = owner.get(sid)
            if doc is not None and (lib := self._library(doc)) is not None:
                found[k] = (doc, lib[1])
        return found[inverse, 0], found[inverse, 1]

    def sketch_candidates(self, keys: IntArray) -> list[tuple[int, int]]:
        asked = [(row, _band_field(band, key)) for row, values in enumerate(np.asarray(keys, dtype=np.int64).tolist())
                 if any(values) for band, key in enumerate(values)]
        if not asked:
            return []
        fields = sorted({f for _, f in asked})
        with _backend_errors(self.location):
            values = dict(zip(fields, self._store._client.hmget(self._store._dband_key, fields)))
        index = self._doc_index()
        holders = {
            f: [d for d in np.frombuffer(_bytes(v), dtype="<u4").tolist() if d in index]
            for f, v in values.items() if v is not None
        }
        return sorted({(row, d) for row, f in asked for d in holders.get(f, ())})

    @property
    def location(self) -> str:
        return self._store.location

    @property
    def params(self) -> LshParams:
        return self._store.params

    def files(self) -> list[FileRecord]:
        return [
            FileRecord(
                id=e["id"], path=path, sha256=e["sha256"], chars=e["chars"],
                encoding=e["encoding"], documents=len(e["docs"]),
                declared_count=e["declared_count"], warnings=tuple(e["warnings"]),
                set_aside=tuple(e["set_aside"]), name=e["name"], collection=e["collection"],
            )
            for path, e in self._entries.items()
        ]

    def documents(self) -> list[DocumentRecord]:
        ids = [i for e in self._entries.values() for i in e["docs"]]
        with _backend_errors(self.location):
            docs = self._store._fetch_docs(ids, self._library)
        if len(docs) != len(ids):
            raise IndexBusyError(
                f"the index changed too much while being read (a source was replaced more than "
                f"{RETIRE_GRACE_S} s ago); run the command again",
                path=self.location,
            )
        return [docs[i] for i in ids]

    def document_count(self) -> int:
        return sum(len(e["docs"]) for e in self._entries.values())

    def file_sha256(self, path: str) -> str | None:
        entry = self._entries.get(path)
        return str(entry["sha256"]) if entry else None

    def file_edge_lines(self, path: str) -> dict[str, int]:
        entry = self._entries.get(path)
        return dict(entry["edge_lines"]) if entry else {}

    def edge_line_counts(self, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
        return self._store.edge_line_counts(keys)

    def _owner_ids(self, sids: list[int]) -> dict[int, int | None]:
        """Sentence id -> id of the document owning it in this view (None: none), for the
        distinct ``sids``. Sentences of files replaced after this view was taken map to the
        version it saw (kept for `RETIRE_GRACE_S`); those replaced before it are not part of it."""
        store = self._store
        new = [s for s in sids if s < self._committed and s not in self._owner_of]
        if new:
            with _backend_errors(self.location):
                owner = store._owners(store._sents_key, new, None)
                missing = [s for s in new if s not in owner]
                if missing:
                    owner.update(store._owners(store._retired_key, missing, self._generation))
            self._owner_of.update({s: owner.get(s) for s in new})
        return {s: self._owner_of.get(s) for s in sids}

    def documents_for_sentences(self, sentence_ids: IntArray) -> SentenceOwners:
        """Sentences of files replaced after this view was taken map to the version it saw
        (kept for `RETIRE_GRACE_S`); those replaced before it are not part of it."""
        sids = np.unique(np.asarray(sentence_ids, dtype=np.int64)).tolist()
        owner = self._owner_ids(sids)
        wanted = sorted({d for d in owner.values() if d is not None} - self._docs.keys())
        if wanted:
            with _backend_errors(self.location):
                self._docs.update(self._store._fetch_docs(wanted, self._library))
        docs = self._docs
        return {
            sid: (docs[d], sid - docs[d].sent_base)
            for sid, d in owner.items() if d is not None and d in docs
        }

    def candidates(self, keys: IntArray) -> Candidates:
        with _backend_errors(self.location):
            return self._store._lookup(keys, self._committed)

    def postings(self, layer: int, keys: UInt32Array) -> tuple[IntArray, UInt32Array]:
        with _backend_errors(self.location):
            return self._store._posting_lookup(layer, keys, self._committed)

    def stats(self) -> dict[str, int]:
        return self._store.stats()

    def get_derived(self, name: str, generation: str) -> bytes | None:
        return self._store.get_derived(name, generation)

    def put_derived(self, name: str, generation: str, value: bytes) -> None:
        self._store.put_derived(name, generation, value)
