"""Stock phrases (套话): the table (`table`), its cache in the index (`cache`), and the second
process `chachong index` computes it in (`worker`, imported only by the indexing command and the
benchmark's index run, never by a check)."""

from .cache import index_generation, phrase_table
from .table import Example, Phrase, PhraseTable, compute_phrases, default_min_docs

__all__ = [
    "Example", "Phrase", "PhraseTable", "compute_phrases", "default_min_docs", "index_generation", "phrase_table",
]
