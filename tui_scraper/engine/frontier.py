"""One domain's frontier: the URLs still to fetch, deduplicated, in scope, within budget.

Breadth-first: a URL is queued with its depth and the page that linked to it.
The page budget is exact: a URL is queued only while the budget has room, so the
frontier never grows past --max-pages, even on a crawler trap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from tui_scraper.engine.urls import Scope, canonicalize, host_of

Entry = tuple[str, int, str | None]
"""(URL, depth, referrer)"""


def as_http(url: str) -> str:
    """The http:// form of an https:// URL (the fallback when https cannot connect)."""
    return "http://" + url.removeprefix("https://")


class Frontier:
    """The queue of one domain crawl, with its dedupe set, scope and page budget."""

    def __init__(self, scope: Scope, max_pages: int) -> None:
        self.scope = scope
        self.queue: asyncio.Queue[Entry] = asyncio.Queue()
        self.seen: set[str] = set()
        # the start page takes one page of the budget
        self._room = max_pages - 1
        self.budget_hit = False
        self.out_of_scope = 0
        # Hosts whose https could not connect at all: their https links are crawled as
        # http, not retried and failed one by one (nor fetched twice, once per scheme).
        self.http_only: set[str] = set()

    def over_http(self, url: str) -> str:
        """`url` as http:// when its host is known not to connect over https."""
        return as_http(url) if self.http_only and host_of(url) in self.http_only else url

    def mark_seen(self, url: str) -> None:
        self.seen.add(canonicalize(url) or url)

    def is_seen(self, url: str) -> bool:
        canonical = canonicalize(url)
        return canonical is not None and canonical in self.seen

    def fresh(self, links: Iterable[str], canonical: bool = False) -> list[str]:
        """The links not seen before and in scope, canonicalized (unless `canonical`).

        They are seen from now on; those out of scope are counted, not kept.
        """
        found: list[str] = []
        http_only = self.http_only
        for link in links:
            url = link if canonical else canonicalize(link)
            if url is not None and http_only and url[:8] == "https://":
                url = self.over_http(url)
            if url is None or url in self.seen:
                continue
            self.seen.add(url)
            if url in self.scope:
                found.append(url)
            else:
                self.out_of_scope += 1
        return found

    def push(self, url: str, depth: int, referrer: str | None) -> bool:
        """Queue a URL while the budget has room; False (and budget_hit) once it has none."""
        if self._room <= 0:
            self.budget_hit = True
            return False
        self._room -= 1
        self.queue.put_nowait((url, depth, referrer))
        return True
