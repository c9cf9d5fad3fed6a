"""Crawled contact tricks: the demo web's trick sites hold exactly their real addresses."""

from __future__ import annotations

from typing import Any

from tests.helpers.demo import demo_settings, run_batch, trick_sites
from tui_scraper.demo import DemoWeb


async def test_crawled_trick_sites_hold_exactly_the_real_addresses(
    demo_server: Any, demo_web: DemoWeb
) -> None:
    sites = trick_sites(demo_web)
    hosts = [site.host for site in sites.values()]
    run = await run_batch(demo_settings(demo_server, max_pages=40), hosts)
    for site in sites.values():
        record = run.record(site.host)
        assert record["status"] == "done"
        truth = {e for p in site.pages.values() if p.status == 200 for e in p.emails}
        assert set(record["emails"]) == truth, site.host
        for page in run.pages[site.host]:
            assert "/cdn-cgi/" not in page["url"]  # disguised addresses are never crawled
