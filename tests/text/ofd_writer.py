"""Write OFD files (GB/T 33190-2016) for the tests, with the standard library.

No program here writes OFD (LibreOffice cannot; the PyPI writers lose text or draw glyphs
as paths), so the tests write it as the standard lays it out and as Suwell's and ofdrw's
files do: ``OFD.xml`` → ``Doc_0/Document.xml`` (page box in mm, public resources, the
page list) → one ``Content.xml`` per page with a layer of ``TextObject``s, one per printed
line, each glyph placed by ``DeltaX`` (a Chinese character 1 em, a Latin letter or digit
half). Text is wrapped like a typesetter does it: at the line width, anywhere (Chinese has
no word breaks), so a sentence runs on across lines and pages.
"""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

NS = "http://www.ofdspec.org/2016"
FONT_MM = 5.0  # font size (1 em), in millimetres
LINE_MM = 7.5  # line pitch
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_X, TOP, BOTTOM = 25.0, 30.0, 270.0


def em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def wrap(paragraph: str, width_em: float) -> list[str]:
    """``paragraph`` cut into printed lines of at most ``width_em`` ems."""
    lines, line, used = [], "", 0.0
    for ch in paragraph:
        if used + em(ch) > width_em and line:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += em(ch)
    if line:
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Running:
    """What each page repeats: a header line, a footer line, and the page number ({n})."""

    header: str | None = None
    footer: str | None = None
    page_number: str | None = None  # e.g. "- {n} -"


def layout(text: str, *, width_em: float = 32.0, lines_per_page: int = 30) -> list[list[str]]:
    """The printed lines of each page of ``text`` (one paragraph per line; blank lines dropped)."""
    printed = [line for paragraph in text.splitlines() if paragraph.strip() for line in wrap(paragraph, width_em)]
    return [printed[i : i + lines_per_page] for i in range(0, len(printed), lines_per_page)]


def write_ofd(path: Path, pages: list[list[str]], *, running: Running = Running(), line_mm: float = LINE_MM) -> None:
    """Write ``pages`` (printed lines, ``line_mm`` apart) as an OFD file at ``path``."""
    uid = 1

    def next_id() -> int:
        nonlocal uid
        uid += 1
        return uid

    def text_object(line: str, x: float, y: float) -> str:
        deltas = " ".join(f"{em(ch) * FONT_MM:g}" for ch in line[:-1])
        width = sum(em(ch) for ch in line) * FONT_MM
        return (
            f'<ofd:TextObject ID="{next_id()}" Boundary="{x:g} {y:g} {width:g} {LINE_MM:g}" Font="1" Size="{FONT_MM:g}">'
            f'<ofd:TextCode X="0" Y="{FONT_MM:g}" DeltaX="{deltas}">{escape(line)}</ofd:TextCode></ofd:TextObject>'
        )

    refs = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>0123456789abcdef0123456789abcdef</ofd:DocID>"
            "<ofd:Creator>chachong tests</ofd:Creator></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        archive.writestr(
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        )
        for number, lines in enumerate(pages, start=1):
            page_id = next_id()
            refs.append(f'<ofd:Page ID="{page_id}" BaseLoc="Pages/Page_{number - 1}/Content.xml"/>')
            objects = [text_object(line, MARGIN_X, TOP + i * line_mm) for i, line in enumerate(lines)]
            if running.header:
                objects.insert(0, text_object(running.header, MARGIN_X, TOP - 2 * LINE_MM))
            if running.footer:
                objects.append(text_object(running.footer, MARGIN_X, BOTTOM + LINE_MM))
            if running.page_number:
                label = running.page_number.format(n=number)
                objects.append(text_object(label, PAGE_W / 2 - 5, BOTTOM + 2 * LINE_MM))
            archive.writestr(
                f"Doc_0/Pages/Page_{number - 1}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
                f'<ofd:Layer ID="{next_id()}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>',
            )
        archive.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
            f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:PageArea>"
            f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:MaxUnitID>{uid}</ofd:MaxUnitID></ofd:CommonData>"
            f'<ofd:Pages>{"".join(refs)}</ofd:Pages></ofd:Document>',
        )
