"""Real-world inputs for `index` and `check`: .docx, legacy and Unicode encodings,
traditional characters, folders with unreadable files; and property tests (hypothesis)
over arbitrary Unicode for reading, normalization, sentences and the offset map."""

from __future__ import annotations

import codecs
import itertools
import json

import opencc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chachong.errors import InputError
from chachong.text.normalize import normalize
from chachong.text.reading import decode_bytes, read_text
from chachong.text.sentences import split_sentences

from ..conftest import CORPUS
from ..drafts import ORIGINAL_CLOSING, ORIGINAL_OPENING
from ..fixtures_inputs import (
    SMALL_FILE,
    assert_copies_found,
    docs_state,
    join_parts,
    make_docx,
    planted_lines,
    standard_draft,
)


def _check_json(cli, path, index) -> dict:
    out = cli("check", path, "--json", "--no-text", "--index", index)
    assert out.code == 0, out.stderr
    (line,) = out.stdout.splitlines()
    return json.loads(line)


# -- .docx -------------------------------------------------------------------------------


def test_docx_text_is_paragraphs_then_cells_row_by_row(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("第一段：总体情况。")
    run_paragraph = document.add_paragraph("第二段")
    run_paragraph.add_run().add_break()  # a manual line break inside a paragraph
    run_paragraph.add_run("续行\t制表")
    table = document.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = f"格{r}{c}"
    table.cell(0, 0).merge(table.cell(0, 1))  # horizontal merge: its text once
    table.cell(1, 2).merge(table.cell(2, 2))  # vertical merge: once, in its first row
    document.add_paragraph("末段。")
    path = tmp_path / "d.docx"
    document.save(str(path))
    source = read_text(path)
    assert source.encoding == "docx"
    assert source.text == (
        "第一段：总体情况。\n第二段\n续行\t制表\n"
        "格00\n格01\n格02\n格10\n格11\n格12\n格22\n格20\n格21\n末段。"
    )


def test_docx_draft_offsets_index_the_extracted_text(cli, corpus_index_path, tmp_path):
    library, bank, party = planted_lines()
    path = tmp_path / "draft.docx"
    text = make_docx(
        path,
        [ORIGINAL_OPENING, library.text],
        [["序号", bank.text], ["备注", "本表由办公室汇总。"]],
        [ORIGINAL_CLOSING, party.text],
    )
    assert read_text(path).text == text
    _, where = join_parts(
        [ORIGINAL_OPENING, library, "序号", bank, "备注", "本表由办公室汇总。", ORIGINAL_CLOSING, party]
    )
    row = _check_json(cli, path, corpus_index_path)
    assert row["file"] == str(path)
    assert_copies_found(row, text, where)
    for p in row["passages"]:
        # every span, copy or stock phrase, indexes the extracted text
        assert 0 <= p["start"] < p["end"] <= len(text)
        if p["kind"] == "copy":
            assert text[p["start"] : p["end"]] in (bank.text, library.text, party.text) or any(
                text[p["start"] : p["end"]] in t for t in (bank.text, library.text, party.text)
            )


def test_docx_in_the_index_is_found_as_the_source(cli, tmp_path):
    corpus_text = SMALL_FILE.read_text(encoding="utf-8")
    lines = [line for line in corpus_text.splitlines() if line.strip()]
    long_lines = [line for line in lines if len(line) > 80]
    path = tmp_path / "library.docx"
    # The last long line goes into a table cell: sources inside tables are found too.
    in_table = long_lines[-1]
    body = [line for line in lines if line != in_table]
    extracted = make_docx(path, body, [["附表", in_table]], [])
    index = tmp_path / "i.sqlite"
    out = cli("index", path, "--index", index, "--json")
    assert out.code == 0, out.stderr
    assert json.loads(out.stdout)["added"] == [str(path.resolve())]
    (doc,) = docs_state(cli, index)
    assert doc["file"] == str(path.resolve())
    for passage in (long_lines[2], in_table):
        draft = tmp_path / "draft.txt"
        draft.write_text(ORIGINAL_OPENING + "\n" + passage + "\n", encoding="utf-8")
        row = _check_json(cli, draft, index)
        (p,) = [p for p in row["passages"] if p["kind"] == "copy"]
        assert p["source"]["file"] == str(path.resolve())
        # source offsets index the .docx's extracted text
        s0 = extracted.index(passage)
        assert s0 <= p["source"]["start"] < p["source"]["end"] <= s0 + len(passage)
        assert p["source"]["end"] - p["source"]["start"] >= 0.9 * len(passage)


# -- encodings ------------------------------------------------------------------------------

ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-sig": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16-le-bom": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-16-le-no-bom": lambda t: t.encode("utf-16-le"),
    "gb18030": lambda t: t.encode("gb18030"),
    "gbk": lambda t: t.encode("gbk"),
}
DECODED_AS = {
    "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16-le-bom": "utf-16",
    "utf-16-be-bom": "utf-16", "utf-16-le-no-bom": "utf-16-le", "gb18030": "gb18030", "gbk": "gb18030",
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_check_reads_every_encoding_with_the_same_offsets(cli, corpus_index_path, tmp_path, encoding):
    text, where = standard_draft()
    path = tmp_path / f"draft-{encoding}.txt"
    path.write_bytes(ENCODINGS[encoding](text))
    assert read_text(path).encoding == DECODED_AS[encoding]
    row = _check_json(cli, path, corpus_index_path)
    assert_copies_found(row, text, where)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_index_reads_every_encoding_into_the_same_documents(cli, tmp_path, encoding):
    text = SMALL_FILE.read_text(encoding="utf-8")
    reference = tmp_path / "ref.sqlite"
    assert cli("index", SMALL_FILE, "--index", reference).code == 0
    path = tmp_path / SMALL_FILE.name
    path.write_bytes(ENCODINGS[encoding](text))
    index = tmp_path / "enc.sqlite"
    out = cli("index", path, "--index", index, "--json")
    assert out.code == 0, out.stderr
    strip = lambda docs: [{k: v for k, v in d.items() if k not in ("file", "doc")} for d in docs]  # noqa: E731
    assert strip(docs_state(cli, index)) == strip(docs_state(cli, reference))


def test_traditional_draft_matches_simplified_sources(cli, corpus_index_path, tmp_path):
    text, where = standard_draft()
    traditional = opencc.OpenCC("s2t").convert(text)
    assert traditional != text and len(traditional) == len(text)  # same offsets
    # Big5 files come from Taiwan: OpenCC's Taiwan standard (s2tw) uses Big5's characters
    # (OpenCC's own standard writes variants such as 羣 and 衆 that Big5 lacks).
    big5 = opencc.OpenCC("s2tw").convert(text)
    assert big5 != text and len(big5) == len(text)
    for encoding, draft in (("utf-8", traditional), ("big5", big5)):
        path = tmp_path / f"trad-{encoding}.txt"
        path.write_bytes(draft.encode(encoding))
        assert read_text(path).text == draft
        row = _check_json(cli, path, corpus_index_path)
        assert_copies_found(row, draft, where, min_cover=0.85)
        for p in row["passages"]:
            if p["kind"] == "copy":
                assert p["score"] >= 0.9


# -- folders --------------------------------------------------------------------------------


def test_folder_index_takes_what_it_can_and_lists_the_rest(cli, tmp_path):
    folder = tmp_path / "lib"
    (folder / "sub").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    text = SMALL_FILE.read_text(encoding="utf-8")
    (folder / "a_utf8.txt").write_text((CORPUS / "000_8b880e3bb4cd86c7.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "b_gbk.txt").write_bytes(text.encode("gbk"))
    make_docx(folder / "c_word.docx", [line for line in text.splitlines()[:40] if line.strip()], [["表", "格"]], [])
    (folder / "sub" / "d_utf16.txt").write_bytes(codecs.BOM_UTF16_LE + "第二篇材料。\n内容很短。".encode("utf-16-le"))
    (folder / ".hidden" / "e.txt").write_text("hidden", encoding="utf-8")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    (folder / "photo.png").write_bytes(png)
    (folder / "image.txt").write_bytes(png)
    (folder / "archive.txt").write_bytes(b"PK\x03\x04" + bytes(100))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "garbled.txt").write_bytes(bytes(range(0x81, 0xFF)) * 20)
    (folder / "broken.docx").write_bytes(b"not a zip at all")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4")
    index = tmp_path / "i.sqlite"
    out = cli("index", folder, "--index", index, "--json")
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    resolved = lambda *parts: str(folder.joinpath(*parts).resolve())  # noqa: E731
    assert sorted(report["added"]) == [
        resolved("a_utf8.txt"), resolved("b_gbk.txt"), resolved("c_word.docx"), resolved("sub", "d_utf16.txt"),
    ]
    skipped = {row["file"].rsplit("/", 1)[-1]: row["reason"] for row in report["skipped"]}
    assert skipped == {
        "photo.png": "unsupported file type .png",
        "scan.pdf": skipped["scan.pdf"],
        "image.txt": "binary file (a PNG image), not text",
        "archive.txt": "binary file (a zip archive), not text",
        "empty.txt": "file is empty",
        "garbled.txt": skipped["garbled.txt"],
        "broken.docx": skipped["broken.docx"],
    }
    assert skipped["garbled.txt"].startswith("cannot detect the text encoding")
    assert skipped["broken.docx"].startswith("not a valid .docx file")
    assert skipped["scan.pdf"].startswith("not a valid PDF file")  # a PDF header and nothing else
    files = {d["file"] for d in docs_state(cli, index)}
    assert files == set(report["added"])


# -- property tests over arbitrary Unicode -------------------------------------------------

# Every category except surrogates (not encodable; st.text() leaves them out by default):
# control characters, combining marks, astral planes, private use, unassigned code points.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
# Text drawn from what drafts are made of, so that sentences actually form.
CHINESE = st.text(
    st.sampled_from(
        list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
             "党建员支部组织思想领导新时代特色社会主义县区镇乡街道漢語機關黨頭髮")
        + list("XxD0123456789０１２３４５６７８９（）：，、。！？；“”《》 　\t\n\r")
        + ["\u0301", "\u200b", "\x07", "\U0001F600", "\U00020000", "\ufeff", "\u3000", "⑴", "㍱", "ﬀ", "İ"]
    ),
    max_size=300,
)
MIXED = st.one_of(ANY_TEXT, CHINESE, st.lists(st.one_of(ANY_TEXT, CHINESE), max_size=4).map("".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "gb18030"]))
def test_decoding_encoded_text_round_trips_or_says_why(text, encoding):
    # "utf-16" and "utf-8-sig" write a BOM; UTF-16 BE with one is written by hand.
    data = codecs.BOM_UTF16_BE + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    try:
        decoded, _ = decode_bytes(data)
    except InputError as exc:
        # Refused only for a reason that holds: nothing there, NUL characters, binary magic
        # numbers, or (GB18030 only) no way to tell the bytes from another code page.
        assert exc.problem in ("file is empty",) or "binary file" in exc.problem or (
            encoding == "gb18030" and "cannot detect the text encoding" in exc.problem
        ), exc.problem
        return
    if encoding == "utf-8" and "\x00" in text:
        # NUL bytes in the file: read as BOM-less UTF-16 if that gives readable text
        assert decoded in (_decoded_or_none(data, "utf-16-le"), _decoded_or_none(data, "utf-16-be"))
    elif encoding == "utf-8" and text.startswith("\ufeff"):
        assert decoded == text[1:]  # a leading U+FEFF in UTF-8 *is* a BOM, by definition
    elif encoding == "gb18030" and decoded != text:
        # The ambiguity of undeclared encodings: GB18030 bytes that are also valid UTF-8
        # are read as UTF-8 (tried first); text that does not read as Chinese in GB18030
        # (e.g. only symbols or private-use characters) may read as Big5.
        assert decoded in (_decoded_or_none(data, "utf-8"), _decoded_or_none(data, "cp950"))
    else:
        assert decoded == text


