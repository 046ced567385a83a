"""The HTML check report: contents, escaping, and what a person sees in a real browser.

Browser tests open the page in headless Chromium (Debian's ``chromium``) with ``--dump-dom``,
which prints the DOM after the page's scripts ran. Without chromium they are skipped, except
when the environment variable CI is set: there they must run.
"""

from __future__ import annotations

from chachong.match.check import check_text
from chachong.model import (
    BoilerplatePassage,
    CheckResult,
    CopyPassage,
    IndexInfo,
    SkippedSource,
    SourceRef,
    SourceShare,
)
from chachong.report.html import DiffOp, char_diff, render_check_html

from ..browser import browser_dom, marks, need_chromium, parse
from ..conftest import REPO

SAMPLE = REPO / "examples" / "sample_draft.txt"


EVIL = "<script>document.title='pwned';document.body.insertAdjacentHTML('beforeend','<p id=\"pwned\">x</p>')</script>"
INJECT = (
    f"第一段原创内容。{EVIL}照抄的一段文字</div></pre>&amp; \"引号\" '单引号' "
    "<img src=x onerror=\"document.title='img'\">控制字符\x00\x1b\x07结束。\n"
    "县委县政府坚强领导下的套话。最后一句。"
)


def hostile_result() -> CheckResult:
    text = INJECT
    c0 = text.index("<script>")
    c1 = text.index("结束。")
    b0 = text.index("县委县政府")
    b1 = text.index("的套话")
    src = SourceRef(doc="evil.txt#1", file="corpus/<b>evil</b>.txt", title="标题</title><script>document.title='t'</script>",
                    start=10, end=10 + c1 - c0, collection="<b>own</b>", reprints=2)
    copy = CopyPassage(start=c0, end=c1, score=0.9, source=src, text=text[c0:c1],
                       source_text="<script>alert(1)</script>原文 & 来源\x00", sentences=2)
    boiler = BoilerplatePassage(start=b0, end=b1, text=text[b0:b1], common_to=7)
    share = SourceShare(source=src, chars=40, share=0.5, passages=1)
    return CheckResult(file="drafts/<script>x</script>&\".txt", text=text, chars=len(text), content_chars=80,
                       copy_ratio=0.5, boilerplate_ratio=0.1, max_source_share=0.5,
                       passages=(copy, boiler), sources=(share,), copy_ratio_excluding_quotation=0.5,
                       copy_ratio_excluding_own=0.0,
                       index=IndexInfo(location="/srv/<b>index</b>.sqlite", documents=3, works=2,
                                       updated="2025-01-01T00:00:00Z", common_docs=3),
                       skipped_sources=(SkippedSource(doc="<b>mine</b>.txt#1", file="x", reason="same content as the draft"),),
                       excluded=("<b>x</b>",))


# -- tests without a browser ----------------------------------------------------------------
def test_char_diff_marks_added_removed_changed():
    assert char_diff("我们在2023年完成了工作", "我们在XX年完成工作") == (
        DiffOp("equal", "我们在", "我们在"), DiffOp("changed", "2023", "XX"),
        DiffOp("equal", "年完成", "年完成"), DiffOp("added", "了", ""), DiffOp("equal", "工作", "工作"),
    )
    # a lone equal character between changes is chance, not a match
    assert char_diff("由两天缩短到半天", "从三日减少至半天") == (
        DiffOp("changed", "由两天缩短到", "从三日减少至"), DiffOp("equal", "半天", "半天"),
    )
    assert char_diff("", "删去") == (DiffOp("removed", "", "删去"),)


def test_hostile_text_is_escaped_and_offsets_survive():
    result = hostile_result()
    page = render_check_html([result])
    dom = parse(page)
    scripts = dom.find_all(lambda n: n.tag == "script")
    assert len(scripts) == 1 and "pwned" not in scripts[0].text()  # only our own script
    assert not dom.find_all(lambda n: n.tag == "img") and dom.by_id("pwned") is None
    assert dom.find_all(lambda n: n.tag == "title")[0].text() == "chachong 查重报告"
    copy, boiler = result.passages
    shown = {m.attrs["data-p"]: m.text() for m in marks(dom, "p")}
    # the copied passage reads exactly as the draft does, control characters made visible
    assert shown == {"d1-p1": copy.text.replace("\x00", "\u2400").replace("\x1b", "\u241b").replace("\x07", "\u2407")}
    assert "<script>document.title='pwned'" in shown["d1-p1"]
    assert [m.text() for m in marks(dom, "boiler")] == [boiler.text]
    # the whole draft is there, in order, as text
    draft = dom.find_all(lambda n: "draft-text" in n.classes)[0].text()
    assert draft == INJECT.replace("\x00", "\u2400").replace("\x1b", "\u241b").replace("\x07", "\u2407")
    assert "\x00" not in page and "\x1b" not in page
    assert "<b>evil</b>" not in page and "&lt;b&gt;evil&lt;/b&gt;" in page
    # what it compared with, the skipped and excluded sources, collections: all text
    assert not dom.find_all(lambda n: n.tag == "b" and n.text() in {"index", "mine", "x", "own"})
    compared = dom.find_all(lambda n: "compared" in n.classes)[0].text()
    assert "/srv/<b>index</b>.sqlite: 3 documents in 2 works" in compared and "excluded: <b>x</b>" in compared
    assert "<b>mine</b>.txt#1: same content as the draft" in dom.find_all(lambda n: "skipped" in n.classes)[0].text()
    assert "(<b>own</b>, +2 reprints)" in dom.find_all(lambda n: n.tag == "td" and "doc" in n.classes)[0].text()
    source_side = dom.find_all(lambda n: "source-side" in n.classes)[0].text()
    assert source_side == "<script>alert(1)</script>原文 & 来源\u2400"


