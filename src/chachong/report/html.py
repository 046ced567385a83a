"""Self-contained HTML reports: a check report and the corpus reuse map (``pairs``).

One file each, inline CSS and JS, nothing fetched from the network, so a reviewer can mail it
to a colleague or print it to PDF. Built with the standard library: every piece of document
text goes through `_esc` (``html.escape`` after control characters are made visible), the
script reads only ids we generated, and a Content-Security-Policy that allows exactly our own
script (by its hash) keeps anything that slipped through from running or fetching.

Part of the report package, like `terminal`: nothing here computes findings, it only shows them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from rapidfuzz.distance import Indel

from ..model import BoilerplatePassage, CheckResult, CopyPassage, Passage, SourceRef
from .format import MATCH_LABELS, compared_with, pct, snippet, source_note, swap_list

if TYPE_CHECKING:  # pairs imports nothing from here; the type is only for annotations
    from ..match.pairs import PairsResult

# One colour per source in rank order: (background, accent). Red first, as reviewers know it
# from CNKI reports; after these, hues step by the golden angle so neighbours stay distinct.
_PALETTE = (
    ("#fcd4d2", "#d32f2f"),
    ("#fde2c4", "#e67700"),
    ("#d2e3fa", "#1c64c8"),
    ("#d3f1d6", "#2b8a3e"),
    ("#e9dcf7", "#7b3fbf"),
    ("#cdeff1", "#0c8599"),
    ("#fbd7ec", "#c2255c"),
    ("#ecefc4", "#7d8a10"),
    ("#e3dccf", "#8a5a2b"),
    ("#dfe3ea", "#495a78"),
)
MIN_EQUAL_RUN = 2  # a single equal character inside a changed region is chance (的, 和 …)

_C0 = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}
_C0[0x7F] = "\u2421"
_C1 = dict.fromkeys(range(0x80, 0xA0), "\ufffd")
_VISIBLE = str.maketrans({**_C0, **_C1})
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Control characters become their visible symbols (␀, ␛ …), one for one.

    html.escape leaves them alone, and a browser would show nothing or drop them; lone
    surrogates (undecodable input) could not even be written as UTF-8.
    """
    return _SURROGATE.sub("\ufffd", text.translate(_VISIBLE))


def _esc(text: object) -> str:
    return html.escape(_clean(str(text)), quote=True)


def _colour(i: int) -> tuple[str, str]:
    if i < len(_PALETTE):
        return _PALETTE[i]
    hue = (i * 137.508) % 360
    return (f"hsl({hue:.0f} 75% 88%)", f"hsl({hue:.0f} 60% 36%)")


# -- character differences ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DiffOp:
    """One run of a passage compared with its source."""

    tag: str  # "equal"; "added" (only in the draft); "removed" (only in the source); "changed"
    draft: str
    source: str


def char_diff(draft: str, source: str) -> tuple[DiffOp, ...]:
    """Character differences between a draft passage and its source text.

    rapidfuzz's Indel alignment (longest common subsequence) gives equal runs; everything
    between two kept equal runs is one change. Equal runs shorter than MIN_EQUAL_RUN that
    sit between changes are absorbed into them, so 由两天缩短 → 从三日减少 reads as one
    change rather than a confetti of one-character matches.
    """
    ops = [op for op in Indel.opcodes(draft, source) if op.src_end > op.src_start or op.dest_end > op.dest_start]
    keep = [
        op.tag == "equal"
        and (op.src_end - op.src_start >= MIN_EQUAL_RUN or i == 0 or i == len(ops) - 1)
        for i, op in enumerate(ops)
    ]
    out: list[DiffOp] = []
    i = 0
    while i < len(ops):
        op = ops[i]
        if keep[i]:
            out.append(DiffOp("equal", draft[op.src_start : op.src_end], source[op.dest_start : op.dest_end]))
            i += 1
            continue
        a0, b0 = op.src_start, op.dest_start
        while i < len(ops) and not keep[i]:
            i += 1
        a1, b1 = ops[i - 1].src_end, ops[i - 1].dest_end
        tag = "changed" if a1 > a0 and b1 > b0 else "added" if a1 > a0 else "removed"
        out.append(DiffOp(tag, draft[a0:a1], source[b0:b1]))
    return tuple(out)


