"""Comparing two batches in bounded memory: 100,000 synthetic pages a side."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

from tui_scraper.compare import compare_batches


def synthetic(domains: int, per_domain: int, shift: int) -> list[dict[str, Any]]:
    return [{"domain": f"site{d}.test", "job_id": f"j{d}", "status": "done", "emails": [],
             "phones": [], "socials": [], "start_url": f"https://site{d}.test/",
             "final_url": None} for d in range(domains)]  # fmt: skip


def synthetic_pages(domains: int, per_domain: int, shift: int) -> Iterator[dict[str, Any]]:
    for d in range(domains):
        for n in range(shift, per_domain + shift):
            yield {"domain": f"site{d}.test", "url": f"http://site{d}.test/page/{n}",
                   "depth": 0 if n == shift else 1, "status": 200, "title": f"T{n}" * 20,
                   "meta_description": "d" * 200, "h1": ["h" * 50], "emails": ["x@y.test"] * 5,
                   "body_like_padding": "p" * 500}  # fmt: skip


def test_a_100000_page_comparison_streams() -> None:
    domains, per_domain = 500, 200  # 100,000 pages a side, 1,000 differ
    tracemalloc.start()
    try:
        changes = compare_batches(
            synthetic(domains, per_domain, 0),  # type: ignore[arg-type]
            lambda: synthetic_pages(domains, per_domain, 0),  # type: ignore[arg-type,return-value]
            synthetic(domains, per_domain, 0),  # type: ignore[arg-type]
            lambda: synthetic_pages(domains, per_domain, 1),  # type: ignore[arg-type,return-value]
        )
        counts: dict[str, int] = {}
        for change in changes:
            counts[change.change.value] = counts.get(change.change.value, 0) + 1
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts == {"page_added": domains, "page_removed": domains, "title_changed": domains}
    # The pages themselves (about 1 kB each) would take over 100 MB a side.
    assert peak < 40_000_000, peak
