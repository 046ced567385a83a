"""What a server is started with, and the rules about where it may listen."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from ..errors import UsageError
from ..text.reading import MAX_DRAFT_BYTES, MAX_FILE_BYTES

MIN_TOKEN_CHARS = 16  # a token guards an index on a network: long enough not to be guessed
# A request body may hold a little more than its file: multipart boundaries and headers, and
# JSON escapes (json.dumps writes each Chinese character as a 6-byte \uXXXX by default).
CHECK_BODY_BYTES = 2 * MAX_DRAFT_BYTES + 64 * 1024
INDEX_BODY_BYTES = 4 * MAX_FILE_BYTES + 64 * 1024  # up to four library files of the largest size at once
OTHER_BODY_BYTES = 64 * 1024  # a login form
PAIRS_TIME_LIMIT_S = 120.0  # the reuse map on demand; beyond this, `chachong pairs` on the server
RESULTS_KEPT = 200  # finished checks whose page and downloads stay available ...
RESULTS_KEPT_S = 4 * 3600  # ... for this long (in memory: a restart forgets them) ...
RESULTS_KEPT_BYTES = 256 * 1024 * 1024  # ... and in this much memory
PAIRS_KEPT = 8  # reuse maps kept for the index as it is (one per --max-docs asked)


def default_workers() -> int:
    """One check worker per core (each check is CPU work), at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeConfig:
    location: str  # the index (a file or redis:// URL), as given
    token: str | None = None  # every request must carry it (required off loopback)
    allow_index: bool = False  # uploads may be added to the index
    workers: int = 1  # check worker processes
    max_queued: int = 64  # checks waiting or running at once; more are refused (503, busy)
    loopback: bool = True  # listening on loopback only: requests must name a loopback host

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise UsageError(f"--workers takes a positive number, got {self.workers}")
        if self.max_queued < self.workers:
            raise UsageError("the queue must hold at least one check per worker")
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise UsageError(
                f"the token must be at least {MIN_TOKEN_CHARS} characters "
                '(make one with: python -c "import secrets; print(secrets.token_urlsafe(24))")'
            )
        if not self.loopback and self.token is None:
            raise UsageError(
                "listening beyond this machine needs a token: set CHACHONG_TOKEN (or --token); "
                "every request must then carry it"
            )


def config_for(*, host: str, location: str, token: str | None, allow_index: bool, workers: int) -> ServeConfig:
    """The configuration of a server listening on ``host`` (refused off loopback without a token)."""
    return ServeConfig(location=location, token=token or None, allow_index=allow_index, workers=workers,
                       loopback=is_loopback(host))
