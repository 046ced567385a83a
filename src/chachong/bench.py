"""Benchmarks at 素材库 scale: a synthetic library, indexing and checking, side by side.

``run_bench`` generates (or reuses) synthetic libraries of the requested sizes, then
measures, each in its own process so that peak memory is the child's own:

* chachong's whole ``index`` run (read, split, normalize, MinHash, persist);
* the baseline a user would otherwise write: datasketch as its README shows it, one
  ``MinHash.update`` per shingle and one ``MinHashLSH.insert`` per sentence, over the
  same shingles (run only on libraries small enough for it to finish in reasonable time);
* checking a 5,000-character draft: in-process (``check_text``) and as a whole
  ``chachong check`` process;
* adding 1,000 documents to the largest index.

The synthetic library is built from the bundled corpus: its sentences, with clauses
swapped in from other sentences and a few characters substituted, deleted or inserted
(at least one per sentence), masks filled with digits, assembled into compilation files
like the real ones (``（N篇）`` header, title lines, documents, distributor ads at the end).
Everything is vectorized with numpy so 90 million characters take seconds, and seeded
so the same size and seed always give the same files.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 2
FILE_CHARS = 50_000  # about the size of the real compilation files
DOC_CHARS_MEAN = 4_000  # the bundled corpus averages ~3,900 characters per document
DRAFT_CHARS = 5_000
ADDED_DOCUMENTS = 1_000
# The baseline lives outside the package: it pickles (what its users do to persist a
# MinHashLSH), and the package itself never imports pickle. Present in a source checkout.

_SENTENCE_END = re.compile(r"(?<=[。！？；])")
_CLAUSE_END = re.compile(r"(?<=[，、：])")
_AD_MARKERS = ("素材库", "代笔", "paidend", "邮箱投稿")
_PLACES = (
    "XX县", "XX市", "XX区", "XX镇", "XX乡", "XX街道", "市", "县", "区", "镇", "乡", "某县", "某市",
    "开发区", "新区", "高新区",
)


# ---------------------------------------------------------------------------------
# The synthetic library
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Pool:
    """The bundled corpus cut into units (sentences) made of clauses, as code points."""

    chars: np.ndarray  # uint32 code points of all clauses, back to back
    clause_start: np.ndarray  # int64 (n_clauses + 1,) offsets into chars
    clause_final: np.ndarray  # bool: the clause ends its unit (keeps 。 and any line break)
    unit_first: np.ndarray  # int64 first clause of each unit
    unit_clauses: np.ndarray  # int64 clauses per unit
    inner_clauses: np.ndarray  # int64 ids of clauses that do not end a unit
    vocab: np.ndarray  # uint32 CJK characters of the corpus, with their frequency
    titles: tuple[str, ...]
    ads: tuple[str, ...]


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint32)


def _is_cjk(codes: np.ndarray) -> np.ndarray:
    return (codes >= 0x4E00) & (codes <= 0x9FFF)


def _load_pool() -> _Pool:
    from .indexer import bundled_corpus_dir
    from .reading import read_text
    from .splitting import looks_like_title, split_documents

    clauses: list[str] = []
    final: list[bool] = []
    unit_first: list[int] = []
    unit_clauses: list[int] = []
    titles: list[str] = []
    ads: list[str] = []
    for path in sorted(bundled_corpus_dir().glob("*.txt")):
        text = read_text(path).text
        split = split_documents(text, fallback_title=path.stem)
        titles.extend(d.title.strip() for d in split.documents if looks_like_title(d.title))
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            if any(m in line for m in _AD_MARKERS):
                if "素材库" in line or "代笔" in line:
                    ads.append(line)
                continue
            if "\t" in line or len(line) < 8:
                continue  # table-of-contents entries, headers, bare headings
            sentences = [s for s in _SENTENCE_END.split(line) if s]
            for i, sentence in enumerate(sentences):
                parts = [c for c in _CLAUSE_END.split(sentence) if c]
                unit_first.append(len(clauses))
                unit_clauses.append(len(parts))
                for j, part in enumerate(parts):
                    last = j == len(parts) - 1
                    # A unit that ends its line keeps the line break, so paragraphs keep
                    # their real lengths in sentences.
                    clauses.append(part + ("\n" if last and i == len(sentences) - 1 else ""))
                    final.append(last)
    lengths = np.array([len(c) for c in clauses], dtype=np.int64)
    clause_start = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=clause_start[1:])
    chars = _codes("".join(clauses))
    final_arr = np.array(final, dtype=bool)
    vocab = chars[_is_cjk(chars)]
    return _Pool(
        chars=chars, clause_start=clause_start, clause_final=final_arr,
        unit_first=np.array(unit_first, dtype=np.int64),
        unit_clauses=np.array(unit_clauses, dtype=np.int64),
        inner_clauses=np.flatnonzero(~final_arr), vocab=vocab,
        titles=tuple(dict.fromkeys(t for t in titles if 4 <= len(t) <= 40)),
        ads=tuple(dict.fromkeys(ads)),
    )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each (s, n), without a Python loop."""
    total = int(lengths.sum())
    first = np.cumsum(lengths) - lengths
    return np.repeat(starts - first, lengths) + np.arange(total, dtype=np.int64)


