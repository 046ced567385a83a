"""Bomb checks for the zip-based formats (.docx, .odt, .ofd), done before any parser runs.

A few kilobytes of zip can unpack to gigabytes of XML, or to millions of empty paragraphs
that python-docx walks at ~10 µs each (a 44 KB .docx of 870,000 empty paragraphs took 57 s;
a 215 KB one of 120 MiB of XML, 23 minutes and 2.9 GB). So before a parser sees a file:

1. the zip's central directory: at most `MAX_ZIP_ENTRIES` entries, at most
   `MAX_UNPACKED_BYTES` in all; the entries that are XML (sniffed from their first bytes,
   whatever their names say) at most `MAX_XML_BYTES` together. Python's zipfile never
   unpacks an entry beyond the size its directory declares (and checks the CRC), so a lying
   directory cannot smuggle more past this check;
2. one pass over that XML at C speed (`bytes.count` and one compiled pattern), no parsing:
   at most `MAX_XML_ELEMENTS` elements, at most `MAX_TEXT_BLOCKS` of the elements whose
   number drives the reader's cost (paragraphs and runs, text objects), and no DTD (no
   office format uses one; refusing them rules out entity expansion).

Each limit is refused with one line naming it. The checks take ~0.2 s on 32 MiB of XML.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from ...errors import InputError

MIB = 1024 * 1024
# Entries in one document: a long .docx has a few dozen, an OFD of 1,000 pages a few
# thousand (one Content.xml per page, plus fonts and images).
MAX_ZIP_ENTRIES = 10_000
# XML unpacked, all parts together: 4× the largest text chachong reads (MAX_FILE_BYTES,
# 8 MiB), room for Word's markup around that much text.
MAX_XML_BYTES = 32 * MIB
# Everything unpacked (python-docx loads every part, images included, into memory).
MAX_UNPACKED_BYTES = 128 * MIB
# Elements of all XML parts together: bounds parse time and memory (~100 bytes each).
MAX_XML_ELEMENTS = 2_000_000
# The elements a reader visits in Python one by one (python-docx: paragraphs, runs and
# links, ~10 µs each; ofdkit: text objects and codes, ~15 µs): bounds the reading time to a
# few seconds. A .docx of 8 MiB of text has ~20,000-100,000 paragraphs and a few runs each.
MAX_TEXT_BLOCKS = 300_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True, slots=True)
class ZipFormat:
    """What to check in one zip-based format."""

    name: str  # as users know it: ".docx", ".odt", ".ofd"
    blocks: re.Pattern[bytes]  # start tags of the elements counted against MAX_TEXT_BLOCKS
    blocks_name: str  # what those are, for the message: "paragraphs and runs"
    reads: Callable[[str], bool]  # which entries the reader unpacks (others only sniffed)


def local_tags(*names: str) -> re.Pattern[bytes]:
    """Start tags (and empty-element tags) with one of these local names, any prefix."""
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:" + alternatives.encode() + rb")[\s/>]")


def checked_xml_parts(data: bytes, fmt: ZipFormat, *, path: object) -> dict[str, bytes]:
    """The XML entries (name → bytes) that ``fmt.reads``, after every check above passed.

    `InputError` naming the file when ``data`` is not a zip or breaks a limit.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise InputError(
                    f"not read: the {fmt.name} file holds {len(infos):,} zip entries "
                    f"(the limit is {MAX_ZIP_ENTRIES:,})",
                    path=path,
                )
            unpacked = sum(info.file_size for info in infos)
            if unpacked > MAX_UNPACKED_BYTES:
                raise InputError(
                    f"not read: the {fmt.name} file unpacks to {unpacked / MIB:,.0f} MiB "
                    f"(the limit is {MAX_UNPACKED_BYTES // MIB} MiB)",
                    path=path,
                )
            # Sniff every entry first, so the XML total is known before anything is unpacked.
            xml_infos = [i for i in infos if not i.is_dir() and fmt.reads(i.filename) and _is_xml(archive, i)]
            xml_bytes = sum(i.file_size for i in xml_infos)
            if xml_bytes > MAX_XML_BYTES:
                raise InputError(
                    f"not read: the {fmt.name} file unpacks to {xml_bytes / MIB:,.0f} MiB of XML "
                    f"(the limit is {MAX_XML_BYTES // MIB} MiB)",
                    path=path,
                )
            parts = {i.filename: archive.read(i) for i in xml_infos}
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        hint = " (an old .doc file? rename it to .doc)" if data.startswith(_OLE_MAGIC) else ""
        raise InputError(f"not a valid {fmt.name} file ({type(exc).__name__}: {exc}){hint}", path=path) from None
    except (RuntimeError, NotImplementedError) as exc:  # encrypted entry; unsupported compression
        raise InputError(f"cannot unpack the {fmt.name} file ({exc})", path=path) from None
    elements = blocks = 0
    for name, xml in parts.items():
        scan = _as_utf8(xml)
        if b"<!DOCTYPE" in scan or b"<!ENTITY" in scan:
            raise InputError(
                f"not read: {name} in the {fmt.name} file declares a DTD, which no office program writes",
                path=path,
            )
        elements += scan.count(b"<") - scan.count(b"</") - scan.count(b"<?") - scan.count(b"<!")
        # Counted one match at a time, stopping past the limit (a list of all matches
        # would take ~100 MB for the 870,000 empty paragraphs).
        for _ in fmt.blocks.finditer(scan):
            blocks += 1
            if blocks > MAX_TEXT_BLOCKS:
                break
        if elements > MAX_XML_ELEMENTS:
            raise InputError(
                f"not read: the {fmt.name} file has {elements:,} XML elements or more "
                f"(the limit is {MAX_XML_ELEMENTS:,})",
                path=path,
            )
        if blocks > MAX_TEXT_BLOCKS:
            raise InputError(
                f"not read: the {fmt.name} file has more than {MAX_TEXT_BLOCKS:,} {fmt.blocks_name} (the limit)",
                path=path,
            )
    return parts


def _is_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an entry's first bytes are XML (a tag after an optional BOM and whitespace)."""
    if info.file_size == 0:
        return False
    with archive.open(info) as stream:
        head = stream.read(256)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head[2:].decode("utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be",
                               errors="ignore").lstrip().startswith("<")
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<")


def _as_utf8(xml: bytes) -> bytes:
    """UTF-16 XML re-encoded, so the byte patterns above see its tags; anything else as is."""
    if xml.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return xml.decode("utf-16", errors="replace").encode("utf-8")
    return xml
