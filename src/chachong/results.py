"""The results a check returns: frozen dataclasses with a JSON form (the public contract)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceRef:
    doc: str  # FILE_NAME#ORDINAL
    file: str
    title: str
    start: int  # offsets into the source file's text
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.doc, "file": self.file, "title": self.title, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class Passage:
    start: int  # offsets into the draft as decoded
    end: int
    kind: str  # "copy" or "boilerplate"
    score: float  # share of the passage's characters that match the source exactly
    source: SourceRef | None
    text: str  # draft[start:end]
    source_text: str  # source file text[source.start:source.end], "" without a source
    sentences: int  # draft sentences merged into this passage
    common_to: int = 0  # boilerplate: how many indexed documents contain it

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "score": round(self.score, 4),
            "source": self.source.to_json() if self.source else None,
            "sentences": self.sentences,
        }
        if self.kind == "boilerplate":
            out["common_to"] = self.common_to
        return out


@dataclass(frozen=True, slots=True)
class SourceShare:
    source: SourceRef  # start/end: the span of the document in its file
    chars: int  # draft characters copied from this document
    share: float  # chars / draft characters
    passages: int


@dataclass(frozen=True, slots=True)
class CheckResult:
    file: str
    text: str
    chars: int  # len(text)
    content_chars: int  # characters that count (no whitespace, punctuation)
    copy_ratio: float
    boilerplate_ratio: float
    max_source_share: float
    passages: tuple[Passage, ...]
    sources: tuple[SourceShare, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "chars": self.chars,
            "copy_ratio": round(self.copy_ratio, 4),
            "boilerplate_ratio": round(self.boilerplate_ratio, 4),
            "max_source_share": round(self.max_source_share, 4),
            "passages": [p.to_json() for p in self.passages],
            "sources": [
                {**s.source.to_json(), "chars": s.chars, "share": round(s.share, 4), "passages": s.passages}
                for s in self.sources
            ],
        }
