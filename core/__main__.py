"""``python -m core``: see core/cli.py and docs/cli.md."""

import sys

from core.cli import main

if __name__ == "__main__":
    sys.exit(main())
