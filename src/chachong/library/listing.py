"""The list of indexed documents as `chachong docs --json` prints it (and the web API serves it):
each document with its collection, its work (named by the work's first document) and its
reprints (the other documents of the work)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import DocumentRecord


@dataclass(frozen=True, slots=True)
class DocRow:
    """One indexed document, without its text."""

    name: str
    file: str
    title: str
    chars: int
    start: int
    end: int
    sentences: int
    collection: str
    work: str  # the name of the work's first document
    reprints: int  # other documents of the same work

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.name, "file": self.file, "title": self.title, "chars": self.chars,
                "start": self.start, "end": self.end, "sentences": self.sentences,
                "collection": self.collection, "work": self.work, "reprints": self.reprints}


def document_rows(documents: Sequence[DocumentRecord]) -> list[DocRow]:
    """Rows for ``documents`` (as a view lists them), works named by their first document."""
    heads = {d.id: d.name for d in documents if d.work == d.id}
    members = Counter(d.work for d in documents)
    return [
        DocRow(d.name, d.file, d.title, d.chars, d.start, d.end, d.sentence_count, d.collection,
               heads.get(d.work, d.name), members[d.work] - 1)
        for d in documents
    ]
