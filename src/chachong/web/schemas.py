"""The API's JSON, described for the OpenAPI schema (/openapi.json).

Documentation only: responses are the objects the CLI's ``--json`` prints, built by the same
``to_json`` methods, so the API and the CLI cannot drift apart. These models say what those
objects hold (README, "JSON").
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CheckRequest(BaseModel):
    text: str = Field(description="The draft, as text (UTF-8 in the JSON body); at most 1 MiB encoded.")
    file: str | None = Field(None, description="A name for the draft, used in the result's `file` (default `<draft>`).")
    common_docs: int | None = Field(
        None, ge=2, description="A phrase in at least this many indexed documents is boilerplate "
                                "(as `check --common-docs`). Default: √documents/2, at least 3.")


class SourceRefOut(BaseModel):
    doc: str = Field(description="NAME#ORDINAL of the source document (NAME: its file's identity in the index).")
    file: str
    title: str
    start: int = Field(description="Offset into the source file's text.")
    end: int
    collection: str = Field(description="The source document's collection.")
    reprints: int = Field(description="How many other documents its work (its reprints) has.")


class SwapOut(BaseModel):
    draft: str = Field(description="The draft's word.")
    source: str = Field(description="The source's word it replaces (same synonym class).")
    start: int = Field(description="Offsets of the draft's word into the draft.")
    end: int
    source_start: int = Field(description="Offsets of the source's word into the source file's text.")
    source_end: int


class PassageOut(BaseModel):
    start: int = Field(description="Offset into the draft as decoded (end exclusive): text[start:end].")
    end: int
    kind: Literal["copy", "boilerplate"]
    score: float
    source: SourceRefOut | None = Field(description="The source of a copy; null for boilerplate.")
    sentences: int
    match: Literal["verbatim", "near", "paraphrase"] | None = Field(
        None, description="Copies only: how it was found (verbatim after normalization, edited, or rewritten).")
    swaps: list[SwapOut] | None = Field(None, description="Paraphrase copies only: the words swapped for synonyms.")
    common_to: int | None = Field(None, description="Boilerplate only: in how many indexed works it occurs.")


class SourceShareOut(SourceRefOut):
    chars: int
    share: float
    passages: int


class SkippedSourceOut(BaseModel):
    doc: str
    file: str
    reason: str = Field(description="Why the draft was not matched against it (its own content).")


class IndexInfoOut(BaseModel):
    location: str = Field(description="The index (a Redis password blanked).")
    documents: int
    works: int = Field(description="Groups of near-duplicate documents (reprints count once).")
    updated: str | None = Field(description="When the index last changed (ISO 8601, UTC).")
    common_docs: int = Field(description="A phrase in at least this many works is stock phrasing.")


class CheckOut(BaseModel):
    """Exactly the object `chachong check --json` prints for the draft."""

    file: str
    chars: int
    copy_ratio: float
    copy_ratio_excluding_quotation: float = Field(description="Without passages from the `quotation` collection.")
    copy_ratio_excluding_own: float = Field(description="Without passages from the `own` collection.")
    boilerplate_ratio: float
    max_source_share: float
    passages: list[PassageOut]
    sources: list[SourceShareOut]
    skipped_sources: list[SkippedSourceOut]
    excluded: list[str] = Field(description="The documents, files or collections excluded, as given.")
    index: IndexInfoOut | None
    thresholds: dict[str, int] | None


class DocOut(BaseModel):
    """One line of `chachong docs --json`."""

    doc: str
    file: str
    title: str
    chars: int
    start: int
    end: int
    sentences: int


class FileOut(BaseModel):
    file: str
    chars: int
    documents: int
    encoding: str
    declared_count: int | None = Field(description="What the file declared (（N篇）), if anything.")
    warnings: list[str]
    set_aside: list[str] = Field(description="Distributor lines (ads, watermarks) kept out of documents.")


class DocsOut(BaseModel):
    generation: str = Field(description="Changes whenever the set of indexed files changes.")
    total: int = Field(description="Documents matching the query (before offset/limit).")
    documents: list[DocOut]
    files: list[FileOut]


class ExampleOut(BaseModel):
    doc: str
    start: int
    end: int
    context: str


class PhraseOut(BaseModel):
    """One line of `chachong phrases --json`."""

    phrase: str
    docs: int
    count: int
    files: int
    normalized: str
    examples: list[ExampleOut]


class PhrasesOut(BaseModel):
    min_docs: int
    documents: int
    sampled: bool = Field(description="True when computed from an even sample of a large library.")
    phrases: list[PhraseOut]


class PairOut(BaseModel):
    """One line of `chachong pairs --json`."""

    a: str
    b: str
    a_title: str
    b_title: str
    shared_chars: int
    share_a: float
    share_b: float
    passages: int


class PairsOut(BaseModel):
    generation: str
    max_docs: int
    seconds: float = Field(description="How long computing the map took.")
    pairs: list[PairOut]


class StatusOut(BaseModel):
    location: str = Field(description="The index (a Redis password blanked).")
    backend: Literal["sqlite", "redis"]
    generation: str
    files: int
    documents: int
    sentences: int
    chars: int
    last_change: dict[str, str | None]
    thresholds: dict[str, int]
    lsh: dict[str, int]
    server: dict[str, int | float | bool | str]


class IndexOut(BaseModel):
    """What `chachong index --json` prints for the run."""

    index: str
    added: list[str]
    replaced: list[str]
    unchanged: list[str]
    documents: int
    sentences: int
    chars: int
    skipped: list[dict[str, str]]
    warnings: list[dict[str, str]]


class ErrorOut(BaseModel):
    error: str = Field(description="The one-line message the CLI prints after `chachong: error: `.")
    kind: str = Field(description="bad_input, too_large, unauthorized, cross_site, bad_host, "
                                  "read_only, not_found, busy, index_unavailable, too_slow or internal.")
