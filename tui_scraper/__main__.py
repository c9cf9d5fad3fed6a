"""`python -m tui_scraper`: the same as the `tui-scraper` command."""

from __future__ import annotations

import sys

from tui_scraper.cli import main

if __name__ == "__main__":  # parser worker processes import this module too
    sys.exit(main())
