"""The records and results that flow through the pipeline, in one place.

Records (`FileRecord`, `DocumentRecord`, `NewFile`, `NewDocument`) travel between the
indexer, the stores and the matcher. Results (`CheckResult` and its passages) are what a
check returns: frozen dataclasses with a JSON form, the public contract (README, "JSON").
A copied passage always has a source and a stock-phrase passage never has one: the two are
different types, so code that reads a copy's source needs no ``None`` check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
UInt32Array = npt.NDArray[np.uint32]  # code points, MinHash values, packed sentence ids
BoolArray = npt.NDArray[np.bool_]

# A posting of the fragment or paraphrase layer points at a sentence, or with this bit set at
# the window of that sentence and the next one (paraphrase layer: splits and merges).
WINDOW_FLAG = 1 << 31


# Collections (index --collection NAME): every file belongs to one. Two names have a meaning
# in a check's ratios, as CNKI's 去除引用 and 去除本人: texts a document may legitimately quote,
# and the office's own earlier documents.
DEFAULT_COLLECTION = "library"
QUOTATION = "quotation"
OWN = "own"


def document_name(file_name: str, ordinal: int) -> str:
    """A document's identity: its file's identity (unique in the index) and its ordinal."""
    return f"{file_name}#{ordinal}"


# -- records ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FileRecord:
    id: int
    path: str  # how the user named it (absolute), or corpus/NAME for the bundled corpus
    sha256: str
    chars: int
    encoding: str
    documents: int
    declared_count: int | None
    warnings: tuple[str, ...]
    set_aside: tuple[str, ...]  # distinct ads/watermark lines kept out of documents
    name: str  # identity, unique in the index: the path relative to the folder it was indexed from
    collection: str


@dataclass(frozen=True, slots=True, eq=False)
class DocumentRecord:
    id: int
    file: str
    ordinal: int
    title: str
    start: int  # span of the document in its file's text
    end: int
    text: str  # file_text[start:end]
    sent_base: int  # global id of its first indexed sentence
    spans: Int32Array  # (n, 2) original spans of its sentences, relative to start
    file_name: str  # the file's identity (`FileRecord.name`)
    collection: str
    work: int  # the work (group of near-duplicate documents) it belongs to: its first member's id

    @property
    def name(self) -> str:
        """Identity, unique in the index: FILE_NAME#ORDINAL (FILE_NAME: `FileRecord.name`)."""
        return document_name(self.file_name, self.ordinal)

    @property
    def chars(self) -> int:
        return self.end - self.start

    @property
    def sentence_count(self) -> int:
        return int(self.spans.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Postings:
    """Keys of an index layer and the units they point at: ``units[i]`` is a sentence number
    (of a text, or of a document when stored), ``| WINDOW_FLAG`` for the window it opens.
    Sorted by sentence number (so a document's postings are one slice of its file's)."""

    units: UInt32Array  # uint32, like the stored ids: a 90M-character library has ~30M postings
    keys: UInt32Array

    def __len__(self) -> int:
        return int(self.keys.size)

    def sentences(self) -> IntArray:
        """The sentence of each posting (a window's: its first)."""
        return self.units.astype(np.int64) & ~WINDOW_FLAG

    def windows(self) -> BoolArray:
        flagged: BoolArray = (self.units.astype(np.int64) & WINDOW_FLAG) != 0
        return flagged

    def select(self, lo: int, hi: int, *, windows_inside: bool = False) -> Postings:
        """The postings of sentences ``lo <= s < hi``, renumbered from ``lo``; with
        ``windows_inside``, without the window of the last one (it would reach past ``hi``)."""
        a, b = np.searchsorted(self.sentences(), [lo, hi]).tolist()
        units, keys = self.units[a:b].astype(np.int64) - lo, self.keys[a:b]
        if windows_inside:
            keep = units != ((hi - lo - 1) | WINDOW_FLAG)
            units, keys = units[keep], keys[keep]
        return Postings(units.astype(np.uint32), keys)


@dataclass(frozen=True, slots=True, eq=False)
class NewDocument:
    ordinal: int
    title: str
    start: int
    end: int
    text: str
    spans: Int32Array  # (n, 2) relative to start
    keys: IntArray  # (n, bands) LSH band keys
    fragments: Postings  # winnowed fingerprints of its sentences (sketch.winnow)
    paraphrases: Postings  # synonym-class band keys of its sentences and windows (sketch.paraphrase)


# A near-duplicate link of a document being written (by its ordinal) to another document:
# an indexed one (its id) or one written in the same run (file path, ordinal).
DocRef = int | tuple[str, int]
Link = tuple[int, DocRef]


@dataclass(frozen=True, slots=True, eq=False)
class NewFile:
    path: str
    sha256: str
    chars: int
    encoding: str
    declared_count: int | None
    warnings: tuple[str, ...]
    set_aside: tuple[str, ...]
    edge_lines: dict[str, int]  # line key -> occurrences in this file (for ad detection)
    documents: tuple[NewDocument, ...]
    # The library layer (`chachong.library`), filled in by the indexer after encoding: the
    # file's identity ("" lets the store name it after the file), its collection, its
    # documents' sketches (document order) and their near-duplicate links.
    name: str = ""
    collection: str = DEFAULT_COLLECTION
    sketches: IntArray | None = None  # (documents, library.works.DOC_BANDS) document-level LSH keys
    links: tuple[Link, ...] = ()



@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One indexed document as the library layer sees it: who it is, not what it says."""

    id: int  # the store's id of the document
    file: str  # its file's path (as `FileRecord.path`)
    file_name: str  # its file's identity (`FileRecord.name`)
    ordinal: int
    collection: str
    work: int  # id of the work's first member (`DocumentRecord.work`)

    @property
    def name(self) -> str:
        return document_name(self.file_name, self.ordinal)


@dataclass(frozen=True, slots=True)
class LibraryInfo:
    """The size and age of an index, as reports state it."""

    documents: int
    works: int
    updated: str | None  # ISO 8601 UTC time of the last change; None for an index never written
    works_digest: str  # changes whenever the set of works (their first members) changes
    collections: dict[str, int]  # documents per collection


# -- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SourceRef:
    doc: str  # FILE_NAME#ORDINAL
    file: str
    title: str
    start: int  # offsets into the source file's text
    end: int
    collection: str = DEFAULT_COLLECTION
    reprints: int = 0  # other documents of the same work (near-duplicates of this one)

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.doc, "file": self.file, "title": self.title, "start": self.start, "end": self.end,
                "collection": self.collection, "reprints": self.reprints}


MatchKind = Literal["verbatim", "near", "paraphrase"]
MATCH_KINDS: tuple[MatchKind, ...] = ("verbatim", "near", "paraphrase")  # from the strictest


@dataclass(frozen=True, slots=True)
class Swap:
    """A word of a paraphrased passage and the word of the source it replaces (same synonym class)."""

    start: int  # the draft's word: offsets into the draft
    end: int
    source_start: int  # the source's word: offsets into the source file's text
    source_end: int
    draft_word: str
    source_word: str

    def to_json(self) -> dict[str, Any]:
        return {"draft": self.draft_word, "source": self.source_word, "start": self.start, "end": self.end,
                "source_start": self.source_start, "source_end": self.source_end}


@dataclass(frozen=True, slots=True)
class CopyPassage:
    """Draft text copied from one indexed document.

    ``match`` says how it was found: ``"verbatim"`` — every copied part equals its source after
    normalization (a clause or whole sentences; masks and numbers, 党/D, traditional characters,
    width and punctuation are unified by normalization); ``"near"`` — aligned character by
    character with edits (words changed, inserted or dropped); ``"paraphrase"`` — a part was
    aligned as a rewrite (synonyms swapped, clauses reordered: the paraphrase layer), with the
    swapped words in ``swaps``.
    """

    start: int  # offsets into the draft as decoded
    end: int
    score: float  # share of the passage's characters that match the source exactly
    source: SourceRef
    text: str  # draft[start:end]
    source_text: str  # source file text[source.start:source.end]
    sentences: int  # draft sentences merged into this passage
    match: MatchKind = "verbatim"
    swaps: tuple[Swap, ...] = ()  # paraphrase: words replaced by synonyms, in draft order

    kind: Literal["copy"] = "copy"

    def to_json(self) -> dict[str, Any]:
        out = {
            "start": self.start, "end": self.end, "kind": self.kind, "score": round(self.score, 4),
            "source": self.source.to_json(), "sentences": self.sentences, "match": self.match,
        }
        if self.match == "paraphrase":
            out["swaps"] = [s.to_json() for s in self.swaps]
        return out


@dataclass(frozen=True, slots=True)
class BoilerplatePassage:
    """Stock phrasing (套话) of the genre: found in many indexed documents, not a copy."""

    start: int
    end: int
    text: str
    common_to: int  # how many indexed documents contain it (files, for a distributor line)

    kind: Literal["boilerplate"] = "boilerplate"
    score: float = 1.0
    source: None = None
    sentences: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start, "end": self.end, "kind": self.kind, "score": round(self.score, 4),
            "source": None, "sentences": self.sentences, "common_to": self.common_to,
        }


Passage = CopyPassage | BoilerplatePassage


@dataclass(frozen=True, slots=True)
class SourceShare:
    source: SourceRef  # start/end: from the first to the last copied text in the source file
    chars: int  # counted draft characters copied from this document (stock phrases excluded)
    share: float  # chars / content_chars of the draft
    passages: int


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What a check compared the draft with: every report states it."""

    location: str  # as shown to users (a password blanked)
    documents: int
    works: int  # groups of near-duplicate documents (reprints count once)
    updated: str | None  # when the index last changed (ISO 8601, UTC)
    common_docs: int  # a phrase in at least this many works is stock phrasing

    def to_json(self) -> dict[str, Any]:
        return {"location": self.location, "documents": self.documents, "works": self.works,
                "updated": self.updated, "common_docs": self.common_docs}


@dataclass(frozen=True, slots=True)
class SkippedSource:
    """An indexed document the draft was not matched against, and why."""

    doc: str
    file: str
    reason: str  # "same content as the draft" / "an earlier version of the draft" / "excluded"

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.doc, "file": self.file, "reason": self.reason}


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
    # As copy_ratio, without the passages whose source's work has a document in the
    # collection `QUOTATION` (resp. `OWN`): CNKI's 去除引用 / 去除本人 ratios.
    copy_ratio_excluding_quotation: float
    copy_ratio_excluding_own: float
    index: IndexInfo | None = None
    thresholds: dict[str, int] | None = None  # the check's other options (min_passage_chars …)
    skipped_sources: tuple[SkippedSource, ...] = ()
    excluded: tuple[str, ...] = ()  # check --exclude values, as given

    @property
    def copies(self) -> tuple[CopyPassage, ...]:
        return tuple(p for p in self.passages if isinstance(p, CopyPassage))

    @property
    def boilerplate(self) -> tuple[BoilerplatePassage, ...]:
        return tuple(p for p in self.passages if isinstance(p, BoilerplatePassage))

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "chars": self.chars,
            "copy_ratio": round(self.copy_ratio, 4),
            "copy_ratio_excluding_quotation": round(self.copy_ratio_excluding_quotation, 4),
            "copy_ratio_excluding_own": round(self.copy_ratio_excluding_own, 4),
            "boilerplate_ratio": round(self.boilerplate_ratio, 4),
            "max_source_share": round(self.max_source_share, 4),
            "passages": [p.to_json() for p in self.passages],
            "sources": [
                {**s.source.to_json(), "chars": s.chars, "share": round(s.share, 4), "passages": s.passages}
                for s in self.sources
            ],
            "skipped_sources": [s.to_json() for s in self.skipped_sources],
            "excluded": list(self.excluded),
            "index": self.index.to_json() if self.index else None,
            "thresholds": self.thresholds,
        }
