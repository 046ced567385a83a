"""Records that flow between the indexer, the storage backends and the checker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def document_name(file: str, ordinal: int) -> str:
    return f"{file.rsplit('/', 1)[-1]}#{ordinal}"


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
    spans: np.ndarray  # (n, 2) int32 original spans of its sentences, relative to start

    @property
    def name(self) -> str:
        """Stable human-readable id: FILE_NAME#ORDINAL."""
        return document_name(self.file, self.ordinal)

    @property
    def chars(self) -> int:
        return self.end - self.start

    @property
    def sentence_count(self) -> int:
        return int(self.spans.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class NewDocument:
    ordinal: int
    title: str
    start: int
    end: int
    text: str
    spans: np.ndarray  # (n, 2) int32 relative to start
    keys: np.ndarray  # (n, bands) int64 LSH band keys


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
