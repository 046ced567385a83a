"""A library as 素材库 sell it: the bundled corpus plus several reprints of every file.

    python benchmarks/reprints.py OUT [--copies 4] [--seed 0]

OUT/corpus/ holds the five corpus files byte for byte; OUT/reprints/ holds ``--copies`` reprints
of each (``r1_000_….txt`` …): the same documents in another order, under another compilation
header with its own 目录 (or, for a one-document file, another distributor's watermark line),
another distributor's ad block at the end (two distributors take turns, so each ad block recurs
across files), and in every document a few punctuation marks and digits switched between full
and half width (，↔, ：↔: （）↔() 2023↔２０２３) — what a reseller's copy-editing leaves.

`build_library` is what the tests and ``benchmarks/evaluate.py --library`` use; `works` says
which documents are one work (the original and its reprints), for checking the grouping.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chachong import index_paths, open_index
from chachong.indexer import bundled_corpus_dir

DISTRIBUTORS = (
    {
        "name": "笔杆子文库",
        "watermark": "本资料由笔杆子文库整理发布，仅供学习参考，请勿转载！",
        "ads": (
            "【笔杆子文库】——海量精品公文范文每日更新，关注公众号“笔杆子文库”免费领取！",
            "【笔杆子文库】——海量精品公文范文每日更新，关注公众号“笔杆子文库”免费领取！",
            "开通文库VIP会员，8000万字材料随意下载，添加客服微信：bgz2024，备注“会员”。",
            "##paidend##",
        ),
    },
    {
        "name": "公文素材网",
        "watermark": "公文素材网会员专享，仅供参考，请勿照搬照抄。",
        "ads": (
            "【公文素材网】每天更新各类总结计划材料，会员群+网盘群同步，联系QQ：123456789。",
            "声明：本文由公文素材网整理发布，版权归原作者所有，如有侵权请联系删除。",
        ),
    },
)

# What a reseller's copy-editing switches (each side is one character: offsets stay put).
_SWAPS = (("，", ","), ("：", ":"), ("（", "("), ("）", ")"), ("；", ";"), ("2", "２"), ("0", "０"))
EDITS_PER_DOCUMENT = 6


@dataclass(frozen=True, slots=True)
class Library:
    root: Path
    works: dict[str, tuple[str, ...]]  # original document (corpus/NAME#N) -> its reprints (reprints/FILE#K)


def _edit(text: str, rng: random.Random) -> str:
    """A few width and punctuation switches, never in the title line."""
    title_end = text.find("\n") + 1 if "\n" in text else len(text)
    chars = list(text)
    spots = [i for i in range(title_end, len(chars)) if any(chars[i] in pair for pair in _SWAPS)]
    for i in rng.sample(spots, min(EDITS_PER_DOCUMENT, len(spots))):
        for a, b in _SWAPS:
            if chars[i] == a:
                chars[i] = b
                break
            if chars[i] == b:
                chars[i] = a
                break
    return "".join(chars)


def build_library(out: Path, *, copies: int = 4, seed: int = 0) -> Library:
    """Write the library into ``out`` (emptied first); see the module's docstring."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "corpus").mkdir(parents=True)
    (out / "reprints").mkdir()
    corpus = bundled_corpus_dir()
    with tempfile.TemporaryDirectory() as tmp, open_index(Path(tmp) / "i.sqlite", create=True) as index:
        index_paths(index, [corpus])
        documents = index.documents()
    works: dict[str, list[str]] = {}
    for source in sorted(corpus.glob("*.txt")):
        shutil.copyfile(source, out / "corpus" / source.name)
        docs = [d for d in documents if d.file.rsplit("/", 1)[-1] == source.name]
        for k in range(1, copies + 1):
            distributor = DISTRIBUTORS[(k - 1) % len(DISTRIBUTORS)]
            order = docs[:]
            rng.shuffle(order)
            texts = [_edit(d.text, rng) for d in order]
            name = f"r{k}_{source.name}"
            if len(order) == 1:
                head = [distributor["watermark"], ""]
            else:
                head = [f"{distributor['name']}精选：工作总结与工作计划汇编（{len(order)}篇）", "", "目录", ""]
                page = 1
                for d, t in zip(order, texts):
                    head.append(f"{d.title}\t{page}")
                    page += 1 + len(t) // 1200
                head.append("")
            body = "\n\n".join(texts)
            (out / "reprints" / name).write_text(
                "\n".join(head) + "\n" + body + "\n\n\n" + "\n".join(distributor["ads"]) + "\n", encoding="utf-8"
            )
            for position, d in enumerate(order, 1):
                works.setdefault(f"corpus/{source.name}#{d.ordinal}", []).append(f"reprints/{name}#{position}")
    return Library(out, {k: tuple(v) for k, v in works.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    library = build_library(args.out, copies=args.copies, seed=args.seed)
    files = sorted(p.relative_to(library.root) for p in library.root.rglob("*.txt"))
    print(f"{library.root}: {len(files)} files, {len(library.works)} works of {1 + args.copies} documents each",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
