"""The benchmark's output: a plain-text table and a log-log plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .runner import BenchResult


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
    rows: list[tuple[str, ...]] = [
        ("library", "tool", "wall s", "chars/s", "sentences/s", "peak memory", "index size", "notes")
    ]
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
    lines += [*_align(rows), ""]
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
    rows = [("library", "documents", "pairs wall s", "peak memory", "pairs found", "stock sentences set aside")]
    for s in result.sizes:
        if s.pairs:
            p = s.pairs
            rows.append((_chars(s.chars), f"{p['documents']:,}", f"{p['seconds']:.1f}", _mb(p["peak_rss"]),
                         f"{p['pairs']:,}", f"{p['stock_sentences']:,} (in more than {p['max_docs']} works)"))
    if len(rows) > 1:
        lines += ["", *_align(rows)]
    for s in result.sizes:
        if s.add:
            a = s.add
            lines += ["", f"adding {a['documents']:,} documents ({_chars(a['chars'])} characters) to the "
                      f"{_chars(s.chars)} index: {a['seconds']:.1f} s ({_stages(a)}), "
                      f"peak memory {_mb(a['peak_rss'])}"]
    return "\n".join(lines)


def _stages(i: dict[str, Any]) -> str:
    if i.get("phrases_in_background"):
        # Wall time = start-up + index + the wait for the worker, if it was still running.
        return (f"index {i['index_s']:.1f} s; phrase table {i['phrase_worker_s']:.1f} s in a second "
                f"process meanwhile, {i['phrases_s']:.1f} s waited for")
    return f"index {i['index_s']:.1f} s + phrase table {i['phrases_s']:.1f} s"


def _align(rows: Sequence[tuple[str, ...]]) -> list[str]:
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
