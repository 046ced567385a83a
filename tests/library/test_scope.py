"""What a check compares a draft with, and says so: exclusions, the draft itself, collections."""

from __future__ import annotations

import json
import re
import shutil
from html import escape

import pytest

from chachong.store import open_store

from ..conftest import REPO
from ..drafts import ORIGINAL_OPENING
from ..fixtures_inputs import assert_one_line_error

SAMPLE = REPO / "examples" / "sample_draft.txt"
SOURCES = ["004_3442f27f9ba37306.txt#2", "000_8b880e3bb4cd86c7.txt#1", "002_5c485a01b3fa9e27.txt#2"]


def _check(cli, location, draft=SAMPLE, *args) -> dict:
    out = cli("check", draft, "--json", "--index", location, *args)
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def corpus_index(cli, index_location, corpus_copy):
    assert cli("index", corpus_copy, "--index", index_location).code == 0
    return index_location, corpus_copy


def test_exclude_a_document_a_file_or_a_collection(cli, corpus_index, tmp_path):
    location, corpus = corpus_index
    plain = _check(cli, location)
    assert [s["doc"] for s in plain["sources"]] == SOURCES and plain["excluded"] == []
    row = _check(cli, location, SAMPLE, "--exclude", SOURCES[0], "--exclude", corpus / "000_8b880e3bb4cd86c7.txt")
    assert [s["doc"] for s in row["sources"]] == SOURCES[2:]
    assert row["excluded"] == [SOURCES[0], str(corpus / "000_8b880e3bb4cd86c7.txt")]
    assert row["copy_ratio"] == pytest.approx(plain["sources"][2]["share"], abs=0.01)
    # By the file's name in the index, too; and a collection.
    row = _check(cli, location, SAMPLE, "--exclude", "002_5c485a01b3fa9e27.txt")
    assert [s["doc"] for s in row["sources"]] == SOURCES[:2]
    assert _check(cli, location, SAMPLE, "--exclude", "library")["sources"] == []
    out = cli("check", SAMPLE, "--exclude", "no-such.txt#9", "--index", location)
    assert_one_line_error(out, "", "--exclude no-such.txt#9: no such document, file or collection in the index")


def test_a_draft_indexed_by_mistake_is_not_matched_against_itself(cli, corpus_index, tmp_path):
    location, _ = corpus_index
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    draft = drafts / "sample_draft.txt"
    shutil.copy(SAMPLE, draft)
    assert cli("index", drafts, "--index", location).code == 0
    row = _check(cli, location, draft)
    # Not 100 % from itself: the three corpus sources, and a word that it was skipped.
    assert [s["doc"] for s in row["sources"]] == SOURCES and row["copy_ratio"] == pytest.approx(0.7614, abs=0.001)
    assert row["skipped_sources"] == [
        {"doc": "sample_draft.txt#1", "file": str(draft.resolve()), "reason": "same content as the draft"}
    ]
    terminal = cli("check", draft, "--no-text", "--index", location).stdout
    assert "not compared with sample_draft.txt#1: same content as the draft" in " ".join(terminal.split())
    # A copy of it elsewhere is the same content; an edited version at its path, an earlier version.
    copy = tmp_path / "copy.txt"
    shutil.copy(SAMPLE, copy)
    assert _check(cli, location, copy)["skipped_sources"][0]["reason"] == "same content as the draft"
    draft.write_text(SAMPLE.read_text(encoding="utf-8") + "最后补充一句新的话。\n", encoding="utf-8")
    row = _check(cli, location, draft)
    assert [s["reason"] for s in row["skipped_sources"]] == ["an earlier version of the draft (indexed from its path)"]
    assert [s["doc"] for s in row["sources"]] == SOURCES
    # Another draft that copies a whole indexed document at another path is reported as a copy.
    other = tmp_path / "other.txt"
    other.write_text(SAMPLE.read_text(encoding="utf-8").replace("。", "。\n", 1), encoding="utf-8")
    row = _check(cli, location, other)
    assert row["skipped_sources"] == [] and row["sources"][0]["doc"] == "sample_draft.txt#1"