def _decoded_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


# What Chinese official documents are written with: common Han characters (simplified and
# traditional), Chinese and ASCII punctuation, digits, Latin letters, line breaks.
DOCUMENT_TEXT = st.text(
    st.sampled_from(
        list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
             "党建员支部组织思想领导新时代特色社会主义县区镇乡街道漢語機關黨頭髮經濟發展")
        + list("0123456789０１２３４５６７８９（）：，、。！？；“”《》—…%％ 　\n\r\tABCxyzXD")
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(DOCUMENT_TEXT, st.sampled_from(["gb18030", "gbk", "utf-16-le", "utf-16-be"]))
def test_document_text_in_legacy_or_bomless_encodings_round_trips(text, encoding):
    """Document-like text in GB18030/GBK or BOM-less UTF-16 decodes to exactly itself,
    unless its bytes are also valid UTF-8 (possible for a few characters only)."""
    data = text.encode(encoding)
    try:
        decoded, _ = decode_bytes(data)
    except InputError as exc:
        # Refusing is safe; it happens to BOM-less UTF-16 that is not clearly UTF-16 (see
        # below) and to a few characters of GBK that could be anything.
        assert encoding.startswith("utf-16") or len(text) < 8, (exc.problem, text)
        return
    if encoding.startswith("utf-16") and (
        sum(c.isascii() for c in text) < 2 or any(ord(c) & 0xFF == 0 for c in text if not c.isascii())
    ):
        # BOM-less UTF-16 is told by the zero bytes of ASCII characters (line breaks,
        # digits). Without two of them, or with Han characters whose own low byte is zero
        # (一 U+4E00, 　 U+3000) blurring the pattern, short texts can read as something
        # else: a documented limit (save with a BOM).
        return
    # Never a wrong text, except that a few characters can also be valid UTF-8.
    assert decoded == text or (decoded == _decoded_or_none(data, "utf-8") and len(text) < 8), (decoded, text)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
@example(b"\xff\xfe\x00")  # odd length after a UTF-16 BOM
@example(b"\xff\xfe\x00\x00a\x00\x00\x00")  # UTF-32 LE
@example(b"a\x00b\x00")  # UTF-16 LE without BOM, ASCII only
def test_decoding_any_bytes_returns_text_or_input_error(data):
    try:
        text, encoding = decode_bytes(data)
    except InputError as exc:
        assert exc.problem and "\n" not in exc.problem
        return
    assert isinstance(text, str) and encoding
    assert "\x00" not in text  # NUL bytes are sniffed in the first 64 KiB (all of these)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED)
@example("ＸＸ县D委。⑴㍱ﬀ\u0301\U0001F600")
def test_normalized_spans_lie_inside_the_text_and_map_back(text):
    norm = normalize(text)
    starts, ends = norm.starts.tolist(), norm.ends.tolist()
    assert len(starts) == len(ends) == len(norm)
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends))
    assert all(a <= b for a, b in itertools.pairwise(starts))
    sents = split_sentences(norm)
    assert all(0 <= a < b <= len(norm) for a, b in zip(sents.starts.tolist(), sents.ends.tolist()))
    assert "\n" not in "".join(norm.text[a:b] for a, b in zip(sents.starts.tolist(), sents.ends.tolist()))
    for a, b in zip(sents.starts.tolist(), sents.ends.tolist()):
        lo, hi = norm.original_span(a, b)
        assert 0 <= lo < hi <= len(text)
        # what check relies on: the original slice of a sentence normalizes to that sentence
        assert normalize(text[lo:hi]).text == norm.text[a:b]


