"""OFD (GB/T 33190-2016, the format of China's official e-documents) through ofdkit.

Why ofdkit (Apache-2.0, pure Python, no dependencies): of the OFD readers on PyPI it is the
one that reads real files: it read all 8 sample files of the ofdrw project (among them
Suwell-made documents and e-invoices) with the right text, copes with the namespace variants
producers write (``http://www.ofdspec.org/2016``, none, broken prefixes), follows templates
(where running headers live), composite objects and CTM transforms, puts text objects in
reading order by position (columns included), refuses DTDs and caps part sizes. easyofd
failed on 2 of those 8 files and pulls in PyMuPDF (AGPL-3.0) and 385 MB of dependencies;
ofdparser is abandoned for easyofd, pyofd does not build, ofdreader's wheel holds no code.
ofdkit is young (0.2, one maintainer, two releases), so the
version is pinned below 0.3 (its API may still change), our own bomb checks run before it,
and the tests read OFD files written here to the standard's layout.

ofdkit gives each page's text in reading order, a line per visual line and a blank line
where the vertical gap says a new block begins (see `_page_lines`); `layout.join_pages`
makes paragraphs of it.
"""

from __future__ import annotations

from ...errors import InputError
from .archive import ZipFormat, checked_xml_parts, local_tags
from .layout import PagedText, join_pages

# ofdkit reads only XML parts, lazily; fonts and images are sniffed, not unpacked.
OFD = ZipFormat(
    name=".ofd", blocks=local_tags("TextObject", "TextCode"), blocks_name="text objects", reads=lambda name: True,
)


def ofd_text(data: bytes, *, path: object, max_chars: int) -> PagedText:
    """The paragraphs of an OFD file; `InputError` on a bad file or a page that cannot be read."""
    checked_xml_parts(data, OFD, path=path)
    import ofdkit

    try:
        with ofdkit.open(data) as document:
            pages: list[list[str]] = []
            chars = 0
            for page in document.pages:
                try:
                    text = page.text()
                except ofdkit.OFDError as exc:
                    raise InputError(
                        f"page {page.index + 1} of the OFD file cannot be read ({exc})", path=path,
                    ) from None
                chars += len(text)
                if chars > max_chars:
                    raise InputError(
                        f"text too large (over {max_chars:,} characters by page {page.index + 1} of "
                        f"{len(document.pages)}): split it into smaller files",
                        path=path,
                    )
                pages.append(_page_lines(text))
    except ofdkit.OFDLimitError as exc:
        raise InputError(f"not read: {exc}", path=path) from None
    except ofdkit.OFDError as exc:
        raise InputError(f"not a valid .ofd file ({exc})", path=path) from None
    return join_pages(pages)


def _page_lines(text: str) -> list[str]:
    """A page's lines as ofdkit gives them, keeping its blank lines (a vertical gap over
    2.2 font sizes: a paragraph break) only where they are the exception: with wide line
    spacing every line follows a gap, and they would say nothing."""
    lines = text.split("\n")
    blank = sum(1 for line in lines if not line.strip())
    if blank * 2 >= len(lines) - blank:
        return [line for line in lines if line.strip()]
    return lines
