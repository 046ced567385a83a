"""Real office files for the format tests, made by real programs at test time.

LibreOffice (headless) converts .docx files written with python-docx into .pdf, .doc,
.odt and .rtf, as an office would produce them; OFD files are written by `ofd_writer`
(no program here writes OFD). Without LibreOffice the tests that need it are skipped with
the reason, except under ``CI=true``, where they must run (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
ANTIWORD = shutil.which("antiword")


def _need(program: str | None, what: str, package: str) -> str:
    if program is None:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is required in CI (apt-get install {package}) and is missing")
        pytest.skip(f"{what} is not installed (Debian: apt-get install {package}); its format tests skipped")
    return program


def need_libreoffice() -> str:
    return _need(SOFFICE, "LibreOffice", "libreoffice-writer-nogui fonts-wqy-microhei")


def need_antiword() -> str:
    return _need(ANTIWORD, "antiword", "antiword")


def soffice_convert(inputs: list[Path], target: str, outdir: Path, *, options: str = "") -> list[Path]:
    """Convert ``inputs`` to ``target`` (an extension: "pdf", "doc", …) in one LibreOffice
    call, with a private profile; return the outputs (same stems) in order."""
    soffice = need_libreoffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chachong-test-soffice-") as profile:
        done = subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", target + options, "--outdir", str(outdir), *map(str, inputs)],
            capture_output=True, text=True, timeout=300,
        )
    outputs = [outdir / f"{p.stem}.{target}" for p in inputs]
    missing = [p for p in outputs if not p.is_file()]
    assert not missing, (missing, done.stdout[-2000:], done.stderr[-2000:])
    return outputs


def write_docx(path: Path, paragraphs: list[str], *, header: str | None = None,
               footer_page_numbers: bool = False, table: list[list[str]] | None = None,
               indent_first_line: bool = False) -> None:
    """A .docx of ``paragraphs`` (and a table after them), optionally with a running header,
    a footer ``第 N 页 共 M 页`` made of Word's PAGE and NUMPAGES fields, and the first line
    of each paragraph indented by two characters (as 公文 are)."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Pt

    document = docx.Document()
    for text in paragraphs:
        paragraph = document.add_paragraph(text)
        if indent_first_line:
            paragraph.paragraph_format.first_line_indent = Pt(22)  # two characters of the 11 pt default
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer_page_numbers:
        paragraph = section.footer.paragraphs[0]
        paragraph.add_run("第 ")
        paragraph._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
        paragraph.add_run(" 页 共 ")
        paragraph._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="NUMPAGES"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
        paragraph.add_run(" 页")
    document.save(str(path))