def _diff_html(
    ops: Sequence[DiffOp], side: str, *, names: tuple[str, str] = ("草稿 draft", "来源 source"),
    swaps: Sequence[tuple[int, int, str]] = (),
) -> str:
    """One side ("draft" = first text, "source" = second) with its differences marked.

    ``swaps``: (start, end, the other side's word) of words on this side that a paraphrase
    swapped for a synonym, offsets into this side's text: marked as such, not as changes."""
    # Each character's owner: the swap it is in (whole words, whatever the diff cut), else
    # the diff op it belongs to; consecutive characters of one owner make one element.
    owners: list[tuple[str, int]] = []
    texts: list[str] = []
    for i, op in enumerate(ops):
        text = op.draft if side == "draft" else op.source
        owners.extend(("op", i) for _ in text)
        texts.append(text)
    whole = "".join(texts)
    for k, (lo, hi, _) in enumerate(sorted(swaps)):
        for pos in range(max(lo, 0), min(hi, len(whole))):
            if owners[pos][0] == "op":  # overlapping swaps: the first one marks the characters
                owners[pos] = ("swap", k)
    ordered = sorted(swaps)
    parts: list[str] = []
    pos = 0
    while pos < len(whole):
        end = pos
        while end < len(whole) and owners[end] == owners[pos]:
            end += 1
        kind, index = owners[pos]
        piece = whole[pos:end]
        pos = end
        if kind == "swap":
            tip = _esc("同义替换 synonym of: " + ordered[index][2])
            parts.append(f'<span class="swap" title="{tip}">{_esc(piece)}</span>')
            continue
        op = ops[index]
        if op.tag == "equal":
            parts.append(_esc(piece))
        elif op.tag == "changed":
            other = op.source if side == "draft" else op.draft
            label = names[1] if side == "draft" else names[0]
            parts.append(f'<span class="chg" title="{_esc(label)}: {_esc(other)}">{_esc(piece)}</span>')
        elif op.tag == "added":
            parts.append(f'<ins class="add" title="{_esc("只在" + names[0] + " only here")}">{_esc(piece)}</ins>')
        else:
            parts.append(f'<del class="rm" title="{_esc("只在" + names[1] + " only here")}">{_esc(piece)}</del>')
    return "".join(parts)


# -- page shell -----------------------------------------------------------------------------
def _asset(name: str) -> str:
    """A file of report/assets (CSS, JS), read once: package data, not Python strings."""
    if name not in _ASSETS:
        _ASSETS[name] = (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")
    return _ASSETS[name]


_ASSETS: dict[str, str] = {}


def _page(title: str, body: str, script: str = "", *, css: str = "") -> str:
    """The document shell; the CSP admits our one inline script by hash and nothing else."""
    script_src = "'none'"
    script_tag = ""
    if script:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        script_src = f"'sha256-{digest}'"
        script_tag = f"<script>{script}</script>"
    csp = f"default-src 'none'; script-src {script_src}; style-src 'unsafe-inline'; img-src data:"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="chachong">\n'
        f"<title>{_esc(title)}</title>\n<style>{_asset('report.css')}{css}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n"
        '<footer>chachong 查重 · 本报告为独立文件，不联网 · self-contained report, nothing is fetched</footer>\n'
        f"</main>\n{script_tag}\n</body>\n</html>\n"
    )


def _source_css(n: int) -> str:
    return "".join(f".src-{i}{{--bg:{_colour(i)[0]};--fg:{_colour(i)[1]}}}" for i in range(n))


# -- check report ---------------------------------------------------------------------------
def _verdict(ratio: float) -> str:
    # The thresholds of the terminal report: 30% and more is a finding, over 5% worth a look.
    return "high" if ratio >= 0.3 else "mid" if ratio > 0.05 else "low"


