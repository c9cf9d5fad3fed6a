"""`python -m tui_scraper`: the same as the `tui-scraper` command."""

from __future__ import annotations

import sys

from tui_scraper.cli import main

sys.exit(main())