def test_ratios_without_quotation_and_own_text(cli, corpus_index, tmp_path):
    location, _ = corpus_index
    quoted, own = tmp_path / "quoted", tmp_path / "own"
    quoted.mkdir()
    own.mkdir()
    # A policy text the draft may quote (a reprint of 004#2: one work with it), and the office's
    # own earlier report (the draft's opening paragraph).
    with open_store(location) as store:
        quoted_text = next(d.text for d in store.documents() if d.name == SOURCES[0])
    (quoted / "policy.txt").write_text(quoted_text, encoding="utf-8")
    (own / "2023年工作总结.txt").write_text("2023年工作总结\n\n" + ORIGINAL_OPENING + "\n", encoding="utf-8")
    assert cli("index", quoted, "--collection", "quotation", "--index", location).code == 0
    assert cli("index", own, "--collection", "own", "--index", location).code == 0
    draft = tmp_path / "draft.txt"
    draft.write_text(ORIGINAL_OPENING + "\n" + SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    row = _check(cli, location, draft)
    by_doc = {s["doc"]: s for s in row["sources"]}
    assert by_doc["2023年工作总结.txt#1"]["collection"] == "own"
    # 004#2 names the work it shares with policy.txt#1 (one of 1 reprint); the work holds quotation text.
    assert (by_doc[SOURCES[0]]["collection"], by_doc[SOURCES[0]]["reprints"]) == ("library", 1)
    own_share, quoted_share = by_doc["2023年工作总结.txt#1"]["share"], by_doc[SOURCES[0]]["share"]
    assert row["copy_ratio_excluding_quotation"] == pytest.approx(row["copy_ratio"] - quoted_share, abs=0.002)
    assert row["copy_ratio_excluding_own"] == pytest.approx(row["copy_ratio"] - own_share, abs=0.002)
    assert own_share > 0.1 and quoted_share > 0.2
    terminal = " ".join(cli("check", draft, "--no-text", "--index", location).stdout.split())
    assert f"去除引用文献复制比 excluding quotation {100 * row['copy_ratio_excluding_quotation']:.1f}%" in terminal
    assert f"去除本人文献复制比 excluding own {100 * row['copy_ratio_excluding_own']:.1f}%" in terminal
    html = tmp_path / "r.html"
    assert cli("check", draft, "--html", html, "--index", location).code == 0
    page = html.read_text(encoding="utf-8")
    assert 'data-k="copy_ratio_excluding_quotation"' in page and 'data-k="copy_ratio_excluding_own"' in page


def test_every_report_states_what_it_compared(cli, corpus_index, tmp_path):
    location, _ = corpus_index
    row = _check(cli, location)
    info = row["index"]
    assert {k: info[k] for k in ("location", "documents", "works", "common_docs")} == {
        "location": location, "documents": 49, "works": 49, "common_docs": 4,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["updated"])
    assert row["thresholds"] == {"min_passage_chars": 12, "max_gap_chars": 24, "candidates_per_sentence": 12}
    said = f"{location}: 49 documents in 49 works (reprints count once), updated {info['updated']}"
    terminal = " ".join(cli("check", SAMPLE, "--no-text", "--index", location).stdout.split())
    assert f"compared with {said}; stock phrasing: in ≥ 4 works; passages ≥ 12 characters" in terminal
    html = tmp_path / "r.html"
    assert cli("check", SAMPLE, "--html", html, "--index", location).code == 0
    assert escape(said) in html.read_text(encoding="utf-8")
    for command in ("docs", "phrases", "pairs"):
        out = cli(command, "--index", location)
        assert " ".join(out.stdout.split()).startswith(f"index {location}: 49 documents in 49 works"), command
    assert cli("pairs", "--html", html, "--index", location).code == 0
    assert escape(f"{location}: 49 documents in 49 works") in html.read_text(encoding="utf-8")