def _segments(text: str, passages: Sequence[Passage]) -> list[tuple[int, int, int | None]]:
    """Cut the draft at passage edges: (start, end, index of the passage shown there or None).

    Passages are disjoint today, but a copy passage and a boilerplate span may come to
    overlap; where they do, the copy wins, then the earlier passage.
    """
    cuts = {0, len(text)}
    for p in passages:
        cuts.update((max(0, min(p.start, len(text))), max(0, min(p.end, len(text)))))
    points = sorted(cuts)
    order = sorted(range(len(passages)), key=lambda i: (passages[i].kind != "copy", passages[i].start, i))
    out: list[tuple[int, int, int | None]] = []
    for lo, hi in itertools.pairwise(points):
        owner = next((i for i in order if passages[i].start <= lo and hi <= passages[i].end), None)
        if out and out[-1][2] == owner:
            out[-1] = (out[-1][0], hi, owner)
        else:
            out.append((lo, hi, owner))
    return out


def _draft_html(result: CheckResult, key: str, colour_of: dict[str, int]) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    for lo, hi, owner in _segments(result.text, result.passages):
        chunk = _esc(result.text[lo:hi])
        if owner is None:
            parts.append(chunk)
            continue
        p = result.passages[owner]
        pid = f"{key}-p{owner + 1}"
        first = owner not in seen
        seen.add(owner)
        # Not the bare passage id: the address #d1-p2 is read by our script, and an element
        # with that id would make the browser jump there before the script could show it.
        anchor = f' id="m-{pid}"' if first else ""
        if isinstance(p, CopyPassage):
            tip = f"{p.source.title} · {p.source.doc} · 一致 {pct(p.score)} · {MATCH_LABELS[p.match]}"
            parts.append(
                f'<mark class="p src-{colour_of[p.source.doc]}"{anchor} data-p="{pid}" tabindex="0" '
                f'title="{_esc(tip)}">{chunk}</mark>'
            )
        else:
            tip = f"套话 stock phrase · 见于 {p.common_to} 篇不同文章 · 不计入复制比"
            parts.append(
                f'<mark class="boiler"{anchor} data-p="{pid}" tabindex="0" title="{_esc(tip)}">{chunk}</mark>'
            )
    return f'<pre class="draft-text">{"".join(parts)}</pre>'


def _passage_html(p: Passage, n: int, pid: str, colour: int | None) -> str:
    if isinstance(p, CopyPassage):
        ops = char_diff(p.text, p.source_text)
        s = p.source
        draft_swaps = [(w.start - p.start, w.end - p.start, w.source_word) for w in p.swaps]
        source_swaps = [(w.source_start - s.start, w.source_end - s.start, w.draft_word) for w in p.swaps]
        swapped = (
            f'<div class="meta swaps">同义替换 <span class="en">synonyms swapped (source → draft)</span>: '
            f"{_esc(swap_list(p.swaps))}</div>" if p.swaps else ""
        )
        return (
            f'<article class="cmp src-{colour}" id="cmp-{pid}" data-p="{pid}" data-match="{p.match}">'
            f'<header><span class="swatch src-{colour}"></span><span class="t">段落 {n}</span> '
            f'<span class="en">passage {n}</span> · 一致 <b>{pct(p.score)}</b> '
            f'<span class="en">match</span> · {p.sentences} 句 '
            f'<span class="how how-{p.match}">{_esc(MATCH_LABELS[p.match])}</span>'
            f'<div class="meta">草稿 draft [{p.start}:{p.end}] ← <b>{_esc(s.title)}</b></div>'
            f'<div class="meta"><code>{_esc(s.doc)}</code> · {_esc(s.file)} [{s.start}:{s.end}]</div>{swapped}</header>'
            '<div class="cols">'
            f'<div class="col"><h4>草稿 draft</h4><div class="txt draft-side">'
            f'{_diff_html(ops, "draft", swaps=draft_swaps)}</div></div>'
            f'<div class="col"><h4>来源 source · {_esc(s.title)}</h4>'
            f'<div class="txt source-side">{_diff_html(ops, "source", swaps=source_swaps)}</div></div>'
            "</div></article>"
        )
    return (
        f'<article class="cmp boiler-cmp" id="cmp-{pid}" data-p="{pid}">'
        f'<header><span class="t">套话</span> <span class="en">stock phrase</span> · '
        f'见于 <b>{p.common_to}</b> 篇不同文章（转载只计一次） '
        f'<span class="en">common to {p.common_to} indexed works (reprints count once); not counted as copying</span>'
        f'<div class="meta">草稿 draft [{p.start}:{p.end}]</div></header>'
        f'<div class="txt">{_esc(p.text)}</div></article>'
    )


