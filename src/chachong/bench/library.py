"""The synthetic 素材库 library the benchmark indexes, and the draft it checks.

Built from the bundled corpus: its sentences, with clauses swapped in from other sentences
and a few characters substituted, deleted or inserted (at least one per sentence), masks
filled with digits, assembled into compilation files like the real ones (``（N篇）`` header,
title lines, documents, distributor ads at the end). Everything is vectorized with numpy so
90 million characters take seconds, and seeded so the same size and seed always give the
same files.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model import BoolArray, IntArray, UInt32Array

GENERATOR_VERSION = 2
FILE_CHARS = 50_000  # about the size of the real compilation files
DOC_CHARS_MEAN = 4_000  # the bundled corpus averages ~3,900 characters per document
DRAFT_CHARS = 5_000
ADDED_DOCUMENTS = 1_000
_SENTENCE_END = re.compile(r"(?<=[。！？；])")
_CLAUSE_END = re.compile(r"(?<=[，、：])")
_AD_MARKERS = ("素材库", "代笔", "paidend", "邮箱投稿")
_PLACES = (
    "XX县", "XX市", "XX区", "XX镇", "XX乡", "XX街道", "市", "县", "区", "镇", "乡", "某县", "某市",
    "开发区", "新区", "高新区",
)


@dataclass(frozen=True, slots=True)
class _Pool:
    """The bundled corpus cut into units (sentences) made of clauses, as code points."""

    chars: UInt32Array  # code points of all clauses, back to back
    clause_start: IntArray  # (n_clauses + 1,) offsets into chars
    clause_final: BoolArray  # the clause ends its unit (keeps 。 and any line break)
    unit_first: IntArray  # first clause of each unit
    unit_clauses: IntArray  # clauses per unit
    inner_clauses: IntArray  # ids of clauses that do not end a unit
    vocab: UInt32Array  # CJK characters of the corpus, with their frequency
    titles: tuple[str, ...]
    ads: tuple[str, ...]


def _codes(text: str) -> UInt32Array:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint32)


def _is_cjk(codes: UInt32Array) -> BoolArray:
    return (codes >= 0x4E00) & (codes <= 0x9FFF)


def _load_pool() -> _Pool:
    from ..indexer import bundled_corpus_dir
    from ..text.reading import read_text
    from ..text.splitting import looks_like_title, split_documents

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
        for raw_line in text.splitlines():
            line = raw_line.strip()
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


def _ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenation of ``arange(s, s + n)`` for each (s, n), without a Python loop."""
    total = int(lengths.sum())
    first = np.cumsum(lengths) - lengths
    return np.repeat(starts - first, lengths) + np.arange(total, dtype=np.int64)


def _body_stream(pool: _Pool, rng: np.random.Generator, chars: int) -> UInt32Array:
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