def _body_stream(pool: _Pool, rng: np.random.Generator, chars: int) -> np.ndarray:
    """About ``chars`` characters of running text: mutated corpus sentences, by paragraph."""
    mean_unit = pool.chars.size / pool.unit_first.size
    n_runs = max(1, int(chars / mean_unit / 5) + 1)
    # Runs of consecutive corpus sentences keep a paragraph's train of thought.
    run_start = rng.integers(0, pool.unit_first.size, n_runs)
    run_len = rng.geometric(1 / 5, n_runs)
    units = _ranges(run_start, run_len) % pool.unit_first.size
    # Clauses of each unit; inner clauses are swapped for random ones from elsewhere.
    clause = _ranges(pool.unit_first[units], pool.unit_clauses[units])
    inner = ~pool.clause_final[clause]
    swap = inner & (rng.random(clause.size) < 0.25)
    clause[swap] = pool.inner_clauses[rng.integers(0, pool.inner_clauses.size, int(swap.sum()))]
    # ... and neighbouring inner clauses are sometimes exchanged.
    pair = np.flatnonzero(inner[:-1] & inner[1:] & (rng.random(clause.size - 1) < 0.08))
    pair = pair[np.concatenate(([True], np.diff(pair) > 1))] if pair.size else pair
    clause[pair], clause[pair + 1] = clause[pair + 1], clause[pair].copy()
    lengths = pool.clause_start[clause + 1] - pool.clause_start[clause]
    text = pool.chars[_ranges(pool.clause_start[clause], lengths)]
    # Every unit gets at least one substituted character, so copies of one corpus
    # sentence are (almost) never exact repeats; more edits fall at random.
    unit_len = np.add.reduceat(lengths, np.concatenate(([0], np.cumsum(pool.unit_clauses[units])[:-1])))
    unit_pos = np.cumsum(unit_len) - unit_len
    forced = unit_pos + (rng.random(unit_len.size) * np.maximum(unit_len - 1, 1)).astype(np.int64)
    cjk = _is_cjk(text)
    subst = np.zeros(text.size, dtype=bool)
    subst[forced] = True
    subst |= rng.random(text.size) < 0.015
    subst &= cjk
    text[subst] = pool.vocab[rng.integers(0, pool.vocab.size, int(subst.sum()))]
    # Masks filled in: X / x become digits, as a drafter would write them.
    mask = (text == ord("X")) | (text == ord("x"))
    text[mask] = ord("0") + rng.integers(0, 10, int(mask.sum())).astype(np.uint32)
    delete = cjk & (rng.random(text.size) < 0.006)
    insert_at = np.flatnonzero(cjk & (rng.random(text.size) < 0.006))
    inserted = pool.vocab[rng.integers(0, pool.vocab.size, insert_at.size)]
    keep = ~delete
    text = np.insert(text, insert_at, inserted)
    keep = np.insert(keep, insert_at, True)
    return text[keep]