_LEGEND = (
    '<p class="legend"><span><ins class="add">新增</ins> 草稿新增 added in the draft</span>'
    '<span><del class="rm">删去</del> 来源中被删去 removed from the source</span>'
    '<span><span class="chg">改动</span> 改动 changed</span>'
    '<span><span class="swap">替换</span> 同义替换 synonym swapped</span></p>'
)


def _note_html(source: SourceRef) -> str:
    note = source_note(source)
    return f' <span class="en">({_esc(note)})</span>' if note else ""


def _draft_section(result: CheckResult, key: str, heading: str) -> str:
    colour_of = {s.source.doc: i for i, s in enumerate(result.sources)}
    copies = result.copies
    boiler = result.boilerplate
    v = _verdict(result.copy_ratio)
    stats = (
        '<div class="stats">'
        f'<div class="stat"><div class="k">总文字复制比 <span class="en">copy ratio</span></div>'
        f'<div class="v {v}" data-k="copy_ratio">{pct(result.copy_ratio)}</div></div>'
        f'<div class="stat"><div class="k">去除引用文献复制比 <span class="en">excluding quotation</span></div>'
        f'<div class="v" data-k="copy_ratio_excluding_quotation">'
        f'{pct(result.copy_ratio_excluding_quotation)}</div></div>'
        f'<div class="stat"><div class="k">去除本人文献复制比 <span class="en">excluding own</span></div>'
        f'<div class="v" data-k="copy_ratio_excluding_own">{pct(result.copy_ratio_excluding_own)}</div></div>'
        f'<div class="stat"><div class="k">单篇最大文字复制比 <span class="en">largest source</span></div>'
        f'<div class="v" data-k="max_source_share">{pct(result.max_source_share)}</div></div>'
        f'<div class="stat"><div class="k">套话比例 <span class="en">boilerplate</span></div>'
        f'<div class="v" data-k="boilerplate_ratio">{pct(result.boilerplate_ratio)}</div></div>'
        f'<div class="stat"><div class="k">来源 / 段落 <span class="en">sources / passages</span></div>'
        f'<div class="v" data-k="sources">{len(result.sources)} / {len(copies)}</div></div>'
        f'<div class="stat"><div class="k">字数 <span class="en">characters (counted)</span></div>'
        f'<div class="v" data-k="chars">{result.chars:,} <span class="en">({result.content_chars:,})</span></div></div>'
        "</div>"
    )
    if result.sources:
        rows = []
        for i, s in enumerate(result.sources):
            first = next(
                n for n, p in enumerate(result.passages) if isinstance(p, CopyPassage) and p.source.doc == s.source.doc
            )
            rows.append(
                f'<tr class="src-row src-{i}" data-p="{key}-p{first + 1}">'
                f'<td class="num">{i + 1}</td>'
                f'<td><span class="swatch src-{i}"></span>{_esc(s.source.title)}</td>'
                f'<td class="doc">{_esc(s.source.doc)}{_note_html(s.source)}<br>{_esc(s.source.file)}</td>'
                f'<td class="num">{pct(s.share)}'
                f'<div class="bar"><i style="width:{min(100.0, 100 * s.share):.1f}%"></i></div></td>'
                f'<td class="num">{s.chars:,}</td><td class="num">{s.passages}</td></tr>'
            )
        sources = (
            '<h3>来源文档 <span class="en">sources, ranked by share</span></h3>'
            '<table class="sources"><thead><tr><th class="num">#</th><th>标题 title</th>'
            '<th>文档 document · 文件 file</th>'
            '<th class="num">占比 share</th><th class="num">字数 chars</th>'
            '<th class="num">段落 passages</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
        )
    else:
        sources = '<p class="none">未发现复制段落 · No copied passages found.</p>'
    details = "".join(
        _passage_html(p, n, f"{key}-p{i + 1}", colour_of.get(p.source.doc))
        for n, (i, p) in enumerate(((i, p) for i, p in enumerate(result.passages) if isinstance(p, CopyPassage)), 1)
    )
    boiler_html = "".join(
        _passage_html(p, 0, f"{key}-p{i + 1}", None)
        for i, p in enumerate(result.passages) if isinstance(p, BoilerplatePassage)
    )
    compared = (
        f'<p class="sub compared">比对范围 <span class="en">compared with</span> {_esc(compared_with(result))}</p>'
        if result.index is not None else ""
    )
    compared += "".join(
        f'<p class="sub skipped">未比对 <span class="en">not compared with</span> {_esc(s.doc)}: {_esc(s.reason)}</p>'
        for s in result.skipped_sources
    )
    body = (
        f'<section class="card draft" id="{key}" data-file="{_esc(result.file)}">'
        f"<h2>{heading}</h2>"
        f'<p class="sub">{_esc(result.file)}</p>{stats}{compared}{sources}'
        '<h3>全文 <span class="en">the draft: copied text coloured by source, stock phrases greyed</span></h3>'
        f'<div class="layout"><div>{_draft_html(result, key, colour_of)}</div>'
        f'<aside class="side noprint">{_LEGEND}<div class="side-slot">'
        '<div class="hint">将鼠标移到或点击高亮段落，在此对照来源原文。<br>'
        '<span class="en">Hover over or click a highlighted passage to see its source here, '
        "with the differences marked.</span></div></div></aside></div>"
    )
    if copies:
        body += f'<h3>段落对照 <span class="en">passages beside their sources</span></h3>{_LEGEND}{details}'
    if boiler:
        body += f'<h3>套话 <span class="en">stock phrases, not counted as copying</span></h3>{boiler_html}'
    return body + "</section>"


