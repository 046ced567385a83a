"""JSON Lines output: one object per line, Chinese kept readable (the contract in the README)."""

from __future__ import annotations

import json
import re
from typing import Any

# json.dumps(ensure_ascii=False) escapes C0 controls but writes these as they are: C1
# controls and bidi overrides would act on a terminal the JSON is printed to, U+2028/U+2029
# break lines in some readers, and a lone surrogate (a name that was not UTF-8) cannot be
# encoded as UTF-8 at all. As \uXXXX escapes they parse back to exactly the same strings.
_ESCAPED = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_line(obj: dict[str, Any]) -> str:
    return json_text(obj)


def json_text(obj: Any) -> str:
    """``obj`` as one line of JSON, Chinese readable, the characters above escaped (the HTTP
    API answers with the same text)."""
    line = json.dumps(obj, ensure_ascii=False, sort_keys=False)
    # These characters can only stand inside a JSON string here, where \\uXXXX is their escape.
    return _ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
