#!/usr/bin/env python
"""Developer entry point; the installed one is the ``townhall`` console script."""

from townhall.cli import main

if __name__ == "__main__":
    main()
