"""Office files of the sample draft and of a corpus document, made once per session by
LibreOffice (see `office`) and by the OFD writer (see `ofd_writer`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import REPO
from ..fixtures_inputs import SMALL_FILE
from .ofd_writer import Running, layout, write_ofd
from .office import soffice_convert, write_docx

SAMPLE = REPO / "examples" / "sample_draft.txt"
# The running header and footer of the multi-page PDF and OFD files.
HEADER = "XX县人民政府办公室内部资料"


@dataclass(frozen=True)
class OfficeFiles:
    sample: dict[str, Path]  # the sample draft by format: "txt", "docx", "pdf", "doc", "wps", "odt", "rtf"
    paged_pdf: Path  # SMALL_FILE's paragraphs on ~6 pages, with a running header and 第 N 页 共 M 页
    indented_pdf: Path  # the same, each paragraph's first line indented two characters
    paged_source: str  # those paragraphs, joined with "\n"


def sample_paragraphs() -> list[str]:
    return [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def paged_paragraphs() -> list[str]:
    return [line.strip() for line in SMALL_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def office_files(tmp_path_factory) -> OfficeFiles:
    """Made by LibreOffice from .docx files python-docx writes: four LibreOffice calls
    (one per target format), ~5 s."""
    root = tmp_path_factory.mktemp("office")
    sample_docx, paged_docx, indented_docx = root / "sample_draft.docx", root / "paged.docx", root / "indented.docx"
    write_docx(sample_docx, sample_paragraphs())
    write_docx(paged_docx, paged_paragraphs(), header=HEADER, footer_page_numbers=True)
    write_docx(indented_docx, paged_paragraphs(), header=HEADER, footer_page_numbers=True, indent_first_line=True)
    out = root / "out"
    sample_pdf, paged_pdf, indented_pdf = soffice_convert([sample_docx, paged_docx, indented_docx], "pdf", out)
    sample = {"txt": root / "sample_draft.txt", "docx": sample_docx, "pdf": sample_pdf}
    shutil.copyfile(SAMPLE, sample["txt"])
    for target in ("doc", "odt", "rtf"):
        (sample[target],) = soffice_convert([sample_docx], target, out)
    # The only .wps that can be made here: Word's binary format under WPS's name, as WPS
    # Office itself saves when asked for Word compatibility.
    sample["wps"] = out / "sample_draft.wps"
    shutil.copyfile(sample["doc"], sample["wps"])
    return OfficeFiles(sample, paged_pdf, indented_pdf, "\n".join(paged_paragraphs()))


@pytest.fixture(scope="session")
def sample_ofd(tmp_path_factory) -> Path:
    """The sample draft as an OFD of 8-line pages, with a running header and page numbers."""
    path = tmp_path_factory.mktemp("ofd") / "sample_draft.ofd"
    pages = layout(SAMPLE.read_text(encoding="utf-8"), lines_per_page=8)
    write_ofd(path, pages, running=Running(header=HEADER, page_number="- {n} -"))
    return path
