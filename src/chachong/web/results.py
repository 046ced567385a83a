"""Finished checks, kept a while so their page and downloads can be opened by address.

Each result gets an unguessable id (128 random bits): the page /check/ID, the report
/check/ID/report.html and the JSON /check/ID.json. Kept in the server's memory only: the
newest RESULTS_KEPT for up to RESULTS_KEPT_S seconds, so drafts do not pile up on the server.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from ..model import CheckResult


@dataclass(slots=True)
class Kept:
    result: CheckResult
    created: float
    report_html: str | None = field(default=None)  # rendered on first request


class ResultStore:
    def __init__(self, *, keep: int, seconds: float) -> None:
        self.keep = keep
        self.seconds = seconds
        self._items: OrderedDict[str, Kept] = OrderedDict()

    def add(self, result: CheckResult) -> str:
        self._expire()
        key = secrets.token_urlsafe(16)
        self._items[key] = Kept(result, time.monotonic())
        while len(self._items) > self.keep:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> Kept | None:
        self._expire()
        return self._items.get(key)

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.seconds
        while self._items and next(iter(self._items.values())).created < cutoff:
            self._items.popitem(last=False)
