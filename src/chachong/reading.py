"""Reading input files into text.

`read_text` returns the text exactly as the user's offsets will refer to it: decoded,
BOM removed, nothing else changed (line endings included), so that every offset we
report can be used with ``text[start:end]`` on the same decoded file.
"""

from __future__ import annotations

import codecs
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ""})
DOCX_SUFFIXES = frozenset({".docx"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES

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


def read_text(path: str | Path) -> SourceText:
    """Read a .txt or .docx file; raise `InputError` naming the file on any problem."""
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
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    digest = hashlib.sha256(data).hexdigest()
    if suffix in DOCX_SUFFIXES:
        return SourceText(path, _docx_text(path, data), "docx", digest)
    text, encoding = decode_bytes(data, path=path)
    return SourceText(path, text, encoding, digest)


def decode_bytes(data: bytes, *, path: object = None) -> tuple[str, str]:
    """Decode text bytes: BOMs first, then strict UTF-8, then strict GB18030."""
    if not data:
        raise InputError("file is empty", path=path)
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", path), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", path), "utf-16"
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise InputError(f"binary file ({what}), not text", path=path)
    if b"\x00" in data[:65536]:
        raise InputError("binary file (contains NUL bytes), not text", path=path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(
            "cannot detect the text encoding (tried UTF-8, UTF-16 with BOM, GB18030/GBK)",
            path=path,
        ) from None
    # GB18030 decodes almost any byte soup; accept it only if it looks like text.
    if not _looks_like_text(text):
        raise InputError(
            "cannot detect the text encoding (bytes decode to no readable text)", path=path
        )
    return text, "gb18030"


def _strict(data: bytes, encoding: str, path: object) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid {encoding} at byte {exc.start}", path=path) from None


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    sample = text[:20000]
    readable = sum(
        1
        for ch in sample
        if ch.isspace()
        or ch.isascii() and ch.isprintable()
        or "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
    )
    return readable / len(sample) >= 0.85


def _docx_text(path: Path, data: bytes) -> str:
    """Text of a .docx: body paragraphs, then table cells, one per line.

    Offsets reported for a .docx point into this extracted text (paragraphs in document
    order, each table cell's paragraphs after the body paragraph that precedes the
    table), joined with newlines.
    """
    import io

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
    except (zipfile.BadZipFile, KeyError, ValueError, Exception) as exc:  # noqa: BLE001
        raise InputError(f"not a valid .docx file ({type(exc).__name__})", path=path) from None

    lines: list[str] = []

    def walk_table(table: Table) -> None:
        for row in table.rows:
            seen = set()
            for cell in row.cells:
                # Merged cells appear once per grid column in python-docx.
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
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
