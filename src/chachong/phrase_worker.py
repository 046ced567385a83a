"""The second process of `chachong index`: the phrase table of the index being written.

Run as ``python -m chachong.phrase_worker`` by `phrases.BackgroundPhraseTable`: reads the
request (where the index is, and the new files' documents) on stdin and prints one JSON
line, the table with the generation it belongs to, on stdout. Prints nothing when it
fails: the index process then computes the table itself.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import time


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the index process's to handle
    from .phrases import read_request, table_after_write

    t0 = time.perf_counter()
    location, max_chars, files = read_request(sys.stdin.buffer)
    payload = table_after_write(location, files, max_chars=max_chars)
    payload["seconds"] = time.perf_counter() - t0
    payload["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
