"""JSON Lines output: one object per line, Chinese kept readable (the contract in the README)."""

from __future__ import annotations

import json
from typing import Any


def json_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False)
