"""The truth types of the demo web: what every URL answers and what a correct extractor finds.

Pure data, no aiohttp: tests and benchmarks can build and inspect the web without a
server. Every HTML page is rendered *from* its truth by one writer (`writer.PageWriter`), which
records each title, heading, email, phone and link as it emits it, so the HTML and the
truth cannot disagree.

Truth conventions (the spec's extraction rules):
- text is the element's text as a reader sees it: its text nodes in document order, a
  space at the edges of block-level elements and at `<br>`, nothing between inline
  elements (span, sup, small, ruby, rt, b, ...), whitespace collapsed;
- `h1` lists the non-empty `<h1>` texts in document order;
- emails, phones (E.164), socials and links are deduplicated in order of first
  appearance; compare them as sets, extraction order is not part of the contract;
- `internal_links` / `external_links` are absolute canonical URLs (fragment dropped,
  host lower-cased, default port dropped, `utm_*`/`gclid`/`fbclid` removed) of the
  page's `<a href>` links, self-links included; `external_links` includes the social
  profile links (they are out-of-scope links too); `mailto:`, `tel:` and
  `javascript:` hrefs are not links.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .urls import decompress, strip_tracking_path

HTML_UTF8 = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class DemoPage:
    """What one URL of the demo web answers, and what a correct extractor finds in it."""

    path: str
    title: str | None
    meta_description: str | None
    h1: tuple[str, ...]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    socials: tuple[str, ...]
    internal_links: tuple[str, ...]
    external_links: tuple[str, ...]
    lang: str | None
    canonical: str | None
    content_type: str
    status: int = 200
    url: str = ""
    # The bytes on the wire (already compressed when `headers` has a Content-Encoding).
    body: bytes = field(default=b"", repr=False)
    # Extra response headers besides Content-Type.
    headers: tuple[tuple[str, str], ...] = ()
    # When > 0 the server sends `body` and then filler up to this many bytes, streamed.
    stream_bytes: int = 0
    encoding: str = "utf-8"

    @property
    def is_html(self) -> bool:
        """True when the content type is HTML."""
        return self.content_type.split(";", 1)[0].strip().lower() == "text/html"

    def html(self) -> str:
        """The decoded document (gunzipped if needed); empty for non-HTML pages."""
        if not self.is_html:
            return ""
        coding = dict(self.headers).get("Content-Encoding", "")
        return decompress(self.body, coding).decode(self.encoding)


@dataclass(frozen=True, slots=True)
class DemoFile:
    """A non-page response: robots.txt, a sitemap, a redirect."""

    path: str
    status: int
    content_type: str
    body: bytes = field(default=b"", repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    stream_bytes: int = 0


@dataclass(frozen=True, slots=True)
class DemoSite:
    """One site of the demo web and the truth about it."""

    host: str
    kind: str
    # path (with query, if any) -> page; every URL the site answers as a page,
    # linked, sitemap-only, disallowed or broken (status 404) alike.
    pages: Mapping[str, DemoPage]
    robots_txt: str | None
    disallowed_prefixes: tuple[str, ...]
    sitemap_only_paths: tuple[str, ...]
    name: str = ""
    # The host the site really lives on (`www.<host>` for the www_redirect site);
    # requests for the other form answer 301 to it.
    canonical_host: str = ""
    robots_status: int = 404
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()
    files: Mapping[str, DemoFile] = field(default_factory=dict)
    redirects: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    broken_paths: tuple[str, ...] = ()
    start_path: str = "/"
    infinite: bool = False
    # Pages generated on demand that `pages` cannot list (the calendar trap).
    dynamic: Callable[[str], DemoPage | None] | None = field(
        default=None, repr=False, compare=False
    )
    # the scheme its URLs have: https, like the real web, unless https never answers
    scheme: str = "https"

    def url(self, path: str) -> str:
        """The absolute canonical URL of `path` on this site."""
        return f"{self.scheme}://{self.canonical_host or self.host}{path}"

    def page(self, path: str) -> DemoPage | None:
        """The page at `path` (including dynamically generated ones), or None."""
        found = self.pages.get(path)
        if found is None and self.dynamic is not None:
            found = self.dynamic(path)
        return found

    def resolve(self, path: str) -> DemoPage | DemoFile | None:
        """What the server answers for `path` (path + query), None for a 404."""
        found = self._lookup(path)
        if found is None and "?" in path:
            # Real sites ignore tracking parameters a careless client forgot to strip.
            stripped = strip_tracking_path(path)
            if stripped != path:
                found = self._lookup(stripped)
        return found

    def _lookup(self, path: str) -> DemoPage | DemoFile | None:
        file = self.files.get(path)
        if file is not None:
            return file
        return self.page(path)

    def is_disallowed(self, path: str) -> bool:
        """True when robots.txt forbids `path` to every user agent."""
        if self.robots_status >= 500:
            return True
        return any(path.startswith(prefix) for prefix in self.disallowed_prefixes)

    def path_of(self, url: str) -> str | None:
        """The path+query of an absolute URL on this site, None when it is elsewhere."""
        prefix = f"{self.scheme}://{self.canonical_host or self.host}"
        if url == prefix:
            return "/"
        if url.startswith(prefix + "/") or url.startswith(prefix + "?"):
            return url[len(prefix) :]
        return None

    def reachable_paths(self, *, obey_robots: bool = True, use_sitemaps: bool = True) -> list[str]:
        """Paths a complete breadth-first crawl fetches, in BFS order (no page limit).

        Pure link structure: server behaviours (hanging, redirect loops, 5xx) are ignored,
        except that a 5xx robots.txt disallows everything when `obey_robots`.
        """
        if self.infinite:
            raise ValueError(f"{self.host} is an infinite site")
        if obey_robots and self.robots_status >= 500:
            return []
        seen: dict[str, None] = {}
        queue = deque([self.start_path])
        if use_sitemaps:
            queue.extend(self.sitemap_only_paths)
        while queue:
            path = queue.popleft()
            if path in seen or (obey_robots and self.is_disallowed(path)):
                continue
            seen[path] = None
            page = self.page(path)
            if page is None or page.status != 200 or not page.is_html:
                continue
            for link in page.internal_links:
                target = self.path_of(link)
                if target is not None and target not in seen:
                    queue.append(target)
        return list(seen)


@dataclass(frozen=True, slots=True)
class DemoWeb:
    """The whole demo web: sites by host."""

    sites: dict[str, DemoSite]
    seed: int = 7

    def demo_domains(self) -> list[str]:
        """The hosts a demo batch crawls: every site."""
        return list(self.sites)

    def find(self, host: str) -> DemoSite | None:
        """The site serving `host` (any case, `:port` and `www.` allowed), or None."""
        name = host.strip().lower().rstrip(".")
        if name.startswith("["):
            return None
        name = name.rsplit(":", 1)[0] if ":" in name else name
        site = self.sites.get(name)
        if site is None and name.startswith("www."):
            site = self.sites.get(name[4:])
        return site

    def knows(self, host: str) -> bool:
        """True when `host` (either form) is a name of this web: its DNS answers it."""
        return self.find(host) is not None

    def site(self, host: str) -> DemoSite:
        """The site serving `host`, accepting the www. form too; KeyError if unknown."""
        site = self.find(host)
        if site is None:
            raise KeyError(host)
        return site

    def sites_of_kind(self, kind: str) -> list[DemoSite]:
        """All sites of one kind, in web order."""
        return [site for site in self.sites.values() if site.kind == kind]

    def by_kind(self, kind: str) -> DemoSite:
        """The (first) site of one kind; KeyError if none."""
        for site in self.sites.values():
            if site.kind == kind:
                return site
        raise KeyError(kind)
