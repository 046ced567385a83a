""".docx through python-docx, after the bomb checks of `archive`."""

from __future__ import annotations

import io

from ...errors import InputError
from .archive import ZipFormat, checked_xml_parts, local_tags

# python-docx unpacks and loads every part, so every XML entry is checked; its cost is a
# compiled XPath per paragraph, run and hyperlink (~10 µs each).
DOCX = ZipFormat(
    name=".docx", blocks=local_tags("p", "r", "hyperlink"), blocks_name="paragraphs and runs",
    reads=lambda name: True,
)


def docx_text(data: bytes, *, path: object) -> str:
    """Text of a .docx: body paragraphs and table cells, one per line.

    Offsets reported for a .docx point into this extracted text: the body's paragraphs
    and tables in document order, a table read row by row, each cell's paragraphs (and
    nested tables) in order, a merged cell once; every paragraph is one line and lines
    are joined with ``"\\n"`` (python-docx renders a manual line break inside a paragraph
    as ``"\\n"`` and a tab as ``"\\t"``). Headers, footers, footnotes, comments and text
    boxes are not read.
    """
    checked_xml_parts(data, DOCX, path=path)
    try:
        import docx  # python-docx
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
    return "\n".join(lines)
