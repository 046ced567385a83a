"""Building and extending an index: files in, one atomic write out.

Everything a run will write is computed first; the store then writes it in one
transaction. A bad file named on the command line therefore stops the run before
anything is written, and a run killed half-way leaves the index as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ChachongError, InputError
from .library.ads import ad_like
from .library.linking import RunDocument, link_documents
from .library.naming import choose_name, relative_name
from .model import DEFAULT_COLLECTION, FileRecord, Link, NewDocument, NewFile
from .report.format import name_text
from .sketch.keys import sketch_sentences
from .sketch.lsh import LshParams
from .store import Store, open_store, store_exists
from .text.normalize import normalize
from .text.reading import SUPPORTED_SUFFIXES, SourceText, file_kind_problem, read_text
from .text.splitting import DocumentSpan, Split, line_key, split_documents

BUNDLED_LABEL = "corpus"
EDGE_HEAD_LINES = 3
EDGE_TAIL_LINES = 10
MIN_SET_ASIDE_CHARS = 10
MIN_FILES = 2
MIN_OCCURRENCES = 3

Progress = Callable[[int, int, str], None]  # (files done, files total, current file)
OnSplit = Callable[[list["SplitFile"]], None]


@dataclass(frozen=True, slots=True)
class SplitFile:
    """A file being added, split into documents: what ``on_split`` receives."""

    path: str  # its label in the index
    sha256: str
    text: str
    documents: tuple[DocumentSpan, ...]
    name: str = ""  # its identity (`FileRecord.name`)
    links: tuple[Link, ...] = ()  # its documents' near-duplicate links (`NewFile.links`)


@dataclass(frozen=True, slots=True)
class IndexReport:
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (path, reason) of files a folder held but we could not read
    documents: int
    sentences: int
    chars: int
    warnings: tuple[tuple[str, str], ...]  # (path, warning)
    moved: tuple[str, ...] = ()  # unchanged files moved to the collection asked for
    pruned: tuple[str, ...] = ()  # files gone from the folders indexed, taken out (--prune)


def bundled_corpus_dir() -> Path:
    """The corpus shipped inside the package (or the repository's corpus/ when run from source)."""
    packaged = Path(str(resources.files("chachong"))) / "corpus"
    if packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parents[2] / "corpus"
    if source_tree.is_dir():
        return source_tree
    raise ChachongError("the bundled corpus is missing from this installation")


def user_cache_dir() -> Path:
    """chachong's per-user cache folder: ``$XDG_CACHE_HOME/chachong`` (``~/.cache/chachong``)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "chachong"


def default_index_location() -> str:
    """``$CHACHONG_INDEX``, else the per-user cache file holding the bundled corpus."""
    env = os.environ.get("CHACHONG_INDEX")
    if env:
        return env
    return str(user_cache_dir() / "index.sqlite")


def label_for(path: Path) -> str:
    """How a file is named in the index: corpus/NAME for the bundled corpus, else its absolute
    path; bytes of the name that are not UTF-8 as ``\\xNN`` (`format.name_text`)."""
    resolved = path.resolve()
    try:
        bundled = bundled_corpus_dir().resolve()
        if resolved.is_relative_to(bundled):
            return name_text(f"{BUNDLED_LABEL}/{resolved.relative_to(bundled).as_posix()}")
    except ChachongError:
        pass
    return name_text(str(resolved))


_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")  # a byte that was not UTF-8, as `name_text` wrote it


def disk_path(label: str) -> Path:
    """Where the file indexed as ``label`` is on disk (the inverse of `label_for`): a label
    with ``\\xNN`` escapes names the file whose name has those bytes, unless a file is named
    with the escapes written out."""
    path = Path(label)
    if label.startswith(BUNDLED_LABEL + "/"):
        with contextlib.suppress(ChachongError):
            path = bundled_corpus_dir() / label[len(BUNDLED_LABEL) + 1 :]
    if not os.path.lexists(path) and _ESCAPED_BYTE.search(str(path)):
        raw = _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), str(path))
        if os.path.lexists(raw):
            return Path(raw)
    return path


def missing_files(files: Iterable[FileRecord], paths: Sequence[str | Path]) -> list[str]:
    """Paths of indexed files no longer on disk: under the folders among ``paths``, or
    anywhere when ``paths`` is empty (what ``index --prune`` takes out)."""
    folders = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    gone = []
    for f in files:
        where = disk_path(f.path)
        if where.exists():
            continue
        if not paths or any(where.is_relative_to(folder) for folder in folders):
            gone.append(f.path)
    return sorted(gone)


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to index: named files as they are, folders walked (sorted) for readable types.

    Inside folders, entries that are not regular files (FIFOs, sockets, devices, broken
    symbolic links: `reading.file_kind_problem`) and files of other types are listed as
    skipped with the reason (the path as `format.name_text` writes it); directories and
    hidden entries are passed over.
    """
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("no such file or directory", path=path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in child.relative_to(path).parts) or child.is_dir():
                    continue
                problem = file_kind_problem(child)
                if problem is None and child.suffix.lower() not in SUPPORTED_SUFFIXES:
                    problem = f"unsupported file type {child.suffix or '(none)'}"
                if problem is None:
                    files.append(child)
                else:
                    skipped.append((name_text(str(child)), problem))
        else:
            files.append(path)
    return files, skipped


def _edge_keys(text: str) -> dict[str, int]:
    """Keys of a file's first and last lines, with their number of occurrences in the file."""
    keys = [line_key(line) for line in text.splitlines()]
    nonblank = [k for k in keys if k]
    edge = set(nonblank[:EDGE_HEAD_LINES] + nonblank[-EDGE_TAIL_LINES:])
    counts = Counter(k for k in keys if k in edge)
    return {k: c for k, c in counts.items() if len(k) >= MIN_SET_ASIDE_CHARS}


def _set_aside_keys(text: str, recurring: set[str]) -> frozenset[str]:
    """Recurring lines that stand at the start or end of a file and read as ads or watermarks.

    A line qualifies only as part of an unbroken block of such lines reaching the file's
    first or last line: stock phrases inside documents recur too, but never there; and only
    if it reads as an ad (`library.ads`): a reprinted article's title and first lines recur
    at a file's edge too.
    """
    keys = [k for k in (line_key(line) for line in text.splitlines()) if k]
    out: set[str] = set()
    for seq in (keys, list(reversed(keys))):
        for k in seq:
            if k not in recurring or not ad_like(k):
                break
            out.add(k)
    return frozenset(out)


def split_file(source: SourceText, *, label: str, recurring: set[str]) -> Split:
    """The documents of a file, its ads and watermarks (recurring edge lines) set aside."""
    set_aside = _set_aside_keys(source.text, recurring)
    return split_documents(source.text, fallback_title=Path(label).stem, set_aside=set_aside)


def encode_file(
    source: SourceText, *, label: str, recurring: set[str], params: LshParams,
    split: Split | None = None,
) -> NewFile:
    """Everything the store keeps of one file; ``split``: its `split_file`, if already done."""
    text = source.text
    if split is None:
        split = split_file(source, label=label, recurring=recurring)
    norm = normalize(text)
    sketch = sketch_sentences(norm, params)
    sentences, keys = sketch.sents, sketch.band_keys
    orig_start = norm.starts[sentences.starts] if len(sentences) else np.zeros(0, np.int64)
    orig_end = norm.ends[sentences.ends - 1] if len(sentences) else np.zeros(0, np.int64)
    documents = []
    for span in split.documents:
        lo = int(np.searchsorted(orig_start, span.start, side="left"))
        hi = int(np.searchsorted(orig_start, span.end, side="left"))
        spans = np.stack((orig_start[lo:hi] - span.start, orig_end[lo:hi] - span.start), axis=1)
        documents.append(
            NewDocument(
                ordinal=span.ordinal, title=span.title, start=span.start, end=span.end,
                text=text[span.start : span.end], spans=spans.astype(np.int32), keys=keys[lo:hi],
                fragments=sketch.fragments.select(lo, hi),
                paraphrases=sketch.paraphrases.select(lo, hi, windows_inside=True),
            )
        )
    aside_lines = tuple(sorted({line for _, _, line in split.set_aside}))
    return NewFile(
        path=label, sha256=source.sha256, chars=len(text), encoding=source.encoding,
        declared_count=split.declared_count, warnings=split.warnings, set_aside=aside_lines,
        edge_lines=_edge_keys(text), documents=tuple(documents),
    )


def index_paths(  # noqa: PLR0912, PLR0915 - one run, in steps
    store: Store, paths: Sequence[str | Path], *, on_progress: Progress | None = None,
    on_split: OnSplit | None = None, collection: str | None = None, prune: bool = False,
    labels: Mapping[Path, str] | None = None,
) -> IndexReport:
    """Add files and folders to ``store``; unchanged files are left as they are.

    ``labels``: names in the index for some of the given files instead of their paths (files
    a server received, written to temporary files, are indexed under the name they came with).

    ``on_split(files)`` is called once every new file is split into documents and before
    the slow part (MinHash and the write) begins, with the files being added or replaced,
    so work that needs only the documents can run meanwhile.

    ``collection``: the collection of the files added (default: `DEFAULT_COLLECTION`, or
    the one a file had); unchanged files in another collection are moved to it. ``prune``:
    also take out indexed files that are gone from the folders in ``paths`` (from anywhere,
    when ``paths`` is empty).
    """
    files, skipped = collect_files(paths)
    roots = [Path(p) for p in paths if Path(p).is_dir()]
    wanted: dict[str, str] = {}  # label -> the name it would get
    explicit = {Path(p).resolve() for p in paths if not Path(p).is_dir()}
    sources: list[tuple[str, SourceText]] = []
    unchanged: list[str] = []
    replaced: list[str] = []  # already indexed with other content
    seen: dict[str, Path] = {}  # label -> the file it names
    for path in files:
        given = labels.get(path) if labels else None
        label = given or label_for(path)
        if label in seen:
            if seen[label] != path.resolve():  # "a\xff" written out, beside a name with byte 0xff
                skipped.append((name_text(str(path)), f"its name reads the same as {name_text(str(seen[label]))}'s"))
            continue
        seen[label] = path.resolve()
        # A received file is named as it was sent (its label's last part); clashes are resolved
        # by choose_name like any other.
        wanted[label] = given.rsplit("/", 1)[-1] if given else name_text(relative_name(path, roots))
        try:
            source = read_text(path)
        except InputError as exc:
            if path.resolve() in explicit:
                raise
            skipped.append((name_text(str(path)), exc.problem))
            continue
        stored_sha = store.file_sha256(label)
        if stored_sha == source.sha256:
            unchanged.append(label)
            continue
        sources.append((label, source))
        if stored_sha is not None:
            replaced.append(label)

    edge = [(label, _edge_keys(src.text)) for label, src in sources]
    stored = store.edge_line_counts(k for _, e in edge for k in e)
    occurrences: Counter[str] = Counter({k: v[0] for k, v in stored.items()})
    in_files: Counter[str] = Counter({k: v[1] for k, v in stored.items()})
    for label, e in edge:
        # A file being replaced must not count its own previous version as recurrence.
        previous = store.file_edge_lines(label)
        occurrences.subtract(previous)
        in_files.subtract(previous.keys())
        occurrences.update(e)
        in_files.update(e.keys())
    # Ads recur across files; a watermark also recurs within a compilation, once per document.
    recurring = {
        k for k in occurrences if in_files[k] >= MIN_FILES or occurrences[k] >= MIN_OCCURRENCES
    }

    splits = [split_file(source, label=label, recurring=recurring) for label, source in sources]
    # The library layer: identities, collections, near-duplicate links (before the worker
    # starts: the phrase table counts works).
    indexed = {f.path: f for f in store.files()}
    taken = {f.name: f.path for f in indexed.values()}
    names: dict[str, str] = {}
    for label, _ in sources:
        old = indexed.get(label)
        names[label] = old.name if old is not None else choose_name(wanted[label], label, taken)
        taken[names[label]] = label
    collections = {
        label: collection or (indexed[label].collection if label in indexed else DEFAULT_COLLECTION)
        for label, _ in sources
    }
    moved = sorted(p for p in unchanged if collection is not None and indexed[p].collection != collection)
    pruned = missing_files(indexed.values(), [str(p) for p in paths]) if prune else []
    linked = link_documents(store, [
        RunDocument(label, span.ordinal, source.text[span.start : span.end])
        for (label, source), split in zip(sources, splits) for span in split.documents
    ], replaced=set(replaced) | set(pruned))
    if on_split and sources:
        on_split([
            SplitFile(path=label, sha256=source.sha256, text=source.text, documents=split.documents,
                      name=names[label], links=linked.links.get(label, ()))
            for (label, source), split in zip(sources, splits)
        ])
    new_files: list[NewFile] = []
    for i, ((label, source), split) in enumerate(zip(sources, splits)):
        if on_progress:
            on_progress(i, len(sources), label)
        encoded = encode_file(source, label=label, recurring=recurring, params=store.params, split=split)
        new_files.append(replace(
            encoded, name=names[label], collection=collections[label],
            sketches=linked.sketches.get(label), links=linked.links.get(label, ()),
        ))
    if on_progress:
        on_progress(len(sources), len(sources), "writing index")
    # Three transactions, each complete: a failure in one leaves the index in a state the
    # next run completes (input errors have all been raised by now).
    store.remove(paths=pruned)
    store.write(new_files)
    store.set_collection(moved, collection or DEFAULT_COLLECTION)
    return IndexReport(
        added=tuple(nf.path for nf in new_files if nf.path not in replaced),
        replaced=tuple(replaced),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        documents=sum(len(nf.documents) for nf in new_files),
        sentences=sum(int(d.spans.shape[0]) for nf in new_files for d in nf.documents),
        chars=sum(d.end - d.start for nf in new_files for d in nf.documents),
        warnings=tuple((nf.path, w) for nf in new_files for w in nf.warnings),
        moved=tuple(moved), pruned=tuple(pruned),
    )


def ensure_index(location: str, *, on_progress: Progress | None = None) -> Store:
    """Open the index at ``location``; if there is none, build it from the bundled corpus."""
    if store_exists(location):
        return open_store(location)
    store = open_store(location, create=True)
    if store.document_count() == 0:
        index_paths(store, [bundled_corpus_dir()], on_progress=on_progress)
    return store
