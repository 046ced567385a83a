"""The crash loop (issue 15): ``chachong index`` on a ~1M-character library, killed at a random
moment (seeded), again and again, on both backends.

After every kill the index opens, ``docs`` lists the state before the run or after it (never
a mix), and a check of a draft copied from an already indexed document finds that document.
SIGKILL leaves no chance to clean up; SIGINT and SIGTERM must end in one line (exit 130 /
143, no traceback) and leave no lock behind (the next run does not wait).

Marked slow; part of the default run (.ci/run runs it).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chachong.bench.library import generate_library
from chachong.indexer import index_paths, label_for
from chachong.match.check import check_text
from chachong.store import open_store

from .conftest import fresh_redis_url

pytestmark = pytest.mark.slow

SEED = 20_240_615
KILL_RUNS = 30  # on each backend
SIGNAL_RUNS = 3  # per signal, on each backend


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> list[Path]:
    """The files of a generated ~1M-character library (19 compilations of ~50,000)."""
    lib = generate_library(1_000_000, tmp_path_factory.mktemp("pool"), seed=3)
    files = sorted(lib.path.glob("*.txt"))
    assert sum(len(f.read_text(encoding="utf-8")) for f in files) >= 1_000_000
    return files


def _state(location: str) -> frozenset[tuple[str, str]]:
    with open_store(location) as store:
        return frozenset((f.path, f.sha256) for f in store.files())


def _wanted(folder: Path) -> frozenset[tuple[str, str]]:
    return frozenset((label_for(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in sorted(folder.iterdir()))


def _change(folder: Path, pool: list[Path], rng: random.Random) -> None:
    """What the next run has to do: add a file of the pool, or change one (never the first)."""
    present = sorted(folder.iterdir())
    missing = [p for p in pool if not (folder / p.name).exists()]
    if missing and rng.random() < 0.6:
        src = rng.choice(missing)
        shutil.copy(src, folder / src.name)
    else:
        target = rng.choice(present[1:])
        with open(target, "a", encoding="utf-8") as f:
            f.write(f"\n补充说明第{rng.randrange(10**6)}条：本年度各项工作均按计划推进，未发现新的问题。\n")


def _assert_usable(location: str, before: frozenset, after: frozenset, anchor_label: str, draft: str) -> frozenset:
    state = _state(location)
    assert state in (before, after), "the index holds a state that is neither before nor after the run"
    with open_store(location) as store:
        result = check_text(store, draft)
    assert result.sources and result.sources[0].source.file == anchor_label
    return state


def _unlock_after_sigkill(location: str) -> None:
    """A writer killed with SIGKILL keeps the Redis lock until its lease ends (60 s; the
    lease-wait test covers that wait): free it, as the end of the lease would."""
    if location.startswith("redis://"):
        import redis

        prefix = location.split("prefix=")[1].split("&", maxsplit=1)[0]
        with redis.Redis.from_url(location.split("?", maxsplit=1)[0]) as client:
            client.delete(f"{{{prefix}}}:lock", f"{{{prefix}}}:lock:holder")


def _lock_left(location: str) -> bool:
    if not location.startswith("redis://"):
        return False
    import redis

    prefix = location.split("prefix=")[1].split("&", maxsplit=1)[0]
    with redis.Redis.from_url(location.split("?", maxsplit=1)[0]) as client:
        return bool(client.exists(f"{{{prefix}}}:lock"))


class _Loop:
    """One backend's index, library folder and expected states, run by the loop below."""

    def __init__(self, backend: str, location: str, folder: Path, pool: list[Path], cache: Path) -> None:
        self.backend, self.location, self.folder, self.pool = backend, location, folder, pool
        self.rng = random.Random(f"{SEED}-{backend}")
        folder.mkdir()
        for src in pool[:12]:
            shutil.copy(src, folder / src.name)
        with open_store(location, create=True) as store:
            index_paths(store, [folder])
            anchor = store.documents()[0]  # of the first file, which the loop never changes
        self.anchor_file, self.draft = anchor.file, anchor.text[200:900]
        self.env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        self.argv = [sys.executable, "-m", "chachong", "index", str(folder), "--index", location]
        self.before: frozenset = frozenset()
        self.after: frozenset = frozenset()
        self.outcomes = {"before": 0, "after": 0}

    def start(self) -> subprocess.Popen[str]:
        _change(self.folder, self.pool, self.rng)
        self.after = _wanted(self.folder)
        return subprocess.Popen(self.argv, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc: subprocess.Popen[str], sig: int) -> None:
        out, err = proc.communicate(timeout=300)
        if sig == signal.SIGKILL:
            _unlock_after_sigkill(self.location)
        elif proc.returncode != 0:  # interrupted before it finished: one line, the right status
            word, code = ("interrupted", 130) if sig == signal.SIGINT else ("terminated", 143)
            assert (proc.returncode, out, err) == (code, "", f"chachong: {word}\n"), self.backend
            assert not _lock_left(self.location)  # released: the next run does not wait
        state = _assert_usable(self.location, self.before, self.after, self.anchor_file, self.draft)
        self.outcomes["after" if state == self.after else "before"] += 1
        self.before = state


def test_index_killed_at_random_moments_keeps_a_consistent_usable_index(pool, tmp_path, redis_server):
    """Both backends side by side: each iteration starts a run on each and kills each at its
    own random moment within the time an unkilled run takes (30 SIGKILL, then SIGINT and
    SIGTERM, on each backend)."""
    loops = [
        _Loop("sqlite", str(tmp_path / "index.sqlite"), tmp_path / "lib-sqlite", pool, tmp_path / "cache"),
        _Loop("redis", fresh_redis_url(redis_server), tmp_path / "lib-redis", pool, tmp_path / "cache"),
    ]
    # How long an unkilled run takes here: the kill moments are drawn from that span.
    t0 = time.monotonic()
    first = [loop.start() for loop in loops]
    spans = []
    for proc in first:
        proc.communicate(timeout=300)
        spans.append(time.monotonic() - t0)
        assert proc.returncode == 0
    for loop in loops:
        loop.before = _state(loop.location)
    kinds = [signal.SIGKILL] * KILL_RUNS + [signal.SIGINT] * SIGNAL_RUNS + [signal.SIGTERM] * SIGNAL_RUNS
    for sig in kinds:
        procs = [loop.start() for loop in loops]
        started = time.monotonic()
        # The commit comes about half-way (the phrase table is computed after it): the first
        # 70 % of a run holds both sides of it, and the loop stays within a minute.
        moments = sorted((loop.rng.uniform(0.05, 0.7 * span), k) for k, (loop, span) in enumerate(zip(loops, spans)))
        for moment, k in moments:
            time.sleep(max(0.0, started + moment - time.monotonic()))
            procs[k].send_signal(sig)
        for loop, proc in zip(loops, procs):
            loop.finish(proc, sig)
    for loop in loops:
        # The loop hit both sides of the commit (the seed makes this deterministic here).
        assert loop.outcomes["before"] and loop.outcomes["after"], (loop.backend, loop.outcomes)
        # And the index completes the last run when let.
        subprocess.run(loop.argv, env=loop.env, capture_output=True, check=True, timeout=300)
        assert _state(loop.location) == _wanted(loop.folder)
