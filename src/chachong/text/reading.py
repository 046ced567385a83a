"""Reading input files into text.

`read_text` returns the text exactly as the user's offsets will refer to it. For a text
file that is the file decoded, BOM removed, nothing else changed (line endings included),
so that every offset we report can be used with ``text[start:end]`` on the same decoded
file. For a document format it is the text chachong extracts, one paragraph per line, the
same for a document whichever format it was saved in (see `chachong.text.formats`):

* .docx (python-docx), .odt (the standard library), .rtf (striprtf): body paragraphs and
  table cells, one per line;
* .pdf (pypdfium2) and .ofd (ofdkit): the text layer, with the visual lines of each page
  joined back into paragraphs and running headers, footers and page numbers dropped
  (`formats.layout`); `SourceText.page_starts` says where each page begins in that text;
* .doc and .wps: the text LibreOffice (or, for .doc, antiword) writes for them.

Encodings of text files, in the order they are tried: a BOM (UTF-8, UTF-16 LE/BE); UTF-16
without a BOM when the NUL bytes say so; strict UTF-8; then the legacy Chinese code pages
GB18030 (a superset of GBK and GB2312) and Big5 (cp950), each accepted only if the decoded
text reads like Chinese (see `_plausible_chinese`), because both decode almost any byte
soup. Anything else is an `InputError` that names the file; nothing is guessed silently.

Only regular files are read (`file_kind_problem`), and never more than the limit plus one
byte, whatever the file system says of their size.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import InputError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ""})
DOCX_SUFFIXES = frozenset({".docx"})
PDF_SUFFIXES = frozenset({".pdf"})
OFD_SUFFIXES = frozenset({".ofd"})
# Word 97-2003 and WPS Office's own format: read through LibreOffice (or antiword).
CONVERTED_SUFFIXES = frozenset({".doc", ".wps"})
ODT_SUFFIXES = frozenset({".odt"})
RTF_SUFFIXES = frozenset({".rtf"})
DOCUMENT_SUFFIXES = DOCX_SUFFIXES | PDF_SUFFIXES | OFD_SUFFIXES | CONVERTED_SUFFIXES | ODT_SUFFIXES | RTF_SUFFIXES
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCUMENT_SUFFIXES
_EXPECTED = ".txt, .docx, .pdf, .ofd, .doc, .wps, .odt or .rtf"

# Largest text we read. Every stage holds a few numpy arrays per character, so memory is
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
# A document file (.docx, .pdf, …) may be larger than its text, for its images and fonts:
# up to this size the file is read, and its extracted text is held to ``max_bytes``.
MAX_DOCUMENT_FILE_BYTES = 64 * 1024 * 1024
# Decoded legacy-code-page text must have at least this share of Han characters among
# the 3,755 common ones (GB2312 level 1, after traditional→simplified) to be accepted.
MIN_COMMON_HAN_SHARE = 0.8
MIN_HAN_FOR_SHARE = 16  # below this many Han characters the share says nothing

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
# Magic numbers of common binary formats that users rename to .txt by mistake.
_BINARY_MAGIC = (
    (_ZIP_MAGIC, "a zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF file"),
    (_OLE_MAGIC, "an old Word/Excel (OLE) file"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


@dataclass(frozen=True, slots=True)
class SourceText:
    """A decoded input file.

    ``encoding``: for a text file the encoding it was decoded with ("utf-8", "gb18030",
    …); for a document, how it was read: "docx", "pdf", "ofd", "odt", "rtf",
    "doc (LibreOffice)", "doc (antiword)", "wps (LibreOffice)". ``format``: the short
    name of the format ("txt", "docx", "pdf", …), from the content where it differs from
    the name (a .doc that is really RTF is "rtf"). ``page_starts``: for .pdf and .ofd, the
    offset in ``text`` where each page's text begins (page k+1 begins at
    ``page_starts[k]``; the page of offset o is ``bisect_right(page_starts, o)``); empty
    for the other formats.
    """

    path: Path
    text: str
    encoding: str
    sha256: str
    format: str = "txt"
    page_starts: tuple[int, ...] = ()


def file_kind_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a file (missing, a folder, a device, a FIFO, a
    socket, a broken link), or None for a regular file (symbolic links followed).

    For walking folders: such entries are skipped with this reason instead of being
    opened (opening a FIFO blocks; reading /dev/zero never ends).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.lexists(path):
            return "is a broken symbolic link"
        return "no such file or directory"
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(path):  # a loop of links leads nowhere either
            return "is a broken symbolic link"
        return f"cannot read: {exc.strerror or exc}"
    return _mode_problem(mode)


_NOT_A_FILE = (
    (stat.S_ISDIR, "is a directory, expected a file"),
    (stat.S_ISCHR, "is a character device (like /dev/zero), not a file"),
    (stat.S_ISBLK, "is a block device, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a file"),
    (stat.S_ISSOCK, "is a socket, not a file"),
)


def _mode_problem(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((problem for test, problem in _NOT_A_FILE if test(mode)), "is not a regular file")


def read_text(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> SourceText:
    """Read one file (any of `SUPPORTED_SUFFIXES`); raise `InputError` naming the file on
    any problem. Offsets reported later index ``.text``, as described above."""
    (result,) = read_texts([path], max_bytes=max_bytes)
    if isinstance(result, InputError):
        raise result
    return result


def read_texts(paths: Iterable[str | Path], *, max_bytes: int = MAX_FILE_BYTES) -> list[SourceText | InputError]:
    """Read several files: for each, its `SourceText` or the `InputError` saying why not.

    The same as `read_text` on each, except that .doc and .wps files are converted by one
    LibreOffice call for all of them (its start-up, ~1 s, is most of the cost).
    """
    from .formats import legacy

    results: list[SourceText | InputError | None] = []
    pending: list[tuple[int, Path, bytes, str, str]] = []  # index, path, data, digest, suffix
    for raw in paths:
        path = Path(raw)
        try:
            suffix = path.suffix.lower()
            data = _read_bytes(path, suffix, max_bytes)
            digest = hashlib.sha256(data).hexdigest()
            kind = _kind(suffix, data)
            if kind in CONVERTED_SUFFIXES:
                problem = legacy.missing_converter(kind)
                if problem is None and not legacy.find_soffice() and not data.startswith(_OLE_MAGIC):
                    problem = ("not a Word 97-2003 file, the only kind antiword reads: install LibreOffice "
                               "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui), or save it as .docx")
                if problem:
                    raise InputError(problem, path=path)
                pending.append((len(results), path, data, digest, kind))
                results.append(None)
                continue
            results.append(_checked(_extract(path, kind, data, digest, max_bytes), max_bytes))
        except InputError as exc:
            results.append(exc)
    if pending:
        converted = legacy.convert([(data, kind) for _, _, data, _, kind in pending], max_bytes=max_bytes)
        for (index, path, _, digest, kind), result in zip(pending, converted):
            try:
                if result.problem is not None:
                    raise InputError(result.problem, path=path)
                if result.docx is not None:
                    from .formats.docx import docx_text

                    text = docx_text(result.docx, path=path)
                else:
                    text = result.text or ""
                if text.strip() and not (_looks_like_text(text) and _plausible_chinese(text)):
                    # LibreOffice imports any bytes it cannot identify as plain text.
                    raise InputError(
                        f"{result.converter} could not read it as a document (damaged, or not a Word or WPS "
                        "file): what it gave is not readable text",
                        path=path,
                    )
                how = f"{kind[1:]} ({result.converter})"
                results[index] = _checked(SourceText(path, text, how, digest, format=kind[1:]), max_bytes)
            except InputError as exc:
                results[index] = exc
    return [r for r in results if r is not None]


def _read_bytes(path: Path, suffix: str, max_bytes: int) -> bytes:
    """The file's bytes: at most the limit for its kind, and only from a regular file."""
    problem = file_kind_problem(path)
    if problem:
        raise InputError(problem, path=path)
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"unsupported file type {suffix!r} (expected {_EXPECTED})", path=path)
    limit = max(max_bytes, MAX_DOCUMENT_FILE_BYTES) if suffix in DOCUMENT_SUFFIXES else max_bytes
    # O_NONBLOCK: if the path became a FIFO since the check above, opening it must not
    # wait for a writer; fstat on the open file then refuses it (no race with the check).
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    with os.fdopen(fd, "rb") as stream:
        try:
            info = os.fstat(fd)
            problem = _mode_problem(info.st_mode)
            if problem:
                raise InputError(problem, path=path)
            if info.st_size > limit:
                raise InputError(_too_large(info.st_size, limit), path=path)
            data = stream.read(limit + 1)  # never more, whatever st_size said
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if len(data) > limit:  # grew since fstat(), or a file reporting a wrong size (/proc)
        raise InputError(_too_large_unknown(limit), path=path)
    return data