def render_check_html(results: Sequence[CheckResult], *, title: str = "chachong 查重报告") -> str:
    """One page for one or more checked drafts (several: an index ranked by copy ratio first)."""
    n_colours = max((len(r.sources) for r in results), default=0)
    keys = [f"d{i + 1}" for i in range(len(results))]
    head = f'<h1>{_esc(title)}</h1><p class="sub">{len(results)} 篇草稿 · drafts checked</p>'
    index = ""
    if len(results) > 1:
        ranked = sorted(range(len(results)), key=lambda i: (-results[i].copy_ratio, results[i].file, i))
        rows = "".join(
            f'<tr><td class="num">{rank}</td><td><a href="#{keys[i]}">{_esc(results[i].file)}</a></td>'
            f'<td class="num"><b class="v {_verdict(results[i].copy_ratio)}">{pct(results[i].copy_ratio)}</b></td>'
            f'<td class="num">{pct(results[i].max_source_share)}</td>'
            f'<td class="num">{pct(results[i].boilerplate_ratio)}</td>'
            f'<td class="num">{len(results[i].sources)}</td>'
            f'<td class="num">{len(results[i].copies)}</td>'
            f'<td class="num">{results[i].chars:,}</td></tr>'
            for rank, i in enumerate(ranked, 1)
        )
        index = (
            '<section class="card" id="index"><h2>草稿一览 <span class="en">drafts, ranked by copy ratio</span></h2>'
            '<table class="drafts"><thead><tr><th class="num">#</th><th>草稿 draft</th>'
            '<th class="num">总文字复制比 copy</th>'
            '<th class="num">单篇最大 largest</th><th class="num">套话 boilerplate</th>'
            '<th class="num">来源 sources</th>'
            '<th class="num">段落 passages</th><th class="num">字数 chars</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></section>'
        )
    sections = "".join(
        _draft_section(r, keys[i], f"草稿 {i + 1} <span class=\"en\">draft {i + 1}</span>" if len(results) > 1
                       else "检测结果 <span class=\"en\">result</span>")
        for i, r in enumerate(results)
    )
    return _page(title, head + index + sections, _asset("check.js"), css=_source_css(n_colours))