@pytest.fixture(scope="module")
def sqlite_corpus(corpus_index_path):
    from chachong.store import open_store

    store = open_store(corpus_index_path)
    yield store
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MIXED, min_size=3, max_size=3), st.permutations([0, 1, 2]))
def test_check_spans_of_noisy_drafts_lie_inside_and_map_back(sqlite_corpus, noise, order):
    """Corpus lines between arbitrary Unicode: every reported span indexes the draft, the
    passage text is that slice, source spans index the source document, and each
    planted line is still found with its source."""
    from chachong.match.check import check_text

    lines = [planted_lines()[i] for i in order]
    text, where = join_parts([noise[0], lines[0], noise[1], lines[1], noise[2], lines[2]])
    result = check_text(sqlite_corpus, text, file="noisy.txt")
    assert result.chars == len(text) and 0.0 <= result.copy_ratio <= 1.0
    docs = {d.name: d for d in sqlite_corpus.documents()}
    for p in result.passages:
        assert 0 <= p.start < p.end <= len(text) and p.text == text[p.start : p.end]
        if p.source is not None:
            doc = docs[p.source.doc]
            assert doc.start <= p.source.start < p.source.end <= doc.end
            assert p.source_text == doc.text[p.source.start - doc.start : p.source.end - doc.start]
    for start, end, planted in where:
        assert any(
            p.kind == "copy" and p.source.doc == planted.doc and p.start < end and start < p.end
            for p in result.passages
        ), (planted.doc, [(p.kind, p.source and p.source.doc, p.start, p.end) for p in result.passages])
