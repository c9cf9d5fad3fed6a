"""The demo web's generated content is stable: digests of fixed seeds that see a change."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import deque

from tui_scraper.demo import DemoFile, DemoPage, DemoSite, DemoWeb, build_demo_web, build_perf_web

# Pages a dynamic (infinite) site contributes: the first ones a breadth-first walk finds.
DYNAMIC_SAMPLE = 40


DEMO_WEB_7 = "e89ef604af17ffb0993c64412b4390bd33b0a6e482bb9ac5107fa5f029360bcb"


PERF_WEB_3_20 = "aa2959de10e056426fd7d90dae88b61a877b941e6e33919b55cbab2ee6bc1749"


def _record_bytes(record: DemoPage | DemoFile) -> bytes:
    """Every field of a page or file, bodies as they are and the rest as their repr."""
    out: list[bytes] = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, bytes):
            out.append(f"{f.name}:{len(value)}:".encode() + value + b"\n")
        else:
            out.append(f"{f.name}={value!r}\n".encode())
    return b"".join(out)


def _dynamic_pages(site: DemoSite) -> list[DemoPage]:
    """The first pages of an infinite site, breadth-first from its listed pages' links."""
    queue = deque(link for page in site.pages.values() for link in page.internal_links)
    seen: set[str] = set(site.pages)
    found: list[DemoPage] = []
    while queue and len(found) < DYNAMIC_SAMPLE:
        path = site.path_of(queue.popleft())
        if path is None or path in seen:
            continue
        seen.add(path)
        page = site.page(path)
        if page is not None:
            found.append(page)
            queue.extend(page.internal_links)
    return found


def web_digest(web: DemoWeb) -> str:
    """SHA-256 over every site's fields, every page and file (body, status, truth)."""
    digest = hashlib.sha256(f"seed={web.seed}\n".encode())
    for host, site in web.sites.items():
        digest.update(f"site {host}\n".encode())
        for f in dataclasses.fields(site):
            if f.name not in ("pages", "files", "dynamic"):
                digest.update(f"{f.name}={getattr(site, f.name)!r}\n".encode())
        for path, page in site.pages.items():
            digest.update(f"page {path}\n".encode())
            digest.update(_record_bytes(page))
        for path, file in site.files.items():
            digest.update(f"file {path}\n".encode())
            digest.update(_record_bytes(file))
        if site.dynamic is not None:
            for page in _dynamic_pages(site):
                digest.update(f"dynamic {page.path}\n".encode())
                digest.update(_record_bytes(page))
    return digest.hexdigest()


def test_demo_web_of_seed_7_is_unchanged() -> None:
    assert web_digest(build_demo_web(7)) == DEMO_WEB_7


def test_perf_web_of_3_sites_of_20_pages_is_unchanged() -> None:
    assert web_digest(build_perf_web(3, 20)) == PERF_WEB_3_20


def test_the_digest_sees_a_changed_page() -> None:
    web = build_perf_web(1, 2)
    site = web.sites["perf-0001.test"]
    changed = dict(site.pages)
    changed["/"] = dataclasses.replace(changed["/"], status=500)
    other = DemoWeb({site.host: dataclasses.replace(site, pages=changed)}, web.seed)
    assert web_digest(other) != web_digest(web)
