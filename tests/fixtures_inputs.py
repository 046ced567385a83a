"""Shared helpers of the input and failure tests: drafts with known copied passages,
.docx builders, and snapshots of an index's state."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .conftest import CORPUS, corpus_text
from .drafts import ORIGINAL_CLOSING, ORIGINAL_OPENING

# Whole lines of corpus documents: (corpus file, how the line starts, document id).
BANK = ("000_8b880e3bb4cd86c7.txt", "2018年，我行认真贯彻落实", "000_8b880e3bb4cd86c7.txt#1")
LIBRARY = ("004_3442f27f9ba37306.txt", "（三）城市文旅品牌新形象加速传播", "004_3442f27f9ba37306.txt#2")
PARTY = ("002_5c485a01b3fa9e27.txt", "坚持把抓实调查研究作为推动主题教育", "002_5c485a01b3fa9e27.txt#2")
SMALL_FILE = CORPUS / "003_ec39d6286021c7d9.txt"  # one document, 24 KB: quick to index


@dataclass(frozen=True)
class Planted:
    text: str
    doc: str  # FILE#N it was copied from
    file: str  # "corpus/NAME"
    source_start: int  # span in the corpus file
    source_end: int


def corpus_line(name: str, prefix: str, doc: str) -> Planted:
    text = corpus_text(name)
    start = text.index("\n" + prefix) + 1
    end = text.index("\n", start)
    return Planted(text[start:end], doc, f"corpus/{name}", start, end)


def planted_lines() -> list[Planted]:
    return [corpus_line(*spec) for spec in (LIBRARY, BANK, PARTY)]


def join_parts(parts: list[str | Planted], sep: str = "\n") -> tuple[str, list[tuple[int, int, Planted]]]:
    """Join original strings and planted passages; return the text and where each planted one sits."""
    text = ""
    where: list[tuple[int, int, Planted]] = []
    for i, part in enumerate(parts):
        if i:
            text += sep
        if isinstance(part, Planted):
            where.append((len(text), len(text) + len(part.text), part))
            text += part.text
        else:
            text += part
    return text, where


def standard_draft() -> tuple[str, list[tuple[int, int, Planted]]]:
    library, bank, party = planted_lines()
    return join_parts([ORIGINAL_OPENING, library, bank, ORIGINAL_CLOSING, party])


def assert_copies_found(row: dict, text: str, where: list[tuple[int, int, Planted]], *, min_cover: float = 0.9) -> None:
    """The check's JSON row reports each planted passage, inside its span, from its source,
    and nothing else as copied; every offset indexes into ``text``."""
    assert row["chars"] == len(text)
    copies = [p for p in row["passages"] if p["kind"] == "copy"]
    assert len(copies) == len(where), copies
    for p, (start, end, planted) in zip(copies, where):
        assert start <= p["start"] < p["end"] <= end, (p, start, end)
        assert p["end"] - p["start"] >= min_cover * (end - start)
        assert p["source"]["doc"] == planted.doc
        assert p["source"]["file"] == planted.file
        assert planted.source_start <= p["source"]["start"] < p["source"]["end"] <= planted.source_end


def make_docx(path: Path, paragraphs_before: list[str], table: list[list[str]], paragraphs_after: list[str]) -> str:
    """Write a .docx (paragraphs, a table, paragraphs) with python-docx; return the text
    chachong documents for it: paragraphs and cells (row by row) joined with newlines."""
    import docx

    document = docx.Document()
    for text in paragraphs_before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, cell in enumerate(row):
            grid.cell(r, c).text = cell
    for text in paragraphs_after:
        document.add_paragraph(text)
    document.save(str(path))
    cells = [cell for row in table for cell in row]
    # python-docx's new document starts with no paragraph, so the text is exactly these lines.
    return "\n".join(paragraphs_before + cells + paragraphs_after)


def file_digest(path: Path) -> str:
    """Bytes of an index file and its WAL (if any): 'left as it was' means these are equal."""
    h = hashlib.sha256()
    for p in (path, Path(str(path) + "-wal")):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


def docs_state(cli, index: Path) -> list[dict]:
    out = cli("docs", "--json", "--index", index)
    assert out.code == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def assert_one_line_error(out, path_fragment: str, problem: str) -> None:
    """Exit 2, exactly one stderr line `chachong: error: ...FILE: problem`, no traceback."""
    assert out.code == 2, (out.code, out.stdout[:300], out.stderr[:300])
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("chachong: error: "), lines[0]
    assert path_fragment in lines[0], lines[0]
    assert problem in lines[0], lines[0]
    assert "Traceback" not in out.stderr
    assert out.stdout == "", out.stdout[:300]