def test_several_drafts_get_an_index_ranked_by_copy_ratio(corpus_store, tmp_path):
    sample = SAMPLE.read_text(encoding="utf-8")
    low = check_text(corpus_store, "这是一份完全原创的草稿，没有抄写任何文档中的内容，只写了自己的工作。\n", file="a_original.txt")
    high = check_text(corpus_store, sample, file="b_sample.txt")
    dom = parse(render_check_html([low, high]))
    rows = dom.find_all(lambda n: n.tag == "table" and "drafts" in n.classes)[0].find_all(lambda n: n.tag == "tr")[1:]
    assert [r.find_all(lambda n: n.tag == "a")[0].text() for r in rows] == ["b_sample.txt", "a_original.txt"]
    assert rows[0].find_all(lambda n: n.tag == "a")[0].attrs["href"] == "#d2"
    sections = dom.find_all(lambda n: n.tag == "section" and "draft" in n.classes)
    assert [s.attrs["data-file"] for s in sections] == ["a_original.txt", "b_sample.txt"]
    assert "No copied passages found." in sections[0].text()


# -- in the browser -------------------------------------------------------------------------
def test_sample_report_in_browser_shows_passages_and_sources(corpus_store, tmp_path):
    need_chromium()
    text = SAMPLE.read_text(encoding="utf-8")
    result = check_text(corpus_store, text, file="examples/sample_draft.txt")
    copies = [p for p in result.passages if p.kind == "copy"]
    assert len(copies) == 3
    page = tmp_path / "report.html"
    page.write_text(render_check_html([result]), encoding="utf-8")
    second = result.passages.index(copies[1]) + 1
    dom = browser_dom(page, f"d1-p{second}")
    # every copied passage is highlighted with exactly its text, in its source's colour
    colour = {s.source.doc: f"src-{i}" for i, s in enumerate(result.sources)}
    shown = marks(dom, "p")
    assert [m.text() for m in shown] == [p.text for p in copies]
    assert [colour[p.source.doc] in m.classes for m, p in zip(shown, copies)] == [True] * 3
    # the summary a reviewer reads first
    value = {n.attrs["data-k"]: n.text() for n in dom.find_all(lambda n: "data-k" in n.attrs)}
    assert value["copy_ratio"] == f"{100 * result.copy_ratio:.1f}%"
    assert value["max_source_share"] == f"{100 * result.max_source_share:.1f}%"
    assert value["sources"] == "3 / 3"
    # the source list, ranked by share, names title and file
    src_rows = dom.find_all(lambda n: n.tag == "tr" and "src-row" in n.classes)
    assert [r.find_all(lambda n: n.tag == "td")[1].text() for r in src_rows] == [s.source.title for s in result.sources]
    assert result.sources[0].source.file in src_rows[0].text()
    # the script ran: the passage named in the address is shown beside the draft with its source
    slot = dom.find_all(lambda n: "side-slot" in n.classes)[0]
    shown_cmp = slot.find_all(lambda n: "cmp" in n.classes)
    assert len(shown_cmp) == 1 and shown_cmp[0].attrs["data-p"] == f"d1-p{second}"
    assert shown_cmp[0].find_all(lambda n: "source-side" in n.classes)[0].text() == copies[1].source_text
    assert copies[1].source.title in shown_cmp[0].text()
    assert [m.attrs["data-p"] for m in dom.find_all(lambda n: n.tag == "mark" and "active" in n.classes)] == [f"d1-p{second}"]
    # the differences are marked: the draft filled in masks its source left as X
    changed = shown_cmp[0].find_all(lambda n: "chg" in n.classes)
    assert changed and all(c.text() for c in changed)


def test_injected_script_does_not_run_in_browser(tmp_path):
    need_chromium()
    page = tmp_path / "hostile.html"
    page.write_text(render_check_html([hostile_result()]), encoding="utf-8")
    dom = browser_dom(page, "d1-p1")
    assert dom.find_all(lambda n: n.tag == "title")[0].text() == "chachong 查重报告"
    assert dom.by_id("pwned") is None
    assert not dom.find_all(lambda n: n.tag == "img")
    assert len(dom.find_all(lambda n: n.tag == "script")) == 1
    mark = marks(dom, "p")[0]
    assert mark.text().startswith(EVIL)
    # our own script did run (the passage is shown beside the draft), the injected one did not
    slot = dom.find_all(lambda n: "side-slot" in n.classes)[0]
    assert "<script>alert(1)</script>原文 & 来源" in slot.text()
    boiler = marks(dom, "boiler")
    assert [b.text() for b in boiler] == [hostile_result().passages[1].text]


def test_cli_check_writes_html_report(cli, corpus_index_path, tmp_path):
    out = tmp_path / "report.html"
    res = cli("check", SAMPLE, "--json", "--index", corpus_index_path, "--html", out)
    assert res.code == 0, res.stderr
    assert len(res.stdout.splitlines()) == 1  # --json output is unchanged by --html
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    assert "@media print" in page and "Noto Sans CJK SC" in page
    # nothing is fetched: no external URL in any src/href, and the CSP forbids it anyway
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page
    assert "default-src 'none'" in page
    assert len(marks(parse(page), "p")) == 3


def test_cli_html_errors_are_one_line(cli, corpus_index_path, tmp_path):
    res = cli("check", SAMPLE, "--index", corpus_index_path, "--html", tmp_path)
    assert res.code == 2 and res.stderr.startswith(f"chachong: error: {tmp_path}: is a directory")
    assert len(res.stderr.strip().splitlines()) == 1
    missing = tmp_path / "no" / "r.html"
    res = cli("check", SAMPLE, "--index", corpus_index_path, "--html", missing)
    assert res.code == 2 and "no such directory" in res.stderr and not missing.exists()