# -- corpus reuse map (pairs) ---------------------------------------------------------------
MAX_MAP_DOCS = 150  # beyond this an N×N map is unreadable: show the most-sharing documents
MAX_TABLE_PAIRS = 500  # rows in the page (all of them are in --json)
MAX_DETAIL_PAIRS = 200  # pairs whose shared passages are shown beside each other


def _map_order(result: PairsResult) -> list[int]:
    """Documents in an order that puts the ones that share text next to each other.

    Groups of documents linked by shared text (connected components), biggest total first;
    inside a group, Prim's order over the strongest links (each next document is the one
    most strongly linked to those already placed), so clusters show as blocks on the
    diagonal. Documents sharing nothing follow in index order.
    """
    pos = {d.doc: i for i, d in enumerate(result.documents)}
    weight: dict[tuple[int, int], int] = {}
    total = [0] * len(result.documents)
    for p in result.pairs:
        a, b = pos[p.a.doc], pos[p.b.doc]
        weight[(a, b)] = weight[(b, a)] = p.shared_chars
        total[a] += p.shared_chars
        total[b] += p.shared_chars
    parent = list(range(len(total)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in weight:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for i in range(len(total)):
        if total[i]:
            groups.setdefault(root(i), []).append(i)
    order: list[int] = []
    for members in sorted(groups.values(), key=lambda m: (-sum(total[i] for i in m), m[0])):
        start = max(members, key=lambda i: (total[i], -i))
        placed = [start]
        link = {i: weight.get((start, i), 0) for i in members if i != start}
        while link:
            nxt = max(link, key=lambda i: (link[i], -i))
            placed.append(nxt)
            del link[nxt]
            for i, w in link.items():
                link[i] = max(w, weight.get((nxt, i), 0))
        order.extend(placed)
    if len(result.documents) <= MAX_MAP_DOCS:
        order.extend(i for i in range(len(total)) if not total[i])
    return order[:MAX_MAP_DOCS]


def _heat(v: float) -> str:
    # Any shared text is visible; the colour deepens up to half of the document shared.
    t = 0.18 + 0.82 * min(1.0, (v / 0.5) ** 0.5)
    lo, hi = (255, 224, 214), (165, 15, 21)
    r, g, b = (round(lo[k] + (hi[k] - lo[k]) * t) for k in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def _heatmap_svg(result: PairsResult, order: list[int], file_colour: dict[str, str]) -> str:
    n = len(order)
    cell = 15 if n <= 60 else max(5, 900 // max(n, 1))
    label_w, top = 360, 34
    size = n * cell
    width, height = label_w + size + 12, top + size + 12
    pos = {d.doc: i for i, d in enumerate(result.documents)}
    slot = {result.documents[i].doc: k for k, i in enumerate(order)}
    docs = result.documents
    involved = {d for p in result.pairs for d in (p.a.doc, p.b.doc)}
    parts = [
        f'<svg class="heat" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="文档两两共享文字热力图 heatmap of shared text">',
        f'<rect x="{label_w}" y="{top}" width="{size}" height="{size}" fill="#ffffff" stroke="#ced4da"/>',
    ]
    for k in range(1, n):
        if cell >= 8:
            parts.append(
                f'<line x1="{label_w}" y1="{top + k * cell}" x2="{label_w + size}" y2="{top + k * cell}" '
                'stroke="#f1f3f5"/>'
            )
            parts.append(
                f'<line x1="{label_w + k * cell}" y1="{top}" x2="{label_w + k * cell}" y2="{top + size}" '
                'stroke="#f1f3f5"/>'
            )
    font = max(6, min(11, cell - 3))
    for k, i in enumerate(order):
        d = docs[i]
        y = top + k * cell
        x = label_w + k * cell
        parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="#dee2e6"/>')
        parts.append(
            f'<rect x="{label_w - 8}" y="{y + 1}" width="6" height="{cell - 2}" fill="{file_colour[d.file]}"/>'
        )
        parts.append(f'<rect x="{x + 1}" y="{top - 8}" width="{cell - 2}" height="6" fill="{file_colour[d.file]}"/>')
        if cell >= 8:
            weight = ' font-weight="700" fill="#212529"' if d.doc in involved else ""
            parts.append(
                f'<text x="{label_w - 12}" y="{y + cell / 2 + font * 0.36:.1f}" font-size="{font}" '
                f'text-anchor="end"{weight}>'
                f'<tspan class="mono" font-size="{font - 1}" fill="#868e96">{k + 1:>3} </tspan>'
                f'{_esc(snippet(d.title, 22))}<title>{_esc(d.doc)} · {_esc(d.title)}</title></text>'
            )
            parts.append(
                f'<text class="mono" x="{x + cell / 2:.1f}" y="{top - 12}" font-size="{font - 2}" '
                f'text-anchor="middle" fill="#868e96">{k + 1}<title>{_esc(d.doc)} · {_esc(d.title)}</title></text>'
            )
    for rank, p in enumerate(result.pairs, 1):
        a, b = p.a.doc, p.b.doc
        if a not in slot or b not in slot:
            continue
        for row, col, share, chars in ((a, b, p.share_a, p.a_chars), (b, a, p.share_b, p.b_chars)):
            rd, cd = docs[pos[row]], docs[pos[col]]
            tip = (f"{rd.title} ({rd.doc}) 有 {pct(share)}（{chars} 字）与 {cd.title} ({cd.doc}) 相同 · "
                   f"{pct(share)} of the row document is shared with the column document · "
                   f"{len(p.passages)} 段 passages")
            href = f"#pair-{rank}" if rank <= MAX_TABLE_PAIRS else "#pairs"
            parts.append(
                f'<a href="{href}"><rect class="cell" x="{label_w + slot[col] * cell}" y="{top + slot[row] * cell}" '
                f'width="{cell}" height="{cell}" fill="{_heat(share)}" data-share="{share:.4f}" '
                f'data-row="{_esc(row)}" data-col="{_esc(col)}"><title>{_esc(tip)}</title></rect></a>'
            )
    parts.append("</svg>")
    return "".join(parts)


def render_pairs_html(result: PairsResult, *, title: str = "chachong 文档间复用图", compared: str = "") -> str:
    """The corpus reuse map: a heatmap of shared text between documents and the ranked pairs.

    ``compared``: which index it maps (location, size, age), stated under the figures."""
    files = sorted({d.file for d in result.documents})
    file_colour = {f: _colour(i)[1] for i, f in enumerate(files)}
    paired = {d for p in result.pairs for d in (p.a.doc, p.b.doc)}
    order = _map_order(result)
    stats = (
        '<div class="stats">'
        '<div class="stat"><div class="k">文档 <span class="en">documents</span></div>'
        f'<div class="v">{len(result.documents):,}</div></div>'
        f'<div class="stat"><div class="k">共享文字的文档对 <span class="en">pairs sharing text</span></div>'
        f'<div class="v" data-k="pairs">{len(result.pairs):,}</div></div>'
        '<div class="stat"><div class="k">涉及文档 <span class="en">documents involved</span></div>'
        f'<div class="v">{len(paired):,}</div></div>'
        f'<div class="stat"><div class="k">视为套话的句子 <span class="en">stock sentences ignored</span></div>'
        f'<div class="v">{result.stock_sentences:,}</div></div>'
        "</div>"
        f'<p class="sub">见于 {result.max_docs} 篇以上不同文章的文字视为套话，不计入 · text found in more than '
        f"{result.max_docs} works (reprints count once) is stock phrasing and not counted (--max-docs)"
        + (f"; {result.reprint_pairs:,} pairs of reprints (one work) not listed" if result.reprint_pairs else "")
        + ".</p>"
        + (f'<p class="sub compared">索引 <span class="en">index</span> {_esc(compared)}</p>' if compared else "")
    )
    legend_files = "".join(
        f'<span><span class="swatch" style="--bg:{file_colour[f]};--fg:{file_colour[f]}"></span>{_esc(f)}</span>'
        for f in files
    )
    scale = "".join(
        f'<span><span class="swatch" style="--bg:{_heat(v)};--fg:{_heat(v)}"></span>{pct(v)}</span>'
        for v in (0.005, 0.05, 0.2, 0.5)
    )
    omitted = len(result.documents) - len(order)
    note = (f'<p class="sub">只显示共享文字最多的 {len(order)} 篇 · showing the {len(order)} documents that share '
            f"the most; {omitted} more not shown.</p>" if omitted else "")
    heat = (
        '<section class="card" id="map"><h2>热力图 <span class="en">who shares text with whom</span></h2>'
        '<p class="legend">每格：行文档中与列文档相同文字所占比例；相互复用的文档排在一起。 '
        '<span class="en">Each cell: the share of the row document found in the column document; documents that '
        "share text are placed together, so clusters show as blocks on the diagonal.</span></p>"
        f'<p class="legend">{scale}</p><p class="legend">文件 files: {legend_files}</p>{note}'
        f'<div class="heat-wrap">{_heatmap_svg(result, order, file_colour)}</div></section>'
    )
    if result.pairs:
        rows: list[str] = []
        for rank, p in enumerate(result.pairs[:MAX_TABLE_PAIRS], 1):
            rows.append(
                f'<tr id="pair-{rank}" class="pair"><td class="num">{rank}</td>'
                f'<td>{_esc(p.a.title)}<br><span class="doc">{_esc(p.a.doc)}</span></td>'
                f'<td>{_esc(p.b.title)}<br><span class="doc">{_esc(p.b.doc)}</span></td>'
                f'<td class="num">{p.shared_chars:,}</td><td class="num">{pct(p.share_a)}</td>'
                f'<td class="num">{pct(p.share_b)}</td><td class="num">{len(p.passages)}</td></tr>'
            )
            if rank <= MAX_DETAIL_PAIRS:
                names = (f"A · {p.a.doc}", f"B · {p.b.doc}")
                shown = "".join(
                    '<div class="cmp"><div class="cols">'
                    f'<div class="col"><h4>A · {_esc(p.a.title)} <code>[{sp.a_start}:{sp.a_end}]</code></h4>'
                    f'<div class="txt">{_diff_html(ops, "draft", names=names)}</div></div>'
                    f'<div class="col"><h4>B · {_esc(p.b.title)} <code>[{sp.b_start}:{sp.b_end}]</code></h4>'
                    f'<div class="txt">{_diff_html(ops, "source", names=names)}</div></div></div></div>'
                    for sp in p.passages
                    for ops in (char_diff(sp.a_text, sp.b_text),)
                )
                rows.append(
                    f'<tr class="detail"><td></td><td colspan="6"><details class="pair"><summary>'
                    f"共享段落 {len(p.passages)} · show the shared passages</summary>{shown}</details></td></tr>"
                )
        more = len(result.pairs) - MAX_TABLE_PAIRS
        table = (
            '<table class="pairs"><thead><tr><th class="num">#</th><th>文档 A</th><th>文档 B</th>'
            '<th class="num">共享字数 shared</th><th class="num">占 A</th><th class="num">占 B</th>'
            f'<th class="num">段落 passages</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            + (f'<p class="sub">另有 {more} 对见 --json · {more} more pairs in --json.</p>' if more > 0 else "")
        )
    else:
        table = (
            '<p class="none">除套话外，没有两篇文档共享文字 · '
            'No two documents share text beyond stock phrasing.</p>'
        )
    body = (
        f'<h1>{_esc(title)}</h1><p class="sub">corpus reuse map · chachong pairs</p>'
        f'<section class="card">{stats}</section>{heat}'
        f'<section class="card" id="pairs"><h2>文档对 <span class="en">pairs, most shared text first</span></h2>'
        f"{table}</section>"
    )
    css = ("table.pairs tr.detail td { border-bottom: 1px solid var(--line); padding-top: 0; }"
           "table.pairs tr.pair td { border-bottom: none; } .doc { font-family: ui-monospace, monospace;"
           " font-size: 12px; color: var(--muted); } table.pairs del.rm { text-decoration: none; color: inherit; }"
           "@media print { details.pair > summary { display: none; } details.pair { display: block; } }")
    return _page(title, body, css=css)
