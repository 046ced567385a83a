"""Bad inputs through the command line: one line ``chachong: error: FILE: problem``, exit 2,
no traceback, and the index left as it was (README, "Limits and failure behaviour")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chachong.text.reading import MAX_DRAFT_BYTES, MAX_FILE_BYTES

from ..conftest import CORPUS, REPO, CliResult
from ..drafts import ORIGINAL_OPENING
from ..fixtures_inputs import (
    SMALL_FILE,
    assert_copies_found,
    assert_one_line_error,
    docs_state,
    file_digest,
    join_parts,
    planted_lines,
)

SAMPLE = REPO / "examples" / "sample_draft.txt"


def _one_line_text(n_bytes: int) -> bytes:
    """About ``n_bytes`` of corpus text on one line (no line breaks), cut on a character."""
    line = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    chunk = re.sub(r"\s+", "", line).encode("utf-8")
    data = chunk * (n_bytes // len(chunk) + 1)
    return data[:n_bytes].decode("utf-8", errors="ignore").encode("utf-8")


# -- bad inputs ----------------------------------------------------------------------------

BAD_INPUTS = {
    # name: (file name, bytes or None for "do not create", expected problem)
    "missing": ("missing.txt", None, "no such file or directory"),
    "empty": ("empty.txt", b"", "file is empty"),
    "png-as-txt": ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary file (a PNG image), not text"),
    "png": ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "unsupported file type '.png'"),
    "zip-as-txt": ("archive.txt", b"PK\x03\x04\x14\x00" + bytes(200), "binary file (a zip archive), not text"),
    "nul-bytes": ("data.txt", bytes(range(256)) * 4, "binary file (contains NUL bytes), not text"),
    # invalid UTF-8, and as GB18030 only rare characters and private-use code points
    "undetectable": ("garbled.txt", bytes(range(0x81, 0xFF)) * 40, "cannot detect the text encoding"),
    "txt-renamed-docx": ("draft.docx", "这不是Word文件。".encode(), "not a valid .docx file"),
    "empty-docx": ("blank.docx", "EMPTY_DOCX", "document contains no text"),
}


def _make_bad(tmp_path: Path, case: str) -> Path:
    name, data, _ = BAD_INPUTS[case]
    path = tmp_path / "in" / name
    path.parent.mkdir(exist_ok=True)
    if data == "EMPTY_DOCX":
        import docx

        document = docx.Document()
        document.add_paragraph("   ")
        document.save(str(path))
    elif data is not None:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_draft_is_one_line_exit_2(cli, small_index, tmp_path, case):
    path = _make_bad(tmp_path, case)
    before, state = file_digest(small_index), docs_state(cli, small_index)
    out = cli("check", path, "--index", small_index)
    assert_one_line_error(out, str(path), BAD_INPUTS[case][2])
    # In a batch, the bad draft is named on its own line, the good one still checked, exit 2.
    out = cli("check", SAMPLE, path, "--json", "--index", small_index)
    assert out.code == 2 and [json.loads(line)["file"] for line in out.stdout.splitlines()] == [str(SAMPLE)]
    assert_one_line_error(CliResult(2, "", out.stderr), str(path), BAD_INPUTS[case][2])
    assert file_digest(small_index) == before and docs_state(cli, small_index) == state


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_file_named_to_index_stops_the_run_before_writing(cli, small_index, tmp_path, case):
    path = _make_bad(tmp_path, case)
    good = CORPUS / "004_3442f27f9ba37306.txt"
    before, state = file_digest(small_index), docs_state(cli, small_index)
    out = cli("index", good, path, "--index", small_index)
    assert_one_line_error(out, str(path), BAD_INPUTS[case][2])
    assert file_digest(small_index) == before and docs_state(cli, small_index) == state


@pytest.mark.parametrize("case", ["missing", "empty", "zip-as-txt"])
def test_failed_first_index_run_creates_no_index_file(cli, tmp_path, case):
    path = _make_bad(tmp_path, case)
    index = tmp_path / "new.sqlite"
    out = cli("index", path, "--index", index)
    assert_one_line_error(out, str(path), BAD_INPUTS[case][2])
    assert not index.exists()  # "as it was": there was no index, there is none


def test_directory_given_to_check(cli, small_index):
    out = cli("check", CORPUS, "--index", small_index)
    assert_one_line_error(out, str(CORPUS), "is a directory, expected a file")


def test_fifty_megabyte_one_line_file_is_refused_up_front(cli, small_index, tmp_path):
    """A 50 MB file with no line break: refused from its size, before it is read (the
    limit is MAX_FILE_BYTES, 8 MiB), for check, for index, and inside an indexed folder."""
    folder = tmp_path / "big"
    folder.mkdir()
    big = folder / "oneline.txt"
    big.write_bytes(_one_line_text(50 * 1024 * 1024))
    assert big.stat().st_size > MAX_FILE_BYTES and b"\n" not in big.read_bytes()[:100000]
    problem = "file too large (50.0 MiB; the limit is 8 MiB)"
    before, state = file_digest(small_index), docs_state(cli, small_index)
    # (check may hold drafts to the smaller MAX_DRAFT_BYTES)
    assert_one_line_error(cli("check", big, "--index", small_index), str(big), "file too large (50.0 MiB; the limit is ")
    assert_one_line_error(cli("index", big, "--index", small_index), str(big), problem)
    assert file_digest(small_index) == before and docs_state(cli, small_index) == state
    (folder / "ok.txt").write_text(SMALL_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    out = cli("index", folder, "--index", small_index, "--json")
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["added"] == [str((folder / "ok.txt").resolve())]
    assert report["skipped"] == [{"file": str(big), "reason": problem + ": split it into smaller files"}]


def test_draft_over_the_draft_limit_is_refused_but_can_be_indexed(cli, small_index, tmp_path):
    """A 2 MiB draft would take minutes to check: refused at once with a clear line.
    As a library file it is fine (index: 8 MiB one-line file in 1.7 s, 370 MB)."""
    big = tmp_path / "long.txt"
    big.write_bytes(_one_line_text(2 * MAX_DRAFT_BYTES))
    before = file_digest(small_index)
    out = cli("check", big, "--index", small_index)
    assert_one_line_error(out, str(big), "file too large (2.0 MiB; the limit is 1 MiB)")
    assert file_digest(small_index) == before
    assert cli("index", big, "--index", small_index).code == 0


def test_long_one_line_draft_is_checked_correctly(cli, corpus_index_path, tmp_path):
    """A draft of ~120 KB with no line break at all: passages found at the right offsets."""
    library, bank, _ = planted_lines()
    filler = ORIGINAL_OPENING * 120
    text, where = join_parts([filler, library, filler, bank, filler], sep="")
    assert "\n" not in text and len(text.encode("utf-8")) > 100_000
    path = tmp_path / "oneline.txt"
    path.write_text(text, encoding="utf-8")
    out = cli("check", path, "--json", "--index", corpus_index_path)
    assert out.code == 0, out.stderr
    assert_copies_found(json.loads(out.stdout), text, where)


@pytest.mark.parametrize("content", ["。，、！？……——；：“”《》（）\n", "   \n\t\u3000\r\n  ", "。\n。\n" * 500])
def test_punctuation_or_whitespace_only_draft_has_ratio_zero(cli, corpus_index_path, tmp_path, content):
    path = tmp_path / "blank.txt"
    path.write_text(content, encoding="utf-8")
    out = cli("check", path, "--json", "--index", corpus_index_path)
    assert out.code == 0, out.stderr
    row = json.loads(out.stdout)
    assert (row["copy_ratio"], row["max_source_share"], row["passages"], row["chars"]) == (0.0, 0.0, [], len(content))


def test_draft_identical_to_a_corpus_document_has_ratio_about_one(cli, corpus_index_path, corpus_store, tmp_path):
    doc = corpus_store.documents()[20]
    cases = [(doc.text, doc.name), (SMALL_FILE.read_text(encoding="utf-8")[:-1], "003_ec39d6286021c7d9.txt#1")]
    for i, (text, name) in enumerate(cases):
        path = tmp_path / f"same{i}.txt"
        path.write_text(text, encoding="utf-8")
        out = cli("check", path, "--json", "--index", corpus_index_path)
        assert out.code == 0, out.stderr
        row = json.loads(out.stdout)
        assert row["copy_ratio"] >= 0.97
        assert row["sources"][0]["doc"] == name and row["sources"][0]["share"] >= 0.97
        assert row["skipped_sources"] == []


def test_draft_that_is_an_indexed_file_is_not_matched_against_it(cli, corpus_index_path, tmp_path):
    # Byte for byte the indexed file (a draft indexed by mistake, or a copy of it): skipped, and said so.
    path = tmp_path / "mine.txt"
    path.write_bytes(SMALL_FILE.read_bytes())
    out = cli("check", path, "--json", "--index", corpus_index_path)
    assert out.code == 0, out.stderr
    row = json.loads(out.stdout)
    assert row["skipped_sources"] == [
        {"doc": "003_ec39d6286021c7d9.txt#1", "file": "corpus/003_ec39d6286021c7d9.txt",
         "reason": "same content as the draft"}
    ]
    # What is left is only what other documents share with it (the fragment and paraphrase
    # layers find a few clauses in them, e.g. 切实做到有法必依、执法必严、违法必究 from 001#9),
    # exactly as when the file is excluded by name.
    assert all(not s["file"].startswith("corpus/003_") for s in row["sources"])
    assert {"doc": "001_e5cfe61341d97502.txt#9", "match": "verbatim", "text": "切实做到有法必依、执法必严、违法必究"} in [
        {"doc": p["source"]["doc"], "match": p["match"], "text": path.read_text(encoding="utf-8")[p["start"]:p["end"]]}
        for p in row["passages"] if p["kind"] == "copy"
    ]
    excluded = json.loads(cli("check", path, "--json", "--index", corpus_index_path,
                              "--exclude", "003_ec39d6286021c7d9.txt").stdout)
    assert excluded["skipped_sources"] == [] and excluded["excluded"] == ["003_ec39d6286021c7d9.txt"]
    assert (excluded["copy_ratio"], excluded["passages"]) == (row["copy_ratio"], row["passages"])
