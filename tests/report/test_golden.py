"""Golden outputs: what a user sees for the sample draft, exactly.

The terminal report is rendered by rich into a StringIO at a fixed width (80 and 120
columns, no colour), so double-width Chinese characters, folding and alignment are part of
what is compared; the JSON Lines are the contract (README, "JSON"). A change to either
shows up here as a diff of the golden file: regenerate with ``CHACHONG_UPDATE_GOLDEN=1
python -m pytest tests/report/test_golden.py`` and review the diff before committing it.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import pytest

from chachong.match.check import check_text
from chachong.report.jsonl import json_line
from chachong.report.terminal import console_for, render_check

from ..conftest import REPO

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
DRAFTS = {"sample": REPO / "examples" / "sample_draft.txt", "stock": REPO / "examples" / "original_stock_phrases.txt"}


def _fixed(result):
    """The result as if the index were at one place and last changed at one time (both
    differ between backends and runs; everything else must not)."""
    return replace(result, index=replace(result.index, location="INDEX", updated="2025-01-01T00:00:00Z"))


def _compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CHACHONG_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed; see this module's docstring"


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("draft", sorted(DRAFTS))
def test_terminal_report_is_the_golden_one(corpus_store, draft, width):
    text = DRAFTS[draft].read_text(encoding="utf-8")
    result = _fixed(check_text(corpus_store, text, file=f"examples/{DRAFTS[draft].name}"))
    buf = io.StringIO()
    render_check(result, console_for(buf, width=width, color=False))
    _compare(f"check-{draft}-{width}.txt", buf.getvalue())


@pytest.mark.parametrize("draft", sorted(DRAFTS))
def test_json_line_is_the_golden_one(corpus_store, draft):
    text = DRAFTS[draft].read_text(encoding="utf-8")
    result = _fixed(check_text(corpus_store, text, file=f"examples/{DRAFTS[draft].name}"))
    _compare(f"check-{draft}.jsonl", json_line(result.to_json()) + "\n")
