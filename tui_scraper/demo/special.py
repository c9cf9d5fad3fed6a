"""Special pages and files (404, raw files, redirects, sitemaps, robots.txt); a site assembled."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Mapping

from .content import SiteContext
from .truth import HTML_UTF8, DemoFile, DemoPage, DemoSite
from .urls import esc, esc_attr

_NOT_FOUND_HTML = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    b"<title>404 Not Found</title>\n</head>\n<body>\n<h1>Not Found</h1>\n"
    b"<p>The requested page does not exist.</p>\n</body>\n</html>\n"
)
NOT_FOUND_BODY = _NOT_FOUND_HTML


def not_found_page(host: str, path: str, scheme: str = "https") -> DemoPage:
    """The truth of the server's generic 404 page (what a broken link leads to)."""
    return DemoPage(
        path=path,
        title="404 Not Found",
        meta_description=None,
        h1=("Not Found",),
        emails=(),
        phones=(),
        socials=(),
        internal_links=(),
        external_links=(),
        lang="en",
        canonical=None,
        content_type=HTML_UTF8,
        status=404,
        url=f"{scheme}://{host}{path}",
        body=_NOT_FOUND_HTML,
    )


def raw_page(
    host: str, path: str, content_type: str, body: bytes, scheme: str = "https"
) -> DemoPage:
    """A non-HTML page: recorded by the crawler without extraction."""
    return DemoPage(
        path=path,
        title=None,
        meta_description=None,
        h1=(),
        emails=(),
        phones=(),
        socials=(),
        internal_links=(),
        external_links=(),
        lang=None,
        canonical=None,
        content_type=content_type,
        url=f"{scheme}://{host}{path}",
        body=body,
    )


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x80\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _redirect(path: str, status: int, location: str) -> DemoFile:
    body = f'<a href="{esc_attr(location)}">Moved</a>\n'.encode()
    return DemoFile(path, status, HTML_UTF8, body, (("Location", location),))


def urlset_xml(urls: list[str]) -> bytes:
    rows = "".join(f"  <url><loc>{esc(u)}</loc><lastmod>2026-01-15</lastmod></url>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</urlset>\n"
    ).encode()


def sitemap_index_xml(urls: list[str]) -> bytes:
    rows = "".join(f"  <sitemap><loc>{esc(u)}</loc></sitemap>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</sitemapindex>\n"
    ).encode()


def robots_text(disallow: list[str], sitemaps: list[str], crawl_delay: float | None) -> str:
    lines = ["User-agent: BadBot", "Disallow: /", "Crawl-delay: 10", "", "User-agent: *"]
    lines += [f"Disallow: {p}" for p in disallow] or ["Disallow:"]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    lines.append("")
    lines += [f"Sitemap: {u}" for u in sitemaps]
    return "\n".join(lines).rstrip("\n") + "\n"


def site_from(
    ctx: SiteContext,
    kind: str,
    pages: Mapping[str, DemoPage],
    *,
    robots_txt: str | None = None,
    robots_status: int = 404,
    disallowed: tuple[str, ...] = (),
    sitemap_only: tuple[str, ...] = (),
    crawl_delay: float | None = None,
    sitemaps: tuple[str, ...] = (),
    files: dict[str, DemoFile] | None = None,
    redirects: dict[str, tuple[int, str]] | None = None,
    broken: tuple[str, ...] = (),
    infinite: bool = False,
    dynamic: Callable[[str], DemoPage | None] | None = None,
) -> DemoSite:
    files = dict(files or {})
    if robots_txt is not None:
        files["/robots.txt"] = DemoFile(
            "/robots.txt", 200, "text/plain; charset=utf-8", robots_txt.encode()
        )
    elif robots_status >= 500:
        files["/robots.txt"] = DemoFile(
            "/robots.txt", robots_status, "text/plain; charset=utf-8", b"Internal Server Error\n"
        )
    for path, (status, location) in (redirects or {}).items():
        files[path] = _redirect(path, status, location)
    return DemoSite(
        host=ctx.key,
        kind=kind,
        pages=pages,
        robots_txt=robots_txt,
        disallowed_prefixes=disallowed,
        sitemap_only_paths=sitemap_only,
        name=ctx.name,
        canonical_host=ctx.host,
        robots_status=200 if robots_txt is not None else robots_status,
        crawl_delay=crawl_delay,
        sitemaps=sitemaps,
        files=files,
        redirects=dict(redirects or {}),
        broken_paths=broken,
        infinite=infinite,
        dynamic=dynamic,
        scheme=ctx.scheme,
    )
