"""Finished checks, kept a while so their page and downloads can be opened by address.

Each result gets an unguessable id (128 random bits): the page /check/ID, the report
/check/ID/report.html and the JSON /check/ID/result.json. Kept in the server's memory only: the
newest RESULTS_KEPT, for up to RESULTS_KEPT_S seconds and within RESULTS_KEPT_BYTES, so drafts
do not pile up on the server.
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

    @property
    def weight(self) -> int:
        """Roughly the bytes it holds: the draft and its passages (up to 4 bytes a character
        in a Python string), the report once rendered."""
        chars = len(self.result.text) + sum(len(p.text) for p in self.result.passages)
        return 4 * chars + 4 * len(self.report_html or "")


class ResultStore:
    def __init__(self, *, keep: int, seconds: float, max_bytes: int) -> None:
        self.keep = keep
        self.seconds = seconds
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Kept] = OrderedDict()

    def add(self, result: CheckResult) -> str:
        key = secrets.token_urlsafe(16)
        self._items[key] = Kept(result, time.monotonic())
        self._expire()
        return key

    def get(self, key: str) -> Kept | None:
        self._expire()
        return self._items.get(key)

    def _expire(self) -> None:
        """Forget the oldest results past the age, count or size limit (never the newest one)."""
        cutoff = time.monotonic() - self.seconds
        total = sum(k.weight for k in self._items.values())
        while len(self._items) > 1:
            oldest = next(iter(self._items.values()))
            if oldest.created >= cutoff and len(self._items) <= self.keep and total <= self.max_bytes:
                break
            total -= oldest.weight
            self._items.popitem(last=False)
