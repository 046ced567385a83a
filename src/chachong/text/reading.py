"""Reading input files into text.

`read_text` returns the text exactly as the user's offsets will refer to it: decoded,
BOM removed, nothing else changed (line endings included), so that every offset we
report can be used with ``text[start:end]`` on the same decoded file.

Encodings, in the order they are tried: a BOM (UTF-8, UTF-16 LE/BE); UTF-16 without a
BOM when the NUL bytes say so; strict UTF-8; then the legacy Chinese code pages GB18030
(a superset of GBK and GB2312) and Big5 (cp950), each accepted only if the decoded text
reads like Chinese (see `_plausible_chinese`), because both decode almost any byte soup.
Anything else is an `InputError` that names the file; nothing is guessed silently.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import InputError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ""})
DOCX_SUFFIXES = frozenset({".docx"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES

# Largest file we read. Every stage holds a few numpy arrays per character, so memory is
# about 40 bytes per input byte (measured, one-line files: 5 MB index 1.2 s / 240 MB,
# 8 MiB index 1.7 s / 370 MB);
# 8 MiB (~2.8 million Chinese characters, thousands of pages) stays well inside a small
# machine, and a bigger file is refused up front (from its size, before reading it)
# instead of exhausting memory half-way through a run.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Largest draft `check` should accept: matching grows faster than linearly with the draft
# (measured against the bundled corpus, one-line drafts: 1 MiB 7.5 s / 120 MB, 2 MiB 22 s /
# 140 MB, 8 MiB not done in 300 s), and real drafts
# are a few hundred KB at most. For the CLI: ``read_text(path, max_bytes=MAX_DRAFT_BYTES)``.
MAX_DRAFT_BYTES = 1024 * 1024
# A .docx is a zip: refuse archives that unpack to more than this (a zip bomb, or a
# document far larger than MAX_FILE_BYTES of text) before python-docx unpacks them.
MAX_DOCX_UNPACKED_BYTES = 16 * MAX_FILE_BYTES
# Decoded legacy-code-page text must have at least this share of Han characters among
# the 3,755 common ones (GB2312 level 1, after traditional→simplified) to be accepted.
MIN_COMMON_HAN_SHARE = 0.8
MIN_HAN_FOR_SHARE = 16  # below this many Han characters the share says nothing

# Magic numbers of common binary formats that users rename to .txt by mistake.
_BINARY_MAGIC = (
    (b"PK\x03\x04", "a zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF file"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Excel (OLE) file"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


@dataclass(frozen=True, slots=True)
class SourceText:
    """A decoded input file."""

    path: Path
    text: str
    encoding: str
    sha256: str


def read_text(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> SourceText:
    """Read a .txt or .docx file; raise `InputError` naming the file on any problem.

    For a .docx the text is its body paragraphs and table cells joined with newlines
    (see `_docx_text`); reported offsets index into that text.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or directory", path=path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path=path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix!r} (expected .txt or .docx)", path=path
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(_too_large(size, max_bytes), path=path)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if len(data) > max_bytes:  # grew since stat(), or a special file reporting size 0
        raise InputError(_too_large(len(data), max_bytes), path=path)
    digest = hashlib.sha256(data).hexdigest()
    if suffix in DOCX_SUFFIXES:
        text = _docx_text(path, data)
        if len(text.encode("utf-8")) > max_bytes:
            raise InputError(_too_large(len(text.encode("utf-8")), max_bytes, what="text"), path=path)
        return SourceText(path, text, "docx", digest)
    text, encoding = decode_bytes(data, path=path)
    return SourceText(path, text, encoding, digest)


def _too_large(size: int, limit: int, *, what: str = "file") -> str:
    mib = 1024 * 1024
    return f"{what} too large ({size / mib:.1f} MiB; the limit is {limit / mib:g} MiB): split it into smaller files"


