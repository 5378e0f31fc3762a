"""``python -m divlab``: the divlab command line (see :mod:`divlab.cli`)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