def _title(pool: _Pool, rng: np.random.Generator) -> str:
    base = pool.titles[int(rng.integers(len(pool.titles)))]
    base = re.sub(r"^(XX|某)?[县市区镇乡]", "", base)
    year = int(rng.integers(2015, 2025))
    base = re.sub(r"20\d\d", lambda m: str(year if m.start() < 6 else year + 1), base)
    return (_PLACES[int(rng.integers(len(_PLACES)))] + base)[:44]


def _write_files(pool: _Pool, rng: np.random.Generator, chars: int, out: Path, first: int,
                 *, documents: int | None = None) -> tuple[int, int, int]:
    """Write compilation files of ~FILE_CHARS until ``chars`` (or ``documents``) is reached.

    Returns (files, documents, characters) written.
    """
    block = 4_000_000  # generate the body text in blocks to keep memory flat
    written = n_files = n_docs = 0
    ads = "\n".join(pool.ads)
    pending: list[str] = []
    pending_chars = 0

    def flush() -> None:
        nonlocal pending, pending_chars, n_files, written
        if not pending:
            return
        year = int(rng.integers(2015, 2025))
        header = f"{year}年工作总结{year + 1}年工作计划汇编（{len(pending)}篇）\n\n"
        text = header + "\n\n\n".join(pending) + "\n\n\n" + ads + "\n"
        (out / f"{first + n_files:05d}.txt").write_text(text, encoding="utf-8")
        n_files += 1
        written += len(text)
        pending, pending_chars = [], 0

    def done() -> bool:
        if documents is not None:
            return n_docs >= documents
        return written + pending_chars >= chars

    while not done():
        stream = _body_stream(pool, rng, block)
        body = stream.astype("<u4").tobytes().decode("utf-32-le")
        breaks = np.flatnonzero(stream == 10)
        lo = 0
        while not done():
            want = int(rng.lognormal(np.log(DOC_CHARS_MEAN) - 0.18, 0.6))
            k = int(np.searchsorted(breaks, lo + max(want, 300)))
            if k >= breaks.size:
                break
            hi = int(breaks[k])
            title = _title(pool, rng)
            pending.append(f"{title}\n\n{body[lo:hi]}")
            pending_chars += hi - lo + len(title) + 5
            n_docs += 1
            lo = hi + 1
            if pending_chars >= FILE_CHARS:
                flush()
    flush()
    return n_files, n_docs, written


def parse_sizes(text: str) -> list[int]:
    """``"1M,10M,90M"`` (or plain numbers, or ``K``) as character counts; ValueError if bad."""
    sizes = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", part)
        if not m:
            raise ValueError(f"not a size: {part!r} (expected e.g. 1M, 500K, 2000000)")
        scale = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
        n = int(float(m.group(1)) * scale)
        if not 10_000 <= n <= 200_000_000:
            raise ValueError(f"size {part} out of range (10K to 200M characters)")
        sizes.append(n)
    if not sizes:
        raise ValueError("no sizes given")
    return sorted(set(sizes))


@dataclass(frozen=True, slots=True)
class Library:
    path: Path
    files: int
    documents: int
    chars: int
    seconds: float  # time it took to generate (0 when read from the cache)


def generate_library(chars: int, out_dir: Path, *, seed: int = 0,
                     documents: int | None = None, tag: str = "lib") -> Library:
    """A synthetic library of about ``chars`` characters (or ``documents`` documents).

    Cached under ``out_dir``: the same arguments reuse the files written before.
    """
    name = f"{tag}-{documents}docs" if documents is not None else f"{tag}-{chars}"
    path = Path(out_dir) / f"{name}-s{seed}-v{GENERATOR_VERSION}"
    stamp = path / "library.json"
    if stamp.exists():
        info = json.loads(stamp.read_text(encoding="utf-8"))
        return Library(path, info["files"], info["documents"], info["chars"], 0.0)
    if path.exists():
        shutil.rmtree(path)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    pool = _load_pool()
    # Seed from (seed, tag) so the extra documents never repeat the library itself.
    rng = np.random.default_rng([seed, sum(tag.encode())])
    files, docs, written = _write_files(pool, rng, chars, tmp, 0, documents=documents)
    seconds = time.perf_counter() - t0
    (tmp / "library.json").write_text(
        json.dumps({"files": files, "documents": docs, "chars": written, "seed": seed}),
        encoding="utf-8",
    )
    tmp.rename(path)
    return Library(path, files, docs, written, seconds)