def _kind(suffix: str, data: bytes) -> str:
    """Which reader a file needs: its suffix, unless its first bytes say otherwise (Word and
    WPS save RTF or .docx under a .doc name; an old .doc renamed .docx)."""
    if suffix in CONVERTED_SUFFIXES:
        if data.lstrip().startswith(b"{\\rtf"):
            return ".rtf"
        if data.startswith(_ZIP_MAGIC):
            return ".docx"
    if suffix in DOCX_SUFFIXES and data.startswith(_OLE_MAGIC):
        return ".doc"
    return suffix


def _extract(path: Path, kind: str, data: bytes, digest: str, max_bytes: int) -> SourceText:
    if kind in DOCX_SUFFIXES:
        from .formats.docx import docx_text

        return SourceText(path, docx_text(data, path=path), "docx", digest, format="docx")
    if kind in PDF_SUFFIXES:
        from .formats.pdf import pdf_text

        paged = pdf_text(data, path=path, max_chars=max_bytes)
        return SourceText(path, paged.text, "pdf", digest, format="pdf", page_starts=paged.page_starts)
    if kind in OFD_SUFFIXES:
        from .formats.ofd import ofd_text

        paged = ofd_text(data, path=path, max_chars=max_bytes)
        return SourceText(path, paged.text, "ofd", digest, format="ofd", page_starts=paged.page_starts)
    if kind in ODT_SUFFIXES:
        from .formats.odt import odt_text

        return SourceText(path, odt_text(data, path=path), "odt", digest, format="odt")
    if kind in RTF_SUFFIXES:
        from .formats.rtf import rtf_text

        text = rtf_text(data, path=path, decode=lambda raw: decode_bytes(raw, path=path)[0])
        return SourceText(path, text, "rtf", digest, format="rtf")
    text, encoding = decode_bytes(data, path=path)
    return SourceText(path, text, encoding, digest)


def _checked(source: SourceText, max_bytes: int) -> SourceText:
    """``source`` if its text is neither empty nor over the limit."""
    if source.format == "txt":
        return source  # its size was checked on the file; decode_bytes refuses empty files
    if not source.text.strip():
        raise InputError("document contains no text", path=source.path)
    size = len(source.text.encode("utf-8"))
    if size > max_bytes:
        raise InputError(_too_large(size, max_bytes, what="text"), path=source.path)
    return source


def _too_large(size: int, limit: int, *, what: str = "file") -> str:
    mib = 1024 * 1024
    return f"{what} too large ({size / mib:.1f} MiB; the limit is {limit / mib:g} MiB): split it into smaller files"


def _too_large_unknown(limit: int) -> str:
    return f"file too large (more than the limit of {limit / (1024 * 1024):g} MiB): split it into smaller files"


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
