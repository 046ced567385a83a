"""Zip bombs in every zip-based format (.docx, .odt, .ofd): refused with one line before
any parser sees them (issue 15.5), whether they unpack to too much XML, to too many
elements or paragraphs, to too many entries, or declare a DTD."""

from __future__ import annotations

import io
import zipfile

import pytest

from chachong.text.formats import archive

from ..fixtures_inputs import assert_one_line_error, docs_state, file_digest

W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
MIB = 1024 * 1024


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name, data in entries.items():
            out.writestr(name, data)
    return buffer.getvalue()


def docx(body: bytes, **extra: bytes) -> bytes:
    """A .docx python-docx opens: content types, package relationship, main document."""
    return zipped({
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        b'Target="word/document.xml"/></Relationships>',
        "word/document.xml": b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + W + b"><w:body>" + body + b"</w:body></w:document>",
        **extra,
    })


def odt(body: bytes) -> bytes:
    return zipped({
        "mimetype": b"application/vnd.oasis.opendocument.text",
        "content.xml": b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        + body + b"</office:text></office:body></office:document-content>",
    })


def ofd(layer: bytes) -> bytes:
    ns = b'xmlns:ofd="http://www.ofdspec.org/2016"'
    return zipped({
        "OFD.xml": b"<ofd:OFD " + ns + b' Version="1.0" DocType="OFD"><ofd:DocBody>'
        b"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": b"<ofd:Document " + ns + b'><ofd:Pages><ofd:Page ID="1" '
        b'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/Pages/Page_0/Content.xml": b"<ofd:Page " + ns + b'><ofd:Content><ofd:Layer ID="2">'
        + layer + b"</ofd:Layer></ofd:Content></ofd:Page>",
    })


PARAGRAPH = "<w:p><w:r><w:t>中文段落，用来撑大文件。</w:t></w:r></w:p>".encode()
ODT_PARAGRAPH = "<text:p>中文段落，用来撑大文件。</text:p>".encode()
BOMBS = {
    # name: (file name, builder, the one-line problem)
    "870k-empty-paragraphs": (
        "empty.docx", lambda: docx(b"<w:p/>" * 870_000),
        "not read: the .docx file has more than 300,000 paragraphs and runs (the limit)",
    ),
    "40-MiB-of-xml": (
        "huge.docx", lambda: docx(PARAGRAPH * (40 * MIB // len(PARAGRAPH))),
        "not read: the .docx file unpacks to 40 MiB of XML (the limit is 32 MiB)",
    ),
    "2.1M-elements": (
        "elements.docx", lambda: docx(b"<w:p>" + b"<a/>" * 2_100_000 + b"</w:p>"),
        "not read: the .docx file has 2,100,009 XML elements or more (the limit is 2,000,000)",
    ),
    "130-MiB-unpacked": (
        "image.docx", lambda: docx(PARAGRAPH, **{"word/media/image1.png": bytes(130 * MIB)}),
        "not read: the .docx file unpacks to 130 MiB (the limit is 128 MiB)",
    ),
    "10k-entries": (
        "entries.docx", lambda: docx(PARAGRAPH, **{f"word/media/{i}.bin": b"" for i in range(10_000)}),
        "not read: the .docx file holds 10,003 zip entries (the limit is 10,000)",
    ),
    "dtd": (
        "dtd.docx", lambda: zipped({"word/document.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'}),
        "not read: word/document.xml in the .docx file declares a DTD, which no office program writes",
    ),
    "odt-40-MiB": (
        "huge.odt", lambda: odt(ODT_PARAGRAPH * (40 * MIB // len(ODT_PARAGRAPH))),
        "not read: the .odt file unpacks to 40 MiB of XML (the limit is 32 MiB)",
    ),
    "odt-400k-paragraphs": (
        "paragraphs.odt", lambda: odt(b"<text:p/>" * 400_000),
        "not read: the .odt file has more than 300,000 paragraphs and spans (the limit)",
    ),
    "ofd-300k-text-objects": (
        "objects.ofd", lambda: ofd(b"<ofd:TextObject/>" * 300_001),
        "not read: the .ofd file has more than 300,000 text objects (the limit)",
    ),
}


@pytest.fixture
def parsers_must_not_run(monkeypatch):
    """The limits are checked before parsing: the parsers fail the test if they are reached."""
    import docx as python_docx
    import ofdkit

    from chachong.text.formats import odt as odt_reader

    def reached(*_args, **_kwargs):
        raise AssertionError("a parser ran on a file the bomb checks should have refused")

    monkeypatch.setattr(python_docx, "Document", reached)
    monkeypatch.setattr(ofdkit, "open", reached)
    monkeypatch.setattr(odt_reader.ET, "fromstring", reached)


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_bomb_is_refused_before_parsing(cli, small_index, tmp_path, parsers_must_not_run, case):
    name, build, problem = BOMBS[case]
    path = tmp_path / name
    path.write_bytes(build())
    before, state = file_digest(small_index), docs_state(cli, small_index)
    assert_one_line_error(cli("check", path, "--index", small_index), str(path), problem)
    assert_one_line_error(cli("index", path, "--index", small_index), str(path), problem)
    assert file_digest(small_index) == before and docs_state(cli, small_index) == state


def test_the_870k_paragraph_docx_is_small():
    """The issue's case: a few kilobytes that unpack to 5 MB of empty paragraphs."""
    data = BOMBS["870k-empty-paragraphs"][1]()
    assert len(data) < 64 * 1024
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.getinfo("word/document.xml").file_size > 5_000_000


def test_limits_leave_room_for_real_documents(tmp_path):
    """Just under each limit is read: 290,000 paragraphs and runs; 31 MiB of XML."""
    from chachong.text.reading import read_text

    text = "第一段。"
    path = tmp_path / "big.docx"
    # 145,000 paragraphs of one run: 290,000 paragraphs and runs.
    path.write_bytes(docx(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode() * 145_000))
    source = read_text(path)
    assert source.text == "\n".join([text] * 145_000)
    assert archive.MAX_TEXT_BLOCKS == 300_000 and archive.MAX_XML_BYTES == 32 * MIB
