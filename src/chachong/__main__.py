"""``python -m chachong`` and the ``chachong`` console script."""

import os
import signal
import sys
from types import FrameType


def _during_start_up(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM before the command line has taken over: nothing has been done yet,
    so end at once, with the line a later interrupt gives (not an import's traceback)."""
    sys.stderr.write(f"chachong: {'terminated' if signum == signal.SIGTERM else 'interrupted'}\n")
    sys.stderr.flush()
    os._exit(128 + signum)


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _during_start_up)
    from .cli import main as cli_main  # typer, rich, numpy …: a moment

    code = cli_main()
    # Done and flushed: a signal now changes nothing (Python would otherwise restore the
    # default handlers while exiting, and a late Ctrl-C would kill a finished run).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    main()
