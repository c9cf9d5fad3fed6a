"""The demo web's public names in one place, as they were before the web was split up.

The web itself lives in the modules named below: `truth` (what a page is and what a
correct extractor finds in it), `writer` (the page writer), `business` and `misbehaving`
(the two families of site), `web` (building the demo web) and `perf` (the benchmark web).
"""

from __future__ import annotations

from .business import CONTACT_TRICKS, MOVED_CHAIN, MOVED_TARGET
from .kinds import (
    COOKIE_WALL_COOKIE,
    CP1252_SPECIAL,
    HUGE_BYTES,
    HUGE_CHUNK_BYTES,
    HUGE_PATH,
    KIND_NORMAL,
    KIND_PERF,
    KIND_WWW,
    MARKUP_H1,
    MARKUP_TITLE,
    METADATA_URL,
    MISBEHAVING_HOSTS,
    MISBEHAVING_KINDS,
    PRIVATE_REDIRECT_KINDS,
    TLS_FAILING_KINDS,
)
from .perf import build_perf_web
from .special import NOT_FOUND_BODY, not_found_page
from .truth import HTML_UTF8, DemoFile, DemoPage, DemoSite, DemoWeb
from .urls import (
    TRACKING_PARAMS,
    canonical_url,
    collapse,
    compress,
    decompress,
    is_tracking_param,
    slugify,
)
from .web import build_demo_web
from .writer import cloudflare_hex

__all__ = [
    "CONTACT_TRICKS",
    "COOKIE_WALL_COOKIE",
    "CP1252_SPECIAL",
    "HTML_UTF8",
    "HUGE_BYTES",
    "HUGE_CHUNK_BYTES",
    "HUGE_PATH",
    "KIND_NORMAL",
    "KIND_PERF",
    "KIND_WWW",
    "MARKUP_H1",
    "MARKUP_TITLE",
    "METADATA_URL",
    "MISBEHAVING_HOSTS",
    "MISBEHAVING_KINDS",
    "MOVED_CHAIN",
    "MOVED_TARGET",
    "NOT_FOUND_BODY",
    "PRIVATE_REDIRECT_KINDS",
    "TLS_FAILING_KINDS",
    "TRACKING_PARAMS",
    "DemoFile",
    "DemoPage",
    "DemoSite",
    "DemoWeb",
    "build_demo_web",
    "build_perf_web",
    "canonical_url",
    "cloudflare_hex",
    "collapse",
    "compress",
    "decompress",
    "is_tracking_param",
    "not_found_page",
    "slugify",
]
