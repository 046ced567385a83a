"""The benchmark code, on a tiny library: what it generates and that a run completes.

Never asserts timings (they depend on the machine); asserts what the numbers are about.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from chachong.bench.library import generate_library, make_draft
from chachong.bench.runner import run_bench
from chachong.bench.table import render_table
from chachong.text.splitting import split_documents


def _files(lib) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(lib.path.glob("*.txt"))}


def test_library_is_deterministic_sized_and_shaped_like_compilations(tmp_path):
    lib = generate_library(120_000, tmp_path / "a", seed=3)
    again = generate_library(120_000, tmp_path / "b", seed=3)
    other = generate_library(120_000, tmp_path / "c", seed=4)
    assert _files(lib) == _files(again)
    assert _files(lib) != _files(other)
    assert 120_000 <= lib.chars < 120_000 + 60_000
    assert lib.files == len(_files(lib)) >= 2
    # Cached: asking again reads the stamp instead of generating.
    assert generate_library(120_000, tmp_path / "a", seed=3).seconds == 0.0

    found = 0
    sentences: Counter[str] = Counter()
    for path in sorted(lib.path.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        declared = int(re.search(r"（(\d+)篇）", text.splitlines()[0]).group(1))
        split = split_documents(text, fallback_title=path.stem)
        found += len(split.documents)
        assert abs(len(split.documents) - declared) <= 1
        assert "【哒哒素材库】" in text.splitlines()[-1] or "【哒哒" in text  # ads at the end, as in the real files
        for line in text.splitlines():
            sentences.update(s for s in re.split(r"[。！？；]", line) if len(s) >= 12)
    assert abs(found - lib.documents) <= lib.files
    # Sentences are drawn from a 4,200-sentence corpus but mutated: almost never repeated.
    repeated = sum(c - 1 for c in sentences.values() if c > 1)
    assert repeated / sum(sentences.values()) < 0.02


def test_draft_mixes_copied_and_original_text(tmp_path):
    lib = generate_library(60_000, tmp_path, seed=1)
    draft = make_draft(lib.path, seed=1)
    assert len(draft) == 5_000
    library_text = "".join(p.read_text(encoding="utf-8") for p in lib.path.glob("*.txt"))
    paragraphs = draft.split("\n")
    copied = [p for p in paragraphs[:-1] if p in library_text]
    assert copied and len(copied) < len(paragraphs) - 1


def test_smoke_run_measures_both_tools_and_renders(tmp_path):
    result = run_bench(sizes=[30_000], out_dir=tmp_path, check_repeats=1, process_repeats=1,
                       add_documents=2)
    [size] = result.sizes
    assert size.index["sentences"] > 0 and size.index["disk_bytes"] > 0 and size.index["peak_rss"] > 0
    assert size.baseline is not None
    # The baseline indexes every sentence of the files; chachong leaves ads and headers out.
    assert size.baseline["sentences"] >= size.index["sentences"]
    assert size.baseline["pickle_bytes"] > 0
    assert size.check["draft_chars"] == 5_000 and size.check["copy_ratio"] > 0
    # Both latencies were measured (a check takes time), the process one with start-up on top.
    assert 0 < size.check["p50_s"] < size.check["process_p50_s"]
    assert size.add is not None and size.add["documents"] == 2
    # pairs ran on the same index: every indexed document, a count of pairs, its own memory.
    assert size.pairs is not None and size.pairs["peak_rss"] > 0 and size.pairs["pairs"] >= 0
    assert size.pairs["documents"] == size.documents or abs(size.pairs["documents"] - size.documents) <= size.files
    table = render_table(result)
    assert "chachong index" in table and "datasketch (README)" in table and "adding 2 documents" in table
    assert "pairs wall s" in table
    assert json.loads(json.dumps(result.to_json()))["sizes"][0]["chars"] == size.chars


def test_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    from chachong.bench.runner import BenchResult, SizeResult
    from chachong.bench.table import save_plot

    sizes = [
        SizeResult(chars=n, files=1, documents=1, generate_s=0.0,
                   index={"seconds": n / 1e6}, check={"p50_s": 0.01, "process_p50_s": 0.5},
                   baseline={"seconds": n / 1e4} if n < 2e6 else None)
        for n in (1_000_000, 10_000_000)
    ]
    out = save_plot(BenchResult(machine={}, sizes=sizes), tmp_path / "bench.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_normalize_many_equals_one_by_one():
    """The batched normalization a fast check uses gives exactly what one call per text gives."""
    import random

    import numpy as np

    from chachong.text.normalize import normalize, normalize_many

    from ..conftest import corpus_text

    corpus = corpus_text("001_e5cfe61341d97502.txt")
    rnd = random.Random(5)
    texts = [corpus[i : i + rnd.randint(0, 60)] for i in range(0, len(corpus), 41)]
    alphabet = "D党xX0.1 \n。，a（）Ａ１ｘ﹒"
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))) for _ in range(2000)]
    texts += ["", "\n", "D的建设", "Excel xx", "\n\nD", "abc\n"]
    for text, many in zip(texts, normalize_many(texts), strict=True):
        one = normalize(text)
        assert np.array_equal(one.codes, many.codes), text
        assert np.array_equal(one.starts, many.starts) and np.array_equal(one.ends, many.ends), text


def test_tiered_compaction_keeps_the_big_segment_and_exact_candidates(tmp_path, monkeypatch):
    """Small additions to a big index merge among themselves (fast); candidates stay exact."""
    import numpy as np

    from chachong.indexer import index_paths
    from chachong.store import open_store
    from chachong.store import sqlite as storage

    from ..conftest import brute_force_candidates

    monkeypatch.setattr(storage, "MAX_SEGMENTS", 2)
    lib = generate_library(150_000, tmp_path / "lib", seed=2)
    extra = generate_library(0, tmp_path / "extra", seed=2, documents=6, tag="add")
    small = sorted(extra.path.glob("*.txt"))
    with open_store(tmp_path / "i.sqlite", create=True) as store:
        documents = index_paths(store, [lib.path]).documents
        big = store._db.execute("SELECT id, sentences FROM segments").fetchall()
        for i in range(3):  # small runs: from the second on, each passes MAX_SEGMENTS
            part = tmp_path / f"part{i}"
            part.mkdir()
            (part / "a.txt").write_text(small[0].read_text(encoding="utf-8").replace("汇编", f"汇编{i}"),
                                        encoding="utf-8")
            documents += index_paths(store, [part]).documents
        segments = store._db.execute("SELECT id, sentences FROM segments ORDER BY id").fetchall()
        assert segments[0] == big[0] and len(segments) == 2  # the big segment was left alone
        # Exact candidates: every stored (band, key, id) equals a brute-force scan of the rows.
        rows = store._db.execute("SELECT band, keys, ids FROM lsh").fetchall()
        by_band: dict[int, tuple[list, list]] = {}
        for band, kb, ib in rows:
            by_band.setdefault(band, ([], []))
            by_band[band][0].append(np.frombuffer(kb, "<i8"))
            by_band[band][1].append(np.frombuffer(ib, "<u4"))
        flat = {b: (np.concatenate(k), np.concatenate(i)) for b, (k, i) in by_band.items()}
        order = {b: np.argsort(i, kind="stable") for b, (_, i) in flat.items()}
        ids = flat[0][1][order[0]]
        keys = np.stack([flat[b][0][order[b]] for b in range(21)], axis=1)
        probe = keys[::50]
        q, sid, hits = store.candidates(probe)
        got = {(int(a), int(b)): int(h) for a, b, h in zip(q, sid, hits)}
        assert got == brute_force_candidates(keys, ids, probe)
        assert ids.size == store.stats()["sentences"]  # each live sentence once: nothing lost, nothing doubled
        assert store.stats()["documents"] == documents


def test_bench_cli_rejects_bad_sizes_with_exit_2(cli):
    out = cli("bench", "--sizes", "lots")
    assert out.code == 2
    assert out.stderr.strip() == "chachong: error: --sizes/--phrase-sample/--baseline-up-to/--pairs-up-to: not a size: 'lots' (expected e.g. 1M, 500K, 2000000)"


def test_redis_is_measured_beside_the_embedded_index(tmp_path, redis_server):
    from ..conftest import fresh_redis_url

    url = fresh_redis_url(redis_server)
    result = run_bench(sizes=[30_000], out_dir=tmp_path, index_location=url, check_repeats=1,
                       process_repeats=1, add_documents=0, baseline_max_chars=0)
    [size] = result.sizes
    assert size.redis is not None
    assert size.redis["index"]["sentences"] == size.index["sentences"] > 0
    assert size.redis["index"]["disk_bytes"] > 0  # Redis memory used by the index
    assert size.redis["check"]["copy_ratio"] == size.check["copy_ratio"] > 0  # same draft, same answer
    assert (tmp_path / "index-30000.sqlite").exists()  # the embedded index of the same library
    table = render_table(result)
    assert "chachong index, Redis" in table and "Redis  5,000 chars" in table.replace("K Redis", " Redis")
