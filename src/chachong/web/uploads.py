"""Uploaded files: their type from their content, their name as a label, never as a path.

An upload is written to a private temporary folder under a name the server chooses (``draft``
plus the suffix its content calls for) and read by `chachong.text.reading.read_text`, exactly
as the CLI reads a file, so every format the CLI reads is read here too, with the same
messages. The name the browser sent is only a label: shown in results and messages, cut to
its last path component, and never joined to a path.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_NAME_CHARS = 120

# Leading bytes of the formats a user may send, and the suffix the reader expects for each.
# Anything else is read as text, where the decoder refuses binary data with its own message.
_MAGIC = (
    (b"%PDF", ".pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".doc"),  # OLE compound file: Word 97-2003
    (b"{\\rtf", ".rtf"),
)


def sniff_suffix(data: bytes) -> str:
    """The file suffix ``data`` calls for, judged from its bytes (never from its name)."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, EOFError):
            return ".zip"
        if "word/document.xml" in names:
            return ".docx"
        if "OFD.xml" in names:
            return ".ofd"
        return ".zip"
    for magic, suffix in _MAGIC:
        if data.startswith(magic):
            return suffix
    return ".txt"


def clean_name(name: str | None, *, default: str) -> str:
    """A name a client gave, as a label: control and formatting characters removed, at most
    MAX_NAME_CHARS characters; ``default`` if nothing is left."""
    kept = "".join(ch for ch in name or "" if unicodedata.category(ch)[0] != "C").strip()
    return kept[:MAX_NAME_CHARS] if kept else default


def label(name: str | None, *, default: str) -> str:
    """A browser-sent file name as a label: its last path component (``/`` or ``\\``), cleaned."""
    base = clean_name((name or "").replace("\\", "/").rsplit("/", 1)[-1], default=default)
    return default if base in (".", "..") else base


@contextmanager
def temporary_files(contents: list[bytes]) -> Iterator[list[Path]]:
    """Each upload in a private temporary folder (mode 0700) as ``draftN`` + its sniffed suffix;
    the folder is removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="chachong-upload-"))
    try:
        paths = []
        for i, data in enumerate(contents):
            path = folder / f"draft{i}{sniff_suffix(data)}"
            path.write_bytes(data)
            paths.append(path)
        yield paths
    finally:
        shutil.rmtree(folder, ignore_errors=True)
