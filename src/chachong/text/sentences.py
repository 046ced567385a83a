"""Sentences of a normalized text: the unit we index and match.

A sentence is the text between two BREAKs of the normalized form (sentence ends
。！？；!?; and line breaks in the original). Very short ones (headings, list numbers)
carry no evidence of copying and are not indexed; very long ones (a file with no
punctuation at all) are cut into pieces so one sentence cannot swallow a document.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import IntArray
from .normalize import Normalized

MIN_SENTENCE_CHARS = 6
MAX_SENTENCE_CHARS = 240


@dataclass(frozen=True, slots=True, eq=False)
class Sentences:
    """Sentence spans ``[starts[i], ends[i])`` in normalized coordinates."""

    starts: IntArray
    ends: IntArray

    def __len__(self) -> int:
        return int(self.starts.size)


def split_sentences(
    norm: Normalized,
    *,
    min_chars: int = MIN_SENTENCE_CHARS,
    max_chars: int = MAX_SENTENCE_CHARS,
) -> Sentences:
    breaks = np.flatnonzero(norm.codes == 10)
    starts = np.concatenate(([0], breaks + 1)).astype(np.int64)
    ends = np.concatenate((breaks, [norm.codes.size])).astype(np.int64)
    lengths = ends - starts
    long = lengths > max_chars
    if long.any():
        # Cut a long run into equal pieces no longer than max_chars.
        pieces = np.where(long, -(-lengths // max_chars), 1)
        piece_len = -(-lengths // pieces)
        owner = np.repeat(np.arange(starts.size), pieces)
        first = np.cumsum(pieces) - pieces
        k = np.arange(owner.size) - first[owner]
        new_starts = starts[owner] + k * piece_len[owner]
        new_ends = np.minimum(new_starts + piece_len[owner], ends[owner])
        starts, ends = new_starts, new_ends
        lengths = ends - starts
    keep = lengths >= min_chars
    return Sentences(starts[keep], ends[keep])
