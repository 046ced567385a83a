from __future__ import annotations

import io

from rich.text import Text

from chachong.match.check import check_text
from chachong.report.terminal import SOURCE_STYLES, console_for, render_check

from ..conftest import REPO


def test_terminal_report_shows_ratios_sources_and_passages(corpus_store):
    text = (REPO / "examples" / "sample_draft.txt").read_text(encoding="utf-8")
    result = check_text(corpus_store, text, file="sample.txt")
    buf = io.StringIO()
    render_check(result, console_for(buf, width=120, color=False))
    out = buf.getvalue()
    assert f"{100 * result.copy_ratio:.1f}%" in out
    assert "总文字复制比" in out and "单篇最大文字复制比" in out
    for s in result.sources:
        assert s.source.doc in out
    assert "Passage 3: draft" in out
    assert "文化和旅游局2023年工作总结和2024年工作打算" in out


def test_highlight_colours_follow_sources(corpus_store):
    text = (REPO / "examples" / "sample_draft.txt").read_text(encoding="utf-8")
    result = check_text(corpus_store, text)
    buf = io.StringIO()
    render_check(result, console_for(buf, width=100, color=True))
    out = buf.getvalue()
    probe = io.StringIO()
    console_for(probe, width=100, color=True).print(Text("x", style=SOURCE_STYLES[0]))
    first_source_code = probe.getvalue().split("x")[0]
    assert first_source_code.startswith("\x1b[")
    # the first passage's text is drawn in the first source's colour
    first = min(
        (p for p in result.passages if p.kind == "copy" and p.source.doc == result.sources[0].source.doc),
        key=lambda p: p.start,
    )
    assert first_source_code + first.text[:10] in out