def make_draft(library: Path, *, seed: int = 0, chars: int = DRAFT_CHARS) -> str:
    """A draft of ``chars`` characters: paragraphs copied from the library between original text.

    "Original" paragraphs are corpus characters in random order (no 5-character window of
    them is likely to occur in the library); the copied ones are whole paragraphs of
    library documents, about half of the draft.
    """
    rng = np.random.default_rng([seed, 7])
    files = sorted(library.glob("*.txt"))
    pool = _load_pool()
    out: list[str] = []
    total = 0
    while total < chars:
        path = files[int(rng.integers(len(files)))]
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
                 if len(ln) > 60 and not any(m in ln for m in _AD_MARKERS)]
        own = pool.vocab[rng.integers(0, pool.vocab.size, 240)].astype("<u4").tobytes().decode("utf-32-le")
        out.append("。".join(own[j : j + 30] for j in range(0, len(own), 30)) + "。")
        out.append(lines[int(rng.integers(len(lines)))])
        total = sum(len(p) + 1 for p in out)
    return "\n".join(out)[:chars]


# ---------------------------------------------------------------------------------
# Measuring, each in its own process
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Child:
    seconds: float  # wall time of the whole process
    peak_rss: int  # bytes (ru_maxrss of the child)
    output: dict  # the last JSON line the child printed


def _run_child(argv: list[str]) -> Child:
    """Run a process, returning its wall time, its own peak memory and its JSON output."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
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
    many characters instead of ``phrases.MAX_CORPUS_CHARS`` (reported in the results).
    """
    from . import phrases
    from .indexer import index_paths
    from .phrases import BackgroundPhraseTable
    from .storage import open_store

    if phrase_sample_chars:
        phrases.MAX_CORPUS_CHARS = phrase_sample_chars

    t0 = time.perf_counter()
    store = open_store(location, create=True)
    job = BackgroundPhraseTable(location)
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
    from .check import check_text
    from .storage import open_store

    text = Path(draft).read_text(encoding="utf-8")
    t0 = time.perf_counter()
    store = open_store(location)
    opened = time.perf_counter() - t0
    times = []
    result = None
    for _ in range(repeats + 1):
        t = time.perf_counter()
        result = check_text(store, text)
        times.append(time.perf_counter() - t)
    store.close()
    print(json.dumps({"open_s": opened, "first_s": times[0], "times": times[1:],
                      "copy_ratio": result.copy_ratio, "passages": len(result.passages)}))


def _call(func: str, *args) -> list[str]:
    return _python(f"from chachong.bench import {func}; {func}(*{args!r})")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[pos]


def _fresh_index(location: str) -> int:
    """Remove any index at ``location``; return Redis' memory baseline (0 for a file)."""
    from .storage import is_redis_url

    if is_redis_url(location):
        from .redis_store import RedisStore

        RedisStore.drop(location)
        return RedisStore.used_memory(location)
    for p in Path(location).parent.glob(Path(location).name + "*"):
        p.unlink()
    return 0


def _index_size(location: str, baseline: int = 0) -> int:
    """Bytes on disk of an index file, or Redis memory used above ``baseline``."""
    from .storage import is_redis_url

    if is_redis_url(location):
        from .redis_store import RedisStore

        return RedisStore.used_memory(location) - baseline
    return sum(p.stat().st_size for p in Path(location).parent.glob(Path(location).name + "*"))


@dataclass(slots=True)
class SizeResult:
    chars: int  # characters of the library
    files: int
    documents: int
    generate_s: float
    index: dict = field(default_factory=dict)  # chachong's index run
    baseline: dict | None = None  # datasketch, only on sizes it finishes in reasonable time
    check: dict = field(default_factory=dict)
    add: dict | None = None  # adding ADDED_DOCUMENTS documents to this index
    redis: dict | None = None  # {"index": …, "check": …} on Redis, beside the embedded file


@dataclass(slots=True)
class BenchResult:
    machine: dict
    sizes: list[SizeResult]

    def to_json(self) -> dict:
        return {"machine": self.machine, "sizes": [asdict(s) for s in self.sizes]}


