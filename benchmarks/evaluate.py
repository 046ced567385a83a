"""PAN-style accuracy evaluation of ``chachong check`` against the 13-character rule.

    python benchmarks/evaluate.py --seed 2 --tune-seed 1          # the tables
    python benchmarks/evaluate.py --seed 2 --json                  # one JSON object
    python benchmarks/evaluate.py --seed 1 --failures 8            # worst cases, for tuning

Builds a fresh index of the bundled corpus in a temporary directory (so the user's cache
plays no part), generates drafts with eval_generate.generate(seed), runs check_text and the
13-character rule on each, and scores both with the PAN measures (eval_measures.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_baseline import ThirteenCharRule, longest_source  # noqa: E402
from eval_generate import TYPES, Draft, generate  # noqa: E402
from eval_measures import Annotation, attribution, detects, flagged_share, score  # noqa: E402

from chachong.check import check_text  # noqa: E402
from chachong.indexer import bundled_corpus_dir, index_paths  # noqa: E402
from chachong.storage import open_store  # noqa: E402

SYSTEMS = ("chachong", "13-char rule", "13-char rule, longest source")
DEFAULT_DRAFTS = 120


@dataclass(frozen=True, slots=True)
class Run:
    seed: int
    drafts: list[Draft]
    detections: dict[str, list[Annotation]]  # system -> detections
    seconds: dict[str, float]


def chachong_detections(store, draft: Draft) -> list[Annotation]:
    result = check_text(store, draft.text, file=draft.name)
    return [
        Annotation(draft.name, p.start, p.end, p.source.doc, p.source.start, p.source.end)
        for p in result.passages if p.kind == "copy" and p.source is not None
    ]


def baseline_detections(rule: ThirteenCharRule, draft: Draft, *, longest: bool = False) -> list[Annotation]:
    found = rule.detect(draft.text)
    if longest:
        found = longest_source(found)
    return [Annotation(draft.name, m.start, m.end, m.doc, m.source_start, m.source_end) for m in found]


def run(store, documents, rule, seed: int, n: int) -> Run:
    drafts = generate(documents, seed=seed, drafts=n)
    dets: dict[str, list[Annotation]] = {s: [] for s in SYSTEMS}
    seconds = dict.fromkeys(SYSTEMS, 0.0)
    for d in drafts:
        t0 = time.perf_counter()
        dets["chachong"] += chachong_detections(store, d)
        t1 = time.perf_counter()
        dets["13-char rule"] += baseline_detections(rule, d)
        t2 = time.perf_counter()
        dets["13-char rule, longest source"] += baseline_detections(rule, d, longest=True)
        seconds["chachong"] += t1 - t0
        seconds["13-char rule"] += t2 - t1
        seconds["13-char rule, longest source"] += time.perf_counter() - t2
    return Run(seed, drafts, dets, seconds)


def measure(r: Run) -> dict:
    cases = [c for d in r.drafts for c in d.cases]
    anns = [c.annotation() for c in cases]
    texts = {d.name: d.text for d in r.drafts}
    originals = {d.name: list(d.originals) for d in r.drafts}
    out = {
        "seed": r.seed, "drafts": len(r.drafts), "cases": len(cases),
        "cases_by_type": {t: sum(c.obfuscation == t for c in cases) for t in TYPES},
        "original_chars": flagged_share(originals, texts, [])[1],
        "systems": {},
    }
    for system in SYSTEMS:
        dets = r.detections[system]
        both = score(anns, dets, "both")
        fp, _ = flagged_share(originals, texts, dets)
        attr, detected = attribution(anns, dets)
        per_type = {}
        for t in TYPES:
            t_cases = [c.annotation() for c in cases if c.obfuscation == t]
            # The detections of a type: those overlapping (draft side) one of its cases.
            t_dets = [x for x in dets if any(detects(c, x, "draft") for c in t_cases)]
            per_type[t] = score(t_cases, t_dets, "both").to_json()
        out["systems"][system] = {
            **both.to_json(),
            "draft_side": score(anns, dets, "draft").to_json(),
            "source_side": score(anns, dets, "source").to_json(),
            "original_fp_share": round(fp, 4),
            "attribution": round(attr, 4), "attributed_cases": detected,
            "by_type": per_type,
            "seconds": round(r.seconds[system], 2),
        }
    return out


def table(m: dict) -> str:
    rows = [
        f"Seed {m['seed']}: {m['drafts']} drafts, {m['cases']} cases "
        f"({', '.join(f'{t} {n}' for t, n in m['cases_by_type'].items())}), "
        f"{m['original_chars']} characters of original text.",
        "",
        "| system | plagdet | precision | recall | granularity | plagdet draft side | plagdet source side "
        "| original-text FP | attribution | " + " | ".join(TYPES) + " |",
        "|---" * (9 + len(TYPES)) + "|",
    ]
    for system, s in m["systems"].items():
        cells = [
            system, f"{s['plagdet']:.3f}", f"{s['precision']:.3f}", f"{s['recall']:.3f}",
            f"{s['granularity']:.3f}", f"{s['draft_side']['plagdet']:.3f}", f"{s['source_side']['plagdet']:.3f}",
            f"{100 * s['original_fp_share']:.1f} %", f"{s['attribution']:.3f}",
        ] + [f"{s['by_type'][t]['plagdet']:.3f}" for t in TYPES]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def diagnose(case: Annotation, hits: list[Annotation]) -> str:
    """Why a case scored below 1, from the detections overlapping it on the draft side.

    missed: nothing overlaps it; absorbed: only passages naming another document overlap
    it (typically a mosaic sentence swallowed by its neighbours' passage); split: more than
    one detection of the right document; overreach: the right detection runs past the case
    (draft or source side, e.g. into a neighbouring case); short: it stops inside the case;
    ok: scored 1.
    """
    if not hits:
        return "missed"
    right = [h for h in hits if detects(case, h, "both")]
    if not right:
        return "absorbed"
    if len(right) > 1:
        return "split"
    h = right[0]
    if h.start < case.start or h.end > case.end or h.source_start < case.source_start \
            or h.source_end > case.source_end:
        return "overreach"
    if (h.start, h.end, h.source_start, h.source_end) != (case.start, case.end, case.source_start, case.source_end):
        return "short"
    return "ok"


def failures(r: Run, system: str, limit: int) -> str:
    """Failure counts by kind and type, then the worst-scored cases with their texts."""
    dets = r.detections[system]
    by_draft: dict[str, list[Annotation]] = {}
    for x in dets:
        by_draft.setdefault(x.draft, []).append(x)
    corpus = bundled_corpus_dir()
    file_text: dict[str, str] = {}

    def source(file_or_doc: str) -> str:
        name = file_or_doc.rsplit("/", 1)[-1].split("#")[0]
        if name not in file_text:
            file_text[name] = (corpus / name).read_text(encoding="utf-8")
        return file_text[name]

    worst = []
    kinds: dict[str, dict[str, int]] = {}
    for d in r.drafts:
        for c in d.cases:
            a = c.annotation()
            hits = [x for x in by_draft.get(d.name, []) if detects(a, x, "draft")]
            kind = diagnose(a, hits)
            row = kinds.setdefault(c.obfuscation, {})
            row[kind] = row.get(kind, 0) + 1
            worst.append((score([a], hits, "both").plagdet, kind, d, c, hits))
    worst.sort(key=lambda w: (w[0], w[3].draft, w[3].start))
    names = ("ok", "short", "overreach", "split", "absorbed", "missed")
    lines = [f"## {system}: cases by outcome (seed {r.seed})", "",
             "| type | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for t in TYPES:
        lines.append(f"| {t} | " + " | ".join(str(kinds.get(t, {}).get(n, 0)) for n in names) + " |")
    lines.append("")
    for value, kind, d, c, hits in worst[:limit]:
        lines.append(f"--- {c.draft} [{c.start}:{c.end}] {c.obfuscation}: {kind}, plagdet {value:.3f}")
        lines.append(f"  draft : {d.text[c.start:c.end]}")
        lines.append(f"  source: {c.doc} [{c.source_start}:{c.source_end}] "
                     f"{source(c.doc)[c.source_start:c.source_end]}")
        for x in hits:
            lines.append(f"  found : [{x.start}:{x.end}] {d.text[x.start:x.end]}")
            lines.append(f"     in : {x.doc} [{x.source_start}:{x.source_end}] "
                         f"{source(x.doc)[x.source_start:x.source_end]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2, help="generator seed of the reported run")
    parser.add_argument("--tune-seed", type=int, default=None, help="also run and print this seed")
    parser.add_argument("--drafts", type=int, default=DEFAULT_DRAFTS)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--failures", type=int, default=0, metavar="N",
                        help="print outcome counts and the N worst chachong cases of the reported seed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "corpus.sqlite", create=True)
        try:
            index_paths(store, [bundled_corpus_dir()])
            documents = store.documents()
            rule = ThirteenCharRule(documents)
            seeds = ([args.tune_seed] if args.tune_seed is not None else []) + [args.seed]
            runs = [run(store, documents, rule, s, args.drafts) for s in seeds]
        finally:
            store.close()
    results = [measure(r) for r in runs]
    if args.json:
        print(json.dumps({"report": results[-1], "tune": results[0] if len(results) > 1 else None},
                         ensure_ascii=False))
    else:
        for r in results:
            label = "report" if r is results[-1] else "tuning"
            print(f"## {label} seed\n")
            print(table(r))
            print()
    if args.failures:
        print(failures(runs[-1], "chachong", args.failures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
