"""The one exception tree of chachong; the CLI catches `ChachongError` once.

Every error carries the file it is about (when there is one) so the CLI can print a
single line ``chachong: error: FILE: problem`` and exit with status 2.
"""

from __future__ import annotations

from .report.format import visible

# Longest problem text we print: messages from SQLite or decoders can quote whole
# damaged values; the user needs the gist on one line, not kilobytes of mojibake.
MAX_PROBLEM_CHARS = 300


def one_line(problem: str, *, limit: int = MAX_PROBLEM_CHARS) -> str:
    """``problem`` on one line: whitespace runs (newlines included) become one space,
    control characters are shown as escapes (`visible`), and the text is cut to ``limit``
    characters."""
    flat = " ".join(visible(str(problem), keep_breaks=True).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# Secrets the user handed us (a Redis password in the index URL): never part of a message,
# whatever library wrote the message. Filled by the code that parses a location.
_SECRETS: set[str] = set()
MIN_SECRET_CHARS = 4  # shorter ones would blank innocent text; the URL redaction covers them


def register_secret(secret: str) -> None:
    """Blank ``secret`` out of every error message from now on."""
    if len(secret) >= MIN_SECRET_CHARS:
        _SECRETS.add(secret)


def without_secrets(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class ChachongError(Exception):
    """Base class for every error chachong reports to a user."""

    exit_code = 2

    def __init__(self, problem: str, *, path: object | None = None) -> None:
        # One line always: the CLI promises a single ``chachong: error: FILE: problem`` line
        # even when the problem comes from SQLite's multi-line integrity report.
        self.problem = one_line(without_secrets(problem))
        # A path is printed as it is (spaces matter); line breaks, control characters and
        # bytes that are not UTF-8 are shown as escapes, so a file name cannot forge a line.
        self.path = None if path is None else visible(without_secrets(str(path)))
        super().__init__(f"{self.path}: {self.problem}" if self.path else self.problem)


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
