""".odt (OpenDocument text: LibreOffice, WPS and Word can save it) with the standard library.

Why no library: the text of an .odt is ``content.xml``'s ``text:p``/``text:h`` elements
with three inline markers (``text:s`` for runs of spaces, ``text:tab``,
``text:line-break``) — forty lines with zipfile and ElementTree. The one maintained
candidate, odfpy (last release 2020), gave the same text through `teletype.extractText`
and would add two dependencies for it. ElementTree is safe here: expat ≥ 2.4 caps entity
expansion, and `archive` refuses DTDs and bounds the XML before it is parsed.

The text follows the .docx reader's rules, so the same document gives the same offsets
either way: each paragraph or heading of the body one line (lists and sections read
through, a table row by row, each cell's paragraphs in order), lines joined with ``"\\n"``;
footnotes, comments (annotations), text boxes, deleted text of tracked changes, and the
headers and footers (kept in ``styles.xml``) are not read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ...errors import InputError
from .archive import ZipFormat, checked_xml_parts, local_tags

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"


def _t(name: str) -> str:
    return f"{{{_TEXT}}}{name}"


_PARAGRAPHS = frozenset({_t("p"), _t("h")})
# Never read: notes and comments (as in .docx), deleted text kept for tracked changes,
# text boxes and other drawings anchored in a paragraph, declarations without text.
_SKIPPED = frozenset({
    _t("note"), _t("tracked-changes"), _t("sequence-decls"), _t("variable-decls"),
    _t("user-field-decls"), f"{{{_OFFICE}}}annotation", f"{{{_OFFICE}}}annotation-end",
    f"{{{_DRAW}}}frame", f"{{{_DRAW}}}custom-shape", f"{{{_DRAW}}}g",
})

ODT = ZipFormat(
    name=".odt", blocks=local_tags("p", "h", "span"), blocks_name="paragraphs and spans",
    reads=lambda name: name == "content.xml",
)


def odt_text(data: bytes, *, path: object) -> str:
    """The paragraphs of an .odt, one per line (see the module's docstring)."""
    parts = checked_xml_parts(data, ODT, path=path)
    if "content.xml" not in parts:
        raise InputError("not a valid .odt file (no content.xml)", path=path)
    try:
        root = ET.fromstring(parts["content.xml"])  # noqa: S314 - no DTD (checked), expat caps entities
    except ET.ParseError as exc:
        raise InputError(f"not a valid .odt file (content.xml: {exc})", path=path) from None
    body = root.find(f"{{{_OFFICE}}}body/{{{_OFFICE}}}text")
    if body is None:
        raise InputError("not a text document (.odt without a text body: a spreadsheet or drawing?)", path=path)
    lines: list[str] = []
    try:
        _blocks(body, lines)
    except RecursionError:
        raise InputError("not read: the .odt file nests its elements too deeply", path=path) from None
    return "\n".join(lines)


def _blocks(element: ET.Element, lines: list[str]) -> None:
    """Paragraphs below ``element`` in document order (containers read through)."""
    for child in element:
        if child.tag in _PARAGRAPHS:
            out: list[str] = []
            _inline(child, out)
            lines.append("".join(out))
        elif child.tag not in _SKIPPED:
            _blocks(child, lines)


def _inline(element: ET.Element, out: list[str]) -> None:
    if element.text:
        out.append(element.text)
    for child in element:
        if child.tag == _t("s"):
            out.append(" " * _count(child.get(_t("c"))))
        elif child.tag == _t("tab"):
            out.append("\t")
        elif child.tag == _t("line-break"):
            out.append("\n")
        elif child.tag not in _SKIPPED:
            _inline(child, out)
        if child.tail:
            out.append(child.tail)


def _count(value: str | None) -> int:
    """``text:c``, the number of spaces of a ``text:s`` (1 when absent; capped, as it is
    untrusted: a huge count must not make a huge string)."""
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1