def _machine() -> dict:
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


def _measure_index(lib, location: str, phrase_sample_chars: int | None) -> dict:
    """A whole `chachong index` run of ``lib`` into a fresh index at ``location``."""
    baseline = _fresh_index(location)
    child = _run_child(_call("_index_child", str(lib.path), location, phrase_sample_chars))
    out = child.output
    return {
        **_index_times(child), "sentences": out["sentences"],
        "disk_bytes": _index_size(location, baseline),
        "chars_per_s": lib.chars / child.seconds, "sentences_per_s": out["sentences"] / child.seconds,
    }


def _index_times(child: Child) -> dict:
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


def _measure_check(location: str, draft: Path, check_repeats: int, process_repeats: int) -> dict:
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
    check_repeats: int = 15,
    process_repeats: int = 5,
    add_documents: int = ADDED_DOCUMENTS,
    seed: int = 0,
    phrase_sample_chars: int | None = None,
    log=None,
) -> BenchResult:
    """Generate libraries of ``sizes`` characters and measure chachong (and the baseline).

    ``index_location``: where to build each index; ``{size}`` in it is replaced by the size
    (default: ``out_dir/index-SIZE.sqlite``, rebuilt from scratch on every run). The
    baseline runs on sizes up to ``baseline_max_chars``. Documents are added to the index
    of the largest size. ``phrase_sample_chars`` overrides the size of the sample the
    stock-phrase table is computed from (default: chachong's own limit).
    """
    from .storage import is_redis_url

    say = log or (lambda msg: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = _machine()
    from . import phrases

    machine["phrase_sample_chars"] = phrase_sample_chars or phrases.MAX_CORPUS_CHARS
    results: list[SizeResult] = []
    for n in sorted(sizes):
        say(f"library of {n:,} characters")
        lib = generate_library(n, out_dir, seed=seed)
        r = SizeResult(chars=lib.chars, files=lib.files, documents=lib.documents,
                       generate_s=round(lib.seconds, 3))
        redis_location = None
        if index_location and is_redis_url(index_location):
            # Redis is measured beside the embedded file: same library, same draft, one run.
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
            child = _run_child([sys.executable, "-m", "chachong.bench_baseline", str(lib.path)])
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
                    if index_location and not is_redis_url(index_location)
                    else str(out_dir / f"index-{max(sizes)}.sqlite"))
        say(f"  add {add_documents:,} documents to the {last.chars:,}-character index")
        extra = generate_library(0, out_dir, seed=seed, documents=add_documents, tag="add")
        child = _run_child(_call("_index_child", str(extra.path), location, phrase_sample_chars))
        last.add = {"documents": extra.documents, "chars": extra.chars, **_index_times(child)}
    try:
        machine["load_end"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    return BenchResult(machine, results)


# ---------------------------------------------------------------------------------
# Output: a plain-text table and a log-log plot
# ---------------------------------------------------------------------------------
def _mb(n: int | float) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e7 else f"{n / 1e6:,.1f} MB"


def _chars(n: int) -> str:
    return f"{n / 1e6:.3g}M" if n >= 1e6 else f"{n / 1e3:.3g}K"


def render_table(result: BenchResult) -> str:
    """The results as aligned plain-text tables (no colour, fit for a README)."""
    m = result.machine
    lines = [
        f"machine: {m['cpus']} CPUs, {m['memory_bytes'] / 2**30:.0f} GiB, {m['platform']}, "
        f"Python {m['python']}; load average {m.get('load_start')} at start, {m.get('load_end')} at end; "
        f"phrase table from up to {m.get('phrase_sample_chars', 0):,} characters",
        "",
    ]
    rows = [("library", "tool", "wall s", "chars/s", "sentences/s", "peak memory", "index size", "notes")]
    for s in result.sizes:
        i = s.index
        rows.append((_chars(s.chars), "chachong index", f"{i['seconds']:.1f}", f"{i['chars_per_s'] / 1e6:.2f}M",
                     f"{i['sentences_per_s']:,.0f}", _mb(i["peak_rss"]), _mb(i["disk_bytes"]), _stages(i)))
        if s.redis:
            i2 = s.redis["index"]
            rows.append((_chars(s.chars), "chachong index, Redis", f"{i2['seconds']:.1f}",
                         f"{i2['chars_per_s'] / 1e6:.2f}M", f"{i2['sentences_per_s']:,.0f}",
                         _mb(i2["peak_rss"]), _mb(i2["disk_bytes"]) + " in Redis", _stages(i2)))
        if s.baseline:
            b = s.baseline
            speedup = i["chars_per_s"] / b["chars_per_s"]
            # The same work on both sides: read, normalize, MinHash, LSH, persist; without
            # interpreter start-up and imports, and without chachong's phrase table.
            work = (b["index_s"] + b["persist_s"]) / max(i["index_s"], 1e-9)
            rows.append((_chars(s.chars), "datasketch (README)", f"{b['seconds']:.1f}",
                         f"{b['chars_per_s'] / 1e6:.3f}M", f"{b['sentences_per_s']:,.0f}", _mb(b["peak_rss"]),
                         _mb(b["pickle_bytes"]) + " pickle",
                         f"chachong {speedup:.1f}x by wall time, {work:.0f}x on the index work "
                         f"({b['index_s'] + b['persist_s']:.1f} s vs {i['index_s']:.2f} s)"))
    lines += _align(rows) + [""]
    rows = [("library", "draft", "in-process p50", "p95", "first", "process p50", "p95",
             "process peak memory", "copy ratio")]
    for s in result.sizes:
        checks = [(_chars(s.chars), s.check)]
        if s.redis:
            checks.append((_chars(s.chars) + " Redis", s.redis["check"]))
        for label, c in checks:
            rows.append((label, f"{c['draft_chars']:,} chars", f"{c['p50_s'] * 1e3:.0f} ms",
                         f"{c['p95_s'] * 1e3:.0f} ms", f"{c['first_s'] * 1e3:.0f} ms",
                         f"{c['process_p50_s']:.2f} s", f"{c['process_p95_s']:.2f} s",
                         _mb(c["process_peak_rss"]), f"{c['copy_ratio']:.1%}"))
    lines += _align(rows)
    for s in result.sizes:
        if s.add:
            a = s.add
            lines += ["", f"adding {a['documents']:,} documents ({_chars(a['chars'])} characters) to the "
                      f"{_chars(s.chars)} index: {a['seconds']:.1f} s ({_stages(a)}), "
                      f"peak memory {_mb(a['peak_rss'])}"]
    return "\n".join(lines)


def _stages(i: dict) -> str:
    if i.get("phrases_in_background"):
        # Wall time = start-up + index + the wait for the worker, if it was still running.
        return (f"index {i['index_s']:.1f} s; phrase table {i['phrase_worker_s']:.1f} s in a second "
                f"process meanwhile, {i['phrases_s']:.1f} s waited for")
    return f"index {i['index_s']:.1f} s + phrase table {i['phrases_s']:.1f} s"


def _align(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(cell.ljust(w) if i < 2 or i == len(r) - 1 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(r, widths))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def save_plot(result: BenchResult, path: Path) -> Path:
    """Index time and check latency against library size, log-log, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = result.sizes
    x = [s.chars for s in sizes]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.loglog(x, [s.index["seconds"] for s in sizes], "o-", label="chachong index")
    bx = [s.chars for s in sizes if s.baseline]
    if bx:
        by = [s.baseline["seconds"] for s in sizes if s.baseline]
        left.loglog(bx, by, "s", color="C3", label="datasketch, README style (measured)")
        # Extrapolated linearly from its measured throughput, to show the gap at scale.
        rate = bx[-1] / by[-1]
        left.loglog(x, [c / rate for c in x], ":", color="C3", label="datasketch, extrapolated")
    left.set_xlabel("library size (characters)")
    left.set_ylabel("index time (s)")
    left.set_title("Indexing")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    right.loglog(x, [s.check["p50_s"] * 1e3 for s in sizes], "o-", label="check_text in-process, p50")
    right.loglog(x, [s.check["process_p50_s"] * 1e3 for s in sizes], "^-", label="chachong check process, p50")
    right.set_xlabel("library size (characters)")
    right.set_ylabel("latency (ms), 5,000-character draft")
    right.set_title("Checking")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
