"""The one exception tree of chachong; the CLI catches `ChachongError` once.

Every error carries the file it is about (when there is one) so the CLI can print a
single line ``chachong: error: FILE: problem`` and exit with status 2.
"""

from __future__ import annotations


class ChachongError(Exception):
    """Base class for every error chachong reports to a user."""

    exit_code = 2

    def __init__(self, problem: str, *, path: object | None = None) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class InputError(ChachongError):
    """A draft or corpus file cannot be read or decoded."""


class IndexFileError(ChachongError):
    """An index cannot be opened: missing, corrupt, or of another schema version."""


class IndexBusyError(IndexFileError):
    """Another process holds the index for writing longer than we are willing to wait."""


class BackendError(ChachongError):
    """A storage backend (e.g. Redis) cannot be reached or answered with an error."""


class UsageError(ChachongError):
    """Options that make no sense together, or an out-of-range value."""
