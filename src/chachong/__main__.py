"""``python -m chachong`` and the ``chachong`` console script."""

import sys


def main() -> None:
    from .cli import main as cli_main

    sys.exit(cli_main())


if __name__ == "__main__":
    main()
