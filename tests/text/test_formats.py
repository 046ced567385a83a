"""Document formats made by real programs: the sample draft saved as .pdf, .ofd, .doc,
.wps, .odt, .rtf and .docx gives the same copied passages as the .txt (issue 17's "done
when"); a multi-page PDF and OFD with running headers and page numbers read as the
paragraphs they were printed from, sentences broken across pages whole again; what each
reader refuses, in one line."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from chachong.errors import InputError
from chachong.text.reading import SUPPORTED_SUFFIXES, read_text, read_texts

from ..drafts import ORIGINAL_CLOSING, ORIGINAL_OPENING
from ..fixtures_inputs import SMALL_FILE, assert_one_line_error, docs_state, file_digest
from .conftest import HEADER, SAMPLE, paged_paragraphs
from .ofd_writer import Running, layout, write_ofd

READ_AS = {
    "txt": "utf-8", "docx": "docx", "pdf": "pdf", "ofd": "ofd", "doc": "doc (LibreOffice)",
    "wps": "wps (LibreOffice)", "odt": "odt", "rtf": "rtf",
}


def _check(cli, path, index) -> dict:
    out = cli("check", path, "--json", "--no-text", "--index", index)
    assert out.code == 0, out.stderr
    (line,) = out.stdout.splitlines()
    return json.loads(line)


def _copies(row: dict) -> list[tuple]:
    return [
        (p["start"], p["end"], p["source"]["doc"], p["source"]["start"], p["source"]["end"])
        for p in row["passages"] if p["kind"] == "copy"
    ]


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_paragraphs_split_only_at_sentence_ends(lines: list[str], paragraphs: list[str]) -> None:
    """``lines`` are ``paragraphs`` in order, each whole or cut only after 。！？；：."""
    queue = list(lines)
    for paragraph in paragraphs:
        got = queue.pop(0)
        while got != paragraph:
            assert paragraph.startswith(got) and got.endswith(tuple("。！？；：")), (got, paragraph)
            got += queue.pop(0)
    assert queue == []


# -- the sample draft in every format (issue 17, "done when") ---------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "ofd", "doc", "wps", "odt", "rtf", "docx"])
def test_sample_draft_in_each_format_gives_the_txt_passages(cli, corpus_index_path, request, fmt):
    """Same text (so the same offsets), same passages from the same sources, same copy ratio."""
    path = request.getfixturevalue("sample_ofd") if fmt == "ofd" else request.getfixturevalue("office_files").sample[fmt]
    txt = SAMPLE.read_text(encoding="utf-8")
    source = read_text(path)
    assert source.encoding == READ_AS[fmt] and source.format == fmt
    # One paragraph per line, as in the .txt; the file's final line break is not a paragraph.
    assert source.text == txt.rstrip("\n")
    expected, row = _check(cli, SAMPLE, corpus_index_path), _check(cli, path, corpus_index_path)
    assert row["file"] == str(path)
    assert len(_copies(expected)) == 3
    assert _copies(row) == _copies(expected)
    assert abs(row["copy_ratio"] - expected["copy_ratio"]) <= 0.0001
    assert row["max_source_share"] == expected["max_source_share"]
    for p in row["passages"]:
        assert 0 <= p["start"] < p["end"] <= len(source.text)


def test_pdf_and_ofd_say_where_each_page_begins(office_files, sample_ofd):
    import pypdfium2 as pdfium

    pdf = read_text(office_files.sample["pdf"])
    assert pdf.page_starts == (0,) and len(pdfium.PdfDocument(office_files.sample["pdf"])) == 1
    ofd = read_text(sample_ofd)
    pages = layout(SAMPLE.read_text(encoding="utf-8"), lines_per_page=8)
    assert len(ofd.page_starts) == len(pages) == 5
    for starts, lines in zip(ofd.page_starts, pages):
        # each page's first printed line begins there (running header dropped)
        assert ofd.text[starts : starts + len(lines[0])] == lines[0]


# -- a multi-page PDF with running headers and a sentence broken across pages ------------------


def test_paged_pdf_reads_as_its_paragraphs_without_headers_footers_page_numbers(office_files):
    import pypdfium2 as pdfium

    source = read_text(office_files.paged_pdf)
    pages = len(pdfium.PdfDocument(office_files.paged_pdf))
    assert pages >= 4 and len(source.page_starts) == pages
    assert list(source.page_starts) == sorted(source.page_starts) and source.page_starts[0] == 0
    # Nothing lost, nothing added (header, 第 N 页 共 M 页), in order: equal but for line breaks.
    assert _squeeze(source.text) == _squeeze(office_files.paged_source)
    assert HEADER not in source.text and "页共" not in _squeeze(source.text)
    # Each paragraph is one line, or a few lines split where a sentence ends: a full line
    # that ends with 。 at the margin cannot be told from a paragraph's end (README).
    paragraphs = paged_paragraphs()
    assert_paragraphs_split_only_at_sentence_ends(source.text.split("\n"), paragraphs)
    # Pages break mid-sentence; there the text runs on, with no line break.
    inside = [k for k in source.page_starts[1:] if source.text[k - 1] != "\n"]
    assert len(inside) >= 2
    for k in inside:
        assert any(_squeeze(source.text[k - 15 : k + 15]) in p for p in paragraphs)


def test_indented_paragraphs_of_a_pdf_are_exactly_its_paragraphs(office_files):
    """With first-line indentation (as 公文 have) even a paragraph whose full line ends with
    。 at the margin runs on: the text is the paragraphs, one per line, exactly."""
    source = read_text(office_files.indented_pdf)
    assert source.text == office_files.paged_source
    assert len(source.page_starts) >= 4


def test_sentence_broken_across_a_pdf_page_is_found_whole(cli, office_files, tmp_path):
    source = read_text(office_files.paged_pdf)
    index = tmp_path / "pdf.sqlite"
    out = cli("index", office_files.paged_pdf, "--index", index, "--json")
    assert out.code == 0, out.stderr
    (doc,) = docs_state(cli, index)
    assert doc["file"] == str(office_files.paged_pdf.resolve())
    # The sentence around the first page break inside a sentence, copied into a draft.
    k = next(k for k in source.page_starts[1:] if source.text[k - 1] not in "\n。")
    start = max(source.text.rfind(p, 0, k) for p in "。；\n") + 1
    end = min(e for e in (source.text.find(p, k) for p in "。；\n") if e >= 0) + 1
    sentence = source.text[start:end]
    assert len(sentence) >= 20 and start < k < end
    draft = tmp_path / "draft.txt"
    draft.write_text(f"{ORIGINAL_OPENING}\n{sentence}\n{ORIGINAL_CLOSING}\n", encoding="utf-8")
    row = _check(cli, draft, index)
    (copy,) = [p for p in row["passages"] if p["kind"] == "copy"]
    assert copy["source"]["file"] == str(office_files.paged_pdf.resolve())
    # The source span indexes the PDF's extracted text and covers the sentence across the break.
    assert start <= copy["source"]["start"] < k < copy["source"]["end"] <= end
    assert copy["end"] - copy["start"] >= 0.9 * len(sentence)


@pytest.mark.parametrize("line_mm", [7.5, 12.5])  # 1.5 and 2.5 font sizes apart (ofdkit's gap: 2.2)
def test_paged_ofd_with_running_lines_reads_as_its_paragraphs(tmp_path, line_mm):
    paragraphs = paged_paragraphs()
    path = tmp_path / "paged.ofd"
    pages = layout("\n".join(paragraphs), lines_per_page=20)
    assert len(pages) >= 3
    write_ofd(path, pages, running=Running(header=HEADER, footer="内部资料 注意保存", page_number="第 {n} 页"),
              line_mm=line_mm)
    source = read_text(path)
    assert HEADER not in source.text and "注意保存" not in source.text and "页" not in source.text[-10:]
    assert_paragraphs_split_only_at_sentence_ends(source.text.split("\n"), paragraphs)
    assert len(source.page_starts) == len(pages)


# -- refusals ------------------------------------------------------------------------------


def test_scanned_pdf_without_text_layer_needs_ocr(cli, small_index, tmp_path):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(2):
        pdf.new_page(595, 842)  # A4 in points, nothing on it but (for a scan) an image
    path = tmp_path / "scan.pdf"
    pdf.save(str(path))
    out = cli("check", path, "--index", small_index)
    assert_one_line_error(out, str(path), "the PDF has no text layer (2 pages of images, e.g. a scan): run OCR")


def test_password_protected_pdf_is_one_line(cli, small_index, office_files, tmp_path):
    from .office import soffice_convert

    options = (':writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
               '"DocumentOpenPassword":{"type":"string","value":"secret"}}')
    (path,) = soffice_convert([office_files.sample["docx"]], "pdf", tmp_path / "locked", options=options)
    out = cli("check", path, "--index", small_index)
    assert_one_line_error(out, str(path), "the PDF is password-protected: save an unprotected copy")


def test_pdf_over_the_page_limit_is_refused_before_reading_pages(monkeypatch, tmp_path):
    import pypdfium2 as pdfium

    from chachong.text.formats import pdf as pdf_reader

    document = pdfium.PdfDocument.new()
    for _ in range(4):
        document.new_page(595, 842)
    path = tmp_path / "long.pdf"
    document.save(str(path))
    monkeypatch.setattr(pdf_reader, "MAX_PDF_PAGES", 3)  # 10,000 in earnest
    with pytest.raises(InputError) as caught:
        read_text(path)
    assert caught.value.problem == "not read: the PDF has 4 pages (the limit is 3)"


def test_damaged_pdf_is_one_line(cli, small_index, office_files, tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(office_files.sample["pdf"].read_bytes()[:2000])
    assert_one_line_error(cli("check", path, "--index", small_index), str(path), "not a valid PDF file")


@pytest.mark.parametrize(("name", "data", "problem"), [
    ("notes.ofd", b"PK\x03\x04 not really", "not a valid .ofd file"),
    ("no_ofd_xml.ofd", "ZIP:Doc_0/Document.xml", "not a valid .ofd file (not an OFD file: OFD.xml is missing)"),
    ("sheet.odt", "ZIP:mimetype", "not a valid .odt file (no content.xml)"),
    ("broken.rtf", b"{\\rtf1 \\ansi \\u-", "document contains no text"),
    ("plain.rtf", "这不是RTF。".encode(), "not a valid .rtf file (it does not begin with {\\rtf)"),
])
def test_broken_document_files_are_one_line(cli, small_index, tmp_path, name, data, problem):
    path = tmp_path / name
    if isinstance(data, str):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(data.removeprefix("ZIP:"), "<x/>")
    else:
        path.write_bytes(data)
    before = file_digest(small_index)
    assert_one_line_error(cli("check", path, "--index", small_index), str(path), problem)
    assert_one_line_error(cli("index", path, "--index", small_index), str(path), problem)
    assert file_digest(small_index) == before


def test_unsupported_type_lists_what_is_supported(cli, small_index, tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    out = cli("check", path, "--index", small_index)
    assert_one_line_error(out, str(path), "unsupported file type '.png' (expected .txt, .docx, .pdf, .ofd, .doc, .wps, .odt or .rtf)")
    assert {".pdf", ".ofd", ".doc", ".wps", ".odt", ".rtf", ".docx"} <= SUPPORTED_SUFFIXES


# -- .doc and .wps: converters ------------------------------------------------------------


@pytest.fixture
def no_converter(monkeypatch, tmp_path):
    """PATH without LibreOffice or antiword (and no known install location)."""
    from chachong.text.formats import legacy

    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(legacy, "KNOWN_SOFFICE", ())
    return empty


@pytest.mark.parametrize(("suffix", "problem"), [
    (".doc", "reading .doc needs LibreOffice (soffice) or antiword on PATH: install one (Debian/Ubuntu: "
             "apt-get install libreoffice-writer-nogui, or antiword), or save the file as .docx"),
    (".wps", "reading .wps needs LibreOffice (soffice) on PATH: install it (Debian/Ubuntu: apt-get install "
             "libreoffice-writer-nogui), or save the file as .docx in WPS Office"),
])
def test_without_a_converter_doc_and_wps_say_what_to_install(cli, small_index, no_converter, tmp_path, suffix, problem):
    path = tmp_path / f"draft{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))  # an OLE (Word 97-2003) header
    before = file_digest(small_index)
    assert_one_line_error(cli("check", path, "--index", small_index), str(path), problem)
    assert_one_line_error(cli("index", path, "--index", small_index), str(path), problem)
    assert file_digest(small_index) == before


def test_without_a_converter_a_doc_that_is_rtf_or_docx_still_reads(no_converter, office_files, tmp_path):
    """Word and WPS save RTF or .docx under a .doc name: read by what the bytes are."""
    txt = SAMPLE.read_text(encoding="utf-8").rstrip("\n")
    for fmt in ("rtf", "docx"):
        path = tmp_path / f"saved-as-{fmt}.doc"
        path.write_bytes(office_files.sample[fmt].read_bytes())
        source = read_text(path)
        assert (source.format, source.text) == (fmt, txt)


def test_antiword_reads_doc_when_libreoffice_is_missing(no_converter, office_files, tmp_path):
    from .office import need_antiword

    (no_converter / "antiword").symlink_to(need_antiword())
    source = read_text(office_files.sample["doc"])
    assert source.encoding == "doc (antiword)"
    assert source.text == SAMPLE.read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(InputError, match=r"reading \.wps needs LibreOffice"):
        read_text(office_files.sample["wps"])


def test_libreoffice_works_without_a_writable_home(monkeypatch, office_files):
    """LibreOffice fails (exit 77) when it cannot write its profile to HOME: each call
    gets a private profile directory instead."""
    monkeypatch.setenv("HOME", "/nonexistent")
    assert read_text(office_files.sample["doc"]).text == SAMPLE.read_text(encoding="utf-8").rstrip("\n")


def test_several_doc_files_are_one_libreoffice_call(monkeypatch, office_files, tmp_path):
    import subprocess

    calls = []
    real_popen = subprocess.Popen

    def counting_popen(*args, **kwargs):
        calls.append(args[0])
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    garbage = tmp_path / "garbage.doc"
    garbage.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 20)
    same_name = tmp_path / "sample_draft.doc"  # the same file name as another input
    same_name.write_bytes(office_files.sample["doc"].read_bytes())
    paths = [office_files.sample["doc"], garbage, office_files.sample["wps"], same_name, SAMPLE]
    results = read_texts(paths)
    assert len(calls) == 1
    txt = SAMPLE.read_text(encoding="utf-8")
    assert [getattr(r, "encoding", None) for r in results] == [
        "doc (LibreOffice)", None, "wps (LibreOffice)", "doc (LibreOffice)", "utf-8",
    ]
    assert [r.text for r in results if not isinstance(r, InputError)] == [txt.rstrip("\n")] * 3 + [txt]
    assert isinstance(results[1], InputError) and results[1].path == str(garbage)
    assert "could not read it as a document (damaged, or not a Word or WPS file)" in results[1].problem


def test_libreoffice_that_hangs_is_killed_after_the_timeout(monkeypatch, tmp_path):
    """A conversion that does not end is stopped, with its whole process group (soffice
    starts soffice.bin), and the file gets one line."""
    from chachong.text.formats import legacy

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pid_file = tmp_path / "child.pid"
    fake = bin_dir / "soffice"
    # Like soffice: a wrapper that starts the real program as a child.
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    monkeypatch.setattr(legacy, "TIMEOUT_BASE_S", 1.0)
    monkeypatch.setattr(legacy, "TIMEOUT_PER_FILE_S", 0.0)
    path = tmp_path / "slow.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(InputError) as caught:
        read_text(path)
    assert caught.value.problem == "LibreOffice did not finish converting it in 1 s"
    child = int(pid_file.read_text(encoding="utf-8"))
    with pytest.raises(ProcessLookupError):
        _wait_gone(child)


def _wait_gone(pid: int) -> None:
    import time

    for _ in range(50):  # the kill is sent; the process may need a moment to be reaped
        os.kill(pid, 0)
        time.sleep(0.1)


# -- .odt and .rtf details --------------------------------------------------------------------


def _odt(path: Path, body: str) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:version="1.3">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)


def test_odt_text_follows_the_docx_rules(tmp_path):
    path = tmp_path / "rules.odt"
    _odt(path, (
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>删掉的字</text:p>"
        "</text:deletion></text:changed-region></text:tracked-changes>"
        "<text:h>一、总体情况</text:h>"
        '<text:p>两个<text:s text:c="2"/>空格<text:tab/>制表<text:line-break/>换行'
        "<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>脚注</text:p>"
        "</text:note-body></text:note>。<text:span>加粗</text:span></text:p>"
        "<text:list><text:list-item><text:p>列表项</text:p></text:list-item></text:list>"
        '<table:table><table:table-row><table:table-cell><text:p>格00</text:p></table:table-cell>'
        '<table:covered-table-cell/><table:table-cell><text:p>格02</text:p></table:table-cell></table:table-row>'
        "<table:table-row><table:table-cell><text:p>格10</text:p><text:p>第二段</text:p></table:table-cell>"
        "</table:table-row></table:table>"
        '<text:p>正文<draw:frame><draw:text-box><text:p>文本框</text:p></draw:text-box></draw:frame>末尾</text:p>'
    ))
    assert read_text(path).text == (
        "一、总体情况\n两个  空格\t制表\n换行。加粗\n列表项\n格00\n格02\n格10\n第二段\n正文末尾"
    )


def test_rtf_in_the_chinese_code_page_and_with_raw_gbk_bytes(tmp_path):
    path = tmp_path / "gbk.rtf"
    escaped = "".join(f"\\'{b:02x}" for b in "查重测试。".encode("gbk"))
    unicode_escaped = "".join(f"\\u{ord(ch)}?" for ch in "第二段")  # how Word writes Chinese
    path.write_bytes(("{\\rtf1\\ansi\\ansicpg936 " + escaped + "\\par " + unicode_escaped + "\\par}").encode("ascii"))
    assert read_text(path).text == "查重测试。\n第二段"
    raw = tmp_path / "raw.rtf"
    raw.write_bytes("{\\rtf1\\ansi\\ansicpg936 原始字节写的中文。\\par}".encode("gbk"))
    assert read_text(raw).text == "原始字节写的中文。"


# -- folders --------------------------------------------------------------------------------


def test_folder_of_documents_in_every_format_is_indexed(cli, office_files, sample_ofd, tmp_path):
    folder = tmp_path / "library"
    folder.mkdir()
    for fmt, path in office_files.sample.items():
        (folder / f"draft.{fmt}").write_bytes(path.read_bytes())
    (folder / "draft.ofd").write_bytes(sample_ofd.read_bytes())
    (folder / "corpus.txt").write_bytes(SMALL_FILE.read_bytes())
    index = tmp_path / "i.sqlite"
    out = cli("index", folder, "--index", index, "--json")
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    assert sorted(Path(p).name for p in report["added"]) == sorted(
        ["corpus.txt", *(f"draft.{fmt}" for fmt in ("txt", "docx", "pdf", "doc", "wps", "odt", "rtf", "ofd"))]
    )
    assert report["skipped"] == []
