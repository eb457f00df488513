"""Command line: ``python -m skkdece.robocode record / fight / train-gun``."""

import sys

from ._battles import main

if __name__ == "__main__":
    sys.exit(main())
