"""The demo web's generated content is stable: digests of fixed seeds that see a change."""

from __future__ import annotations

import dataclasses

from tests.helpers.digest import web_digest
from tui_scraper.demo import DemoWeb, build_perf_web

PERF_WEB_3_20 = "aa2959de10e056426fd7d90dae88b61a877b941e6e33919b55cbab2ee6bc1749"


def test_perf_web_of_3_sites_of_20_pages_is_unchanged() -> None:
    assert web_digest(build_perf_web(3, 20)) == PERF_WEB_3_20


def test_the_digest_sees_a_changed_page() -> None:
    web = build_perf_web(1, 2)
    site = web.sites["perf-0001.test"]
    changed = dict(site.pages)
    changed["/"] = dataclasses.replace(changed["/"], status=500)
    other = DemoWeb({site.host: dataclasses.replace(site, pages=changed)}, web.seed)
    assert web_digest(other) != web_digest(web)
