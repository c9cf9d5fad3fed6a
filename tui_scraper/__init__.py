"""tui-scraper: crawl a batch of websites concurrently from a terminal."""

from __future__ import annotations

__version__ = "0.1.0"
