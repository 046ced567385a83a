"""Document identities: every indexed file gets a name unique in the index.

A file's name is its path relative to the folder it was indexed from (``chachong index
~/素材库`` names ``~/素材库/2023/工作总结.txt`` ``2023/工作总结.txt``); a file named on the
command line is named by its file name. Libraries are full of files called 工作总结.txt, so
when the name is taken by another file, the folders above it are prefixed one at a time
(``2024/工作总结.txt``, ``lib/2024/工作总结.txt``, up to `MAX_PARENTS`), and if that is not
enough, ``NAME~DIGEST`` (the first 8 hex digits of the SHA-256 of its path). A file keeps its
name when it is indexed again. A document is ``NAME#ORDINAL``; this identity is what JSON,
reports, ``docs``, ``pairs``, ``remove`` and ``check --exclude`` use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

MAX_PARENTS = 3


def relative_name(path: Path, roots: list[Path]) -> str:
    """``path`` relative to the first of ``roots`` (folders given to ``index``) holding it,
    else its file name."""
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.name


def choose_name(wanted: str, label: str, taken: Mapping[str, str]) -> str:
    """A name for the file at ``label`` (its path in the index), unique against ``taken``
    (name -> path of the file holding it)."""

    def free(name: str) -> bool:
        return taken.get(name, label) == label

    if free(wanted):
        return wanted
    parents = PurePosixPath(label).parent.parts
    depth = len(PurePosixPath(wanted).parts) - 1  # folders already in the name
    for extra in range(1, MAX_PARENTS + 1):
        start = len(parents) - depth - extra
        if start < 0 or parents[start] in ("/", ""):
            break
        candidate = "/".join((*parents[start : len(parents) - depth], wanted))
        if free(candidate):
            return candidate
    digest = hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()
    width = 8
    while not free(f"{wanted}~{digest[:width]}"):
        width += 4
    return f"{wanted}~{digest[:width]}"
