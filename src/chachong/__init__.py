"""chachong (查重): plagiarism and boilerplate detection for Chinese official documents.

The small public surface::

    from chachong import bundled_corpus_dir, check_text, index_paths, open_index

    with open_index("index.sqlite", create=True) as index:
        index_paths(index, [bundled_corpus_dir()])
        draft = "我们坚持把抓实调查研究作为推动主题教育有效开展的重要举措，实行谋题、破题、解题闭环落实。"
        result = check_text(index, draft, file="draft.txt")
        print(result.copy_ratio, [(p.text, p.source.title) for p in result.copies])

The pipeline, one package per stage: ``text`` (read, split, normalize, sentences) →
``sketch`` (shingles, MinHash, LSH band keys) → ``store`` (SQLite or Redis) → ``indexer`` →
``phrases`` (stock phrases) → ``match`` (align, check, pairs) → ``report`` (terminal, JSON,
HTML) → ``cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import BackendError, ChachongError, IndexFileError, InputError, UsageError
    from .indexer import bundled_corpus_dir, ensure_index, index_paths
    from .match.check import CheckOptions, check_text
    from .model import BoilerplatePassage, CheckResult, CopyPassage, Passage, SourceRef, SourceShare
    from .store import Store
    from .store import open_store as open_index

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "BoilerplatePassage",
    "ChachongError",
    "CheckOptions",
    "CheckResult",
    "CopyPassage",
    "IndexFileError",
    "InputError",
    "Passage",
    "SourceRef",
    "SourceShare",
    "Store",
    "UsageError",
    "bundled_corpus_dir",
    "check_text",
    "ensure_index",
    "index_paths",
    "open_index",
]

# Imported on first use (PEP 562): ``import chachong`` costs nothing, so the command line
# starts (and takes over SIGINT/SIGTERM, see __main__) before numpy and the rest load.
_EXPORTS = {
    **dict.fromkeys(("BackendError", "ChachongError", "IndexFileError", "InputError", "UsageError"), ".errors"),
    **dict.fromkeys(("bundled_corpus_dir", "ensure_index", "index_paths"), ".indexer"),
    **dict.fromkeys(("CheckOptions", "check_text"), ".match.check"),
    **dict.fromkeys(("BoilerplatePassage", "CheckResult", "CopyPassage", "Passage", "SourceRef", "SourceShare"),
                    ".model"),
    "Store": ".store",
}


def __getattr__(name: str) -> Any:
    if name == "open_index":
        value: Any = importlib.import_module(".store", __name__).open_store
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
