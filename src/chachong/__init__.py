"""chachong (查重): plagiarism and boilerplate detection for Chinese official documents.

The small public surface::

    from chachong import open_index, check_text
    with open_index("index.sqlite", create=True) as idx:
        index_paths(idx, ["corpus/"])
        result = check_text(idx, draft_text, file="draft.txt")
        result.copy_ratio, result.passages
"""

from .check import CheckOptions, check_text
from .errors import BackendError, ChachongError, IndexFileError, InputError, UsageError
from .indexer import ensure_index, index_paths
from .results import CheckResult, Passage, SourceRef, SourceShare
from .storage import open_store as open_index

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "ChachongError",
    "CheckOptions",
    "CheckResult",
    "IndexFileError",
    "InputError",
    "Passage",
    "SourceRef",
    "SourceShare",
    "UsageError",
    "check_text",
    "ensure_index",
    "index_paths",
    "open_index",
]
