"""The demo web's truth agrees with its HTML, without serving it: shape, seeds, sitemaps, traps."""

from __future__ import annotations

import re

import pytest

from tui_scraper.demo import DemoWeb, build_perf_web
from tui_scraper.demo.sites import (
    MISBEHAVING_KINDS,
)


def test_web_shape(demo_web: DemoWeb) -> None:
    kinds = [site.kind for site in demo_web.sites.values()]
    normal = [s for s in demo_web.sites.values() if s.kind in ("normal", "www_redirect")]
    assert 25 <= len(normal) <= 35
    assert all(5 <= len(site.pages) <= 30 for site in normal)
    assert sorted(set(kinds) - {"normal", "www_redirect"}) == sorted(MISBEHAVING_KINDS)
    assert kinds.count("www_redirect") == 1
    assert demo_web.demo_domains() == list(demo_web.sites)
    assert all(host.endswith(".test") for host in demo_web.demo_domains())
    assert {"acme-plumbing.test", "northwind-bakery.test"} <= set(demo_web.sites)
    www = demo_web.by_kind("www_redirect")
    assert www.canonical_host == f"www.{www.host}"
    assert demo_web.site(f"WWW.{www.host}:80") is www
    with pytest.raises(KeyError):
        demo_web.site("nowhere.test")
    # Fictional numbers only, each used by one site.
    owners: dict[str, str] = {}
    for site in normal:
        for page in site.pages.values():
            for phone in page.phones:
                assert re.fullmatch(r"\+(442079460\d{3}|120255501\d{2}|4930901820\d{2})", phone)
                assert owners.setdefault(phone, site.host) == site.host
    features = {
        "robots": any(s.robots_txt and s.disallowed_prefixes for s in normal),
        "sitemap": any(s.sitemap_only_paths for s in normal),
        "broken": any(s.broken_paths for s in normal),
        "two_h1": any(len(p.h1) > 1 for s in normal for p in s.pages.values()),
        "mailto_subject": any("?subject=" in p.html() for s in normal for p in s.pages.values()),
        "social": any(p.socials for s in normal for p in s.pages.values()),
    }
    assert all(features.values()), features


def test_sitemap_only_pages_are_not_linked(demo_web: DemoWeb) -> None:
    with_sitemaps = [s for s in demo_web.sites.values() if s.sitemap_only_paths]
    assert with_sitemaps
    for site in with_sitemaps:
        linked = {link for page in site.pages.values() for link in page.internal_links}
        for path in site.sitemap_only_paths:
            assert site.pages[path].status == 200
            assert site.url(path) not in linked
            assert path not in site.reachable_paths(use_sitemaps=False)
            assert path in site.reachable_paths()


def test_perf_web_pages_are_reachable_breadth_first() -> None:
    web = build_perf_web(200, 50, page_bytes=3_000)
    for host in ("perf-0001.test", "perf-0117.test", "perf-0200.test"):
        site = web.site(host)
        depth = {"/": 0}
        frontier = ["/"]
        while frontier:
            path = frontier.pop(0)
            for link in site.pages[path].internal_links:
                target = site.path_of(link)
                assert target is not None and target in site.pages
                if target not in depth:
                    depth[target] = depth[path] + 1
                    frontier.append(target)
        assert len(depth) == 50
        assert max(depth.values()) <= 3
    assert build_perf_web(3, 4).site("perf-0002.test").pages["/p/3"].title
