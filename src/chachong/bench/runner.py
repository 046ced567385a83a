"""Benchmarks at 素材库 scale: indexing and checking, side by side with datasketch.

``run_bench`` generates (or reuses) synthetic libraries of the requested sizes (`library`),
then measures, each in its own process so that peak memory is the child's own:

* chachong's whole ``index`` run (read, split, normalize, MinHash, persist);
* the baseline a user would otherwise write (`baseline`): datasketch as its README shows
  it, one ``MinHash.update`` per shingle and one ``MinHashLSH.insert`` per sentence, over
  the same shingles (run only on libraries small enough for it to finish in reasonable time);
* checking a 5,000-character draft: in-process (``check_text``) and as a whole
  ``chachong check`` process;
* ``pairs``, the reuse map between all indexed documents (on sizes up to a limit);
* adding 1,000 documents to the largest index.

Nothing in the index or check path imports this package.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .library import ADDED_DOCUMENTS, Library, generate_library, make_draft


@dataclass(frozen=True, slots=True)
class Child:
    seconds: float  # wall time of the whole process
    peak_rss: int  # bytes (ru_maxrss of the child)
    output: dict[str, Any]  # the last JSON line the child printed


def _run_child(argv: list[str]) -> Child:
    """Run a process, returning its wall time, its own peak memory and its JSON output."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)  # noqa: S603 - our own argv, no shell
        # Reap it ourselves with wait4: that gives this child's own rusage
        # (RUSAGE_CHILDREN would be the maximum over every child so far).
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8"), err.read().decode("utf-8", "replace")
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"benchmark step failed ({' '.join(argv[-4:])}): {stderr[-2000:]}")
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    # ru_maxrss is in kilobytes on Linux.
    return Child(seconds, int(usage.ru_maxrss) * 1024, json.loads(lines[-1]) if lines else {})


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _index_child(library: str, location: str, phrase_sample_chars: int | None = None) -> None:
    """Child process: what ``chachong index`` does, with its stages timed.

    ``phrase_sample_chars``: if given, the phrase table is computed from a sample of that
    many characters instead of ``phrases.table.MAX_CORPUS_CHARS`` (reported in the results).
    """
    from ..indexer import index_paths
    from ..phrases.table import MAX_CORPUS_CHARS
    from ..phrases.worker import BackgroundPhraseTable
    from ..store import open_store

    t0 = time.perf_counter()
    store = open_store(location, create=True)
    job = BackgroundPhraseTable(location, max_chars=phrase_sample_chars or MAX_CORPUS_CHARS)
    try:
        report = index_paths(store, [library], on_split=job.start)
        t1 = time.perf_counter()
        if report.documents:
            job.finish(store)
        t2 = time.perf_counter()
    finally:
        job.cancel()
    store.close()
    print(json.dumps({
        "documents": report.documents, "sentences": report.sentences, "chars": report.chars,
        "index_s": t1 - t0, "phrases_s": t2 - t1, "phrases_in_background": job.in_background,
        "phrase_worker_s": job.worker_seconds, "phrase_worker_peak_rss": job.worker_peak_rss,
        "self_peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


def _check_child(location: str, draft: str, repeats: int) -> None:
    """Child process: one store opened once, the same draft checked ``repeats`` times."""
    from ..match.check import check_text
    from ..store import open_store

    text = Path(draft).read_text(encoding="utf-8")
    t0 = time.perf_counter()
    store = open_store(location)
    opened = time.perf_counter() - t0
    times: list[float] = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        result = check_text(store, text)
        times.append(time.perf_counter() - t)
    store.close()
    print(json.dumps({"open_s": opened, "first_s": times[0], "times": times[1:],
                      "copy_ratio": result.copy_ratio, "passages": len(result.passages)}))


def _pairs_child(location: str) -> None:
    """Child process: what ``chachong pairs`` computes (every pair of indexed documents)."""
    from ..match.pairs import find_pairs
    from ..store import open_store

    t0 = time.perf_counter()
    with open_store(location) as store:
        result = find_pairs(store)
    print(json.dumps({"seconds": time.perf_counter() - t0, "pairs": len(result.pairs),
                      "documents": len(result.documents), "stock_sentences": result.stock_sentences,
                      "max_docs": result.max_docs}))


def _call(func: str, *args: object) -> list[str]:
    return _python(f"from chachong.bench.runner import {func}; {func}(*{args!r})")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[pos]


def _fresh_index(location: str) -> int:
    """Remove any index at ``location``; return its footprint afterwards (a Redis server's
    memory in use stays above 0: the baseline `_index_size` subtracts)."""
    from ..store import remove_store, store_footprint

    remove_store(location)
    return store_footprint(location)


def _index_size(location: str, baseline: int = 0) -> int:
    """Bytes the index takes on disk, or a Redis server's memory in use above ``baseline``."""
    from ..store import store_footprint

    return store_footprint(location) - baseline


@dataclass(slots=True)
class SizeResult:
    chars: int  # characters of the library
    files: int
    documents: int
    generate_s: float
    index: dict[str, Any] = field(default_factory=dict)  # chachong's index run
    baseline: dict[str, Any] | None = None  # datasketch, only on sizes it finishes in reasonable time
    check: dict[str, Any] = field(default_factory=dict)
    add: dict[str, Any] | None = None  # adding ADDED_DOCUMENTS documents to this index
    pairs: dict[str, Any] | None = None  # `chachong pairs` on this index, on sizes up to a limit
    redis: dict[str, Any] | None = None  # {"index": …, "check": …} on Redis, beside the embedded file


@dataclass(slots=True)
class BenchResult:
    machine: dict[str, Any]
    sizes: list[SizeResult]

    def to_json(self) -> dict[str, Any]:
        return {"machine": self.machine, "sizes": [asdict(s) for s in self.sizes]}


def _machine() -> dict[str, Any]:
    import platform

    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        mem = 0
    return {"cpus": os.cpu_count(), "memory_bytes": mem, "platform": platform.platform(),
            "python": platform.python_version(), "load_start": round(load[0], 2)}


def _measure_index(lib: Library, location: str, phrase_sample_chars: int | None) -> dict[str, Any]:
    """A whole `chachong index` run of ``lib`` into a fresh index at ``location``."""
    baseline = _fresh_index(location)
    child = _run_child(_call("_index_child", str(lib.path), location, phrase_sample_chars))
    out = child.output
    return {
        **_index_times(child), "sentences": out["sentences"],
        "disk_bytes": _index_size(location, baseline),
        "chars_per_s": lib.chars / child.seconds, "sentences_per_s": out["sentences"] / child.seconds,
    }


def _index_times(child: Child) -> dict[str, Any]:
    """Wall time, stages and peak memory of an `_index_child` run.

    With the phrase table computed in a second process, peak memory is the sum of both
    processes' peaks: an upper bound of what the machine needed at once (wait4 alone would
    report the larger of the two).
    """
    out = child.output
    worker_peak = out["phrase_worker_peak_rss"] or 0
    return {
        "seconds": round(child.seconds, 3),
        "peak_rss": out["self_peak_rss"] + worker_peak if out["phrases_in_background"] else child.peak_rss,
        "index_s": round(out["index_s"], 3), "phrases_s": round(out["phrases_s"], 3),
        "phrases_in_background": out["phrases_in_background"],
        "phrase_worker_s": round(out["phrase_worker_s"] or 0, 3), "phrase_worker_peak_rss": worker_peak,
    }


def _measure_check(location: str, draft: Path, check_repeats: int, process_repeats: int) -> dict[str, Any]:
    """The draft checked in-process (p50/p95) and as whole `chachong check` processes."""
    child = _run_child(_call("_check_child", location, str(draft), check_repeats))
    out = child.output
    procs = [_run_child([sys.executable, "-m", "chachong", "check", str(draft), "--index",
                         location, "--json"]) for _ in range(process_repeats)]
    return {
        "draft_chars": len(draft.read_text(encoding="utf-8")),
        "copy_ratio": round(out["copy_ratio"], 4), "passages": out["passages"],
        "open_s": round(out["open_s"], 4), "first_s": round(out["first_s"], 4),
        "p50_s": round(_pct(out["times"], 0.5), 4), "p95_s": round(_pct(out["times"], 0.95), 4),
        "peak_rss": child.peak_rss,
        "process_p50_s": round(_pct([p.seconds for p in procs], 0.5), 4),
        "process_p95_s": round(_pct([p.seconds for p in procs], 0.95), 4),
        "process_peak_rss": max(p.peak_rss for p in procs),
    }


def run_bench(
    *,
    sizes: list[int],
    out_dir: Path,
    index_location: str | None = None,
    baseline_max_chars: int = 10_000_000,
    pairs_max_chars: int = 10_000_000,
    check_repeats: int = 15,
    process_repeats: int = 5,
    add_documents: int = ADDED_DOCUMENTS,
    seed: int = 0,
    phrase_sample_chars: int | None = None,
    log: Callable[[str], None] | None = None,
) -> BenchResult:
    """Generate libraries of ``sizes`` characters and measure chachong (and the baseline).

    ``index_location``: where to build each index; ``{size}`` in it is replaced by the size
    (default: ``out_dir/index-SIZE.sqlite``, rebuilt from scratch on every run). The
    baseline runs on sizes up to ``baseline_max_chars``, ``pairs`` on sizes up to
    ``pairs_max_chars`` (on the embedded index). Documents are added to the index
    of the largest size. ``phrase_sample_chars`` overrides the size of the sample the
    stock-phrase table is computed from (default: chachong's own limit).
    """
    from ..phrases.table import MAX_CORPUS_CHARS
    from ..store import is_shared

    say = log or (lambda msg: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = _machine()
    machine["phrase_sample_chars"] = phrase_sample_chars or MAX_CORPUS_CHARS
    results: list[SizeResult] = []
    for n in sorted(sizes):
        say(f"library of {n:,} characters")
        lib = generate_library(n, out_dir, seed=seed)
        r = SizeResult(chars=lib.chars, files=lib.files, documents=lib.documents,
                       generate_s=round(lib.seconds, 3))
        redis_location = None
        if index_location and is_shared(index_location):
            # A shared index is measured beside the embedded file: same library, same draft, one run.
            redis_location = index_location.replace("{size}", str(n))
            location = str(out_dir / f"index-{n}.sqlite")
        elif index_location:
            location = index_location.replace("{size}", str(n))
        else:
            location = str(out_dir / f"index-{n}.sqlite")
        draft = out_dir / f"draft-{n}-s{seed}.txt"
        draft.write_text(make_draft(lib.path, seed=seed), encoding="utf-8")
        say("  chachong index")
        r.index = _measure_index(lib, location, phrase_sample_chars)
        if n <= baseline_max_chars:  # the size asked for: a library is a little larger
            say("  datasketch baseline")
            child = _run_child([sys.executable, "-m", "chachong.bench.baseline", str(lib.path)])
            out = child.output
            r.baseline = {
                "seconds": round(child.seconds, 3), "peak_rss": child.peak_rss,
                "index_s": round(out["index_s"], 3), "persist_s": round(out["persist_s"], 3),
                "sentences": out["sentences"], "pickle_bytes": out["bytes"],
                "chars_per_s": lib.chars / child.seconds,
                "sentences_per_s": out["sentences"] / child.seconds,
            }
        say("  check a 5,000-character draft")
        r.check = _measure_check(location, draft, check_repeats, process_repeats)
        if n <= pairs_max_chars:
            say("  pairs")
            child = _run_child(_call("_pairs_child", location))
            r.pairs = {"seconds": round(child.seconds, 3), "peak_rss": child.peak_rss, **child.output}
        if redis_location:
            say("  the same on Redis")
            r.redis = {
                "index": _measure_index(lib, redis_location, phrase_sample_chars),
                "check": _measure_check(redis_location, draft, check_repeats, process_repeats),
            }
        results.append(r)
    if results and add_documents:
        last = results[-1]
        location = (index_location.replace("{size}", str(max(sizes)))
                    if index_location and not is_shared(index_location)
                    else str(out_dir / f"index-{max(sizes)}.sqlite"))
        say(f"  add {add_documents:,} documents to the {last.chars:,}-character index")
        extra = generate_library(0, out_dir, seed=seed, documents=add_documents, tag="add")
        child = _run_child(_call("_index_child", str(extra.path), location, phrase_sample_chars))
        last.add = {"documents": extra.documents, "chars": extra.chars, **_index_times(child)}
    with contextlib.suppress(OSError):
        machine["load_end"] = round(os.getloadavg()[0], 2)
    return BenchResult(machine, results)