def decode_bytes(data: bytes, *, path: object = None) -> tuple[str, str]:
    """Decode text bytes → (text, encoding name); `InputError` if no encoding fits.

    BOMs first (UTF-8, UTF-16), then UTF-16 without BOM, strict UTF-8, GB18030, Big5.
    """
    if not data:
        raise InputError("file is empty", path=path)
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", path), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # UTF-32 LE's BOM starts with UTF-16 LE's; its text is full of NULs, refused below.
        text = _strict(data, "utf-16", path)
        if "\x00" in text:
            raise InputError("binary file (NUL characters after a UTF-16 BOM), not text", path=path)
        return text, "utf-16"
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise InputError(f"binary file ({what}), not text", path=path)
    head = data[:65536]
    if b"\x00" in head:
        # Text never holds NUL, but UTF-16 saved without a BOM does (every ASCII character
        # has a zero byte); accept that only if it decodes to readable text.
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return utf16
        raise InputError("binary file (contains NUL bytes), not text", path=path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in ("gb18030", "cp950"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text) and _plausible_chinese(text):
            return text, "gb18030" if encoding == "gb18030" else "big5"
    raise InputError(
        "cannot detect the text encoding (not UTF-8 or UTF-16, and it does not read as "
        "Chinese text in GB18030/GBK or Big5)",
        path=path,
    )


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    if len(data) % 2:
        return None
    head = data[:65536]
    # ASCII characters (line breaks, digits) put their zero byte second in LE, first in
    # BE; binary data has zeros at both. A few on the other side are Han characters such
    # as U+4E00 (一), whose low byte is zero.
    odd_zeros = head[1::2].count(0)
    even_zeros = head[0::2].count(0)
    most, other = max(odd_zeros, even_zeros), min(odd_zeros, even_zeros)
    if most < 2 or other > most // 4:
        return None
    encoding = "utf-16-le" if odd_zeros > even_zeros else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if "\x00" in text or not _looks_like_text(text) or not _plausible_chinese(text):
        return None
    return text, encoding


def _strict(data: bytes, encoding: str, path: object) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid {encoding} at byte {exc.start}", path=path) from None


@lru_cache(maxsize=1)
def _common_han() -> frozenset[str]:
    """The 3,755 common Han characters (GB2312 level 1: lead bytes 0xB0-0xD7)."""
    out = set()
    for cp in range(0x4E00, 0xA000):
        try:
            encoded = chr(cp).encode("gb2312")
        except UnicodeEncodeError:
            continue
        if 0xB0 <= encoded[0] <= 0xD7:
            out.add(chr(cp))
    return frozenset(out)


def _plausible_chinese(text: str) -> bool:
    """Whether Han characters in ``text`` are mostly common ones.

    Why: GB18030 and Big5 decode nearly any byte sequence (random bytes, or Big5 read as
    GBK) into valid but rare characters, while real Chinese prose draws ~99% of its
    characters from the common 3,755; random or mis-decoded bytes hit them about half
    the time or less. Traditional characters are mapped to simplified ones first (the
    same OpenCC table normalization uses) so traditional text in GBK or Big5 passes.
    """
    from .normalize import t2s_table  # the project's one traditional→simplified table

    sample = text[:20000]
    han = [ch for ch in sample if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"]
    if len(han) < MIN_HAN_FOR_SHARE:
        return True  # too little Chinese to judge; _looks_like_text has the final word
    table, common = t2s_table(), _common_han()
    hits = sum(1 for ch in han if table.get(ch, ch) in common)
    return hits / len(han) >= MIN_COMMON_HAN_SHARE


def _looks_like_text(text: str) -> bool:
    """Whether at least 85% of ``text`` is printable characters or whitespace.

    Private-use and unassigned code points count as unreadable: that is where GB18030
    puts most byte pairs that are not characters of any real text.
    """
    if not text:
        return False
    sample = text[:20000]
    readable = sum(
        1
        for ch in sample
        if ch.isspace() or (ch.isprintable() and unicodedata.category(ch) not in ("Co", "Cn"))
    )
    return readable / len(sample) >= 0.85


def _docx_text(path: Path, data: bytes) -> str:
    """Text of a .docx: body paragraphs and table cells, one per line.

    Offsets reported for a .docx point into this extracted text: the body's paragraphs
    and tables in document order, a table read row by row, each cell's paragraphs (and
    nested tables) in order, a merged cell once; every paragraph is one line and lines
    are joined with ``"\\n"`` (python-docx renders a manual line break inside a paragraph
    as ``"\\n"`` and a tab as ``"\\t"``). Headers, footers, footnotes, comments and text
    boxes are not read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise InputError(f"not a valid .docx file ({type(exc).__name__}: {exc})", path=path) from None
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise InputError(
            f"not read: the .docx unpacks to {unpacked / 2**20:.0f} MiB "
            f"(more than {MAX_DOCX_UNPACKED_BYTES / 2**20:g} MiB)",
            path=path,
        )
    try:
        import docx  # python-docx
        from docx.document import Document as _Document  # noqa: F401
        from docx.oxml.ns import qn
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:  # pragma: no cover - python-docx is a core dependency
        raise InputError("reading .docx needs python-docx", path=path) from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many types for bad files
        raise InputError(f"not a valid .docx file ({type(exc).__name__})", path=path) from None

    lines: list[str] = []

    def walk_table(table: Table) -> None:
        # python-docx yields a merged cell once per grid column it spans and, for a
        # vertical merge, again in each row below: read each cell element once per table.
        # The elements are kept alive in the dict, so a freed lxml proxy's id() cannot be
        # reused by another cell and wrongly skip it.
        seen: dict[int, object] = {}
        for row in table.rows:
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen[id(cell._tc)] = cell._tc
                for paragraph in cell.paragraphs:
                    lines.append(paragraph.text)
                for inner in cell.tables:
                    walk_table(inner)

    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(Paragraph(child, document).text)
        elif child.tag == qn("w:tbl"):
            walk_table(Table(child, document))
    text = "\n".join(lines)
    if not text.strip():
        raise InputError("document contains no text", path=path)
    return text
