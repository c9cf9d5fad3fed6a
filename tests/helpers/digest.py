"""A digest of a generated demo web: what its pages and files hold, byte for byte."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import deque

from tui_scraper.demo import DemoFile, DemoPage, DemoSite, DemoWeb

# Pages a dynamic (infinite) site contributes: the first ones a breadth-first walk finds.
DYNAMIC_SAMPLE = 40


def record_bytes(record: DemoPage | DemoFile) -> bytes:
    """Every field of a page or file, bodies as they are and the rest as their repr."""
    out: list[bytes] = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, bytes):
            out.append(f"{f.name}:{len(value)}:".encode() + value + b"\n")
        else:
            out.append(f"{f.name}={value!r}\n".encode())
    return b"".join(out)


def dynamic_pages(site: DemoSite) -> list[DemoPage]:
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
            digest.update(record_bytes(page))
        for path, file in site.files.items():
            digest.update(f"file {path}\n".encode())
            digest.update(record_bytes(file))
        if site.dynamic is not None:
            for page in dynamic_pages(site):
                digest.update(f"dynamic {page.path}\n".encode())
                digest.update(record_bytes(page))
    return digest.hexdigest()
