"""Command line: ``python -m skkdece.robocode record / fight``."""

import sys

from ._battles import main

if __name__ == "__main__":
    sys.exit(main())
