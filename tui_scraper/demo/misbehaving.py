"""One site of each misbehaving kind: the real web's troubles, traps and oddities."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

from .business import BusinessSite, make_plan
from .content import CATEGORIES, DASH, MONTHS, PhonePool, SiteContext, make_context
from .kinds import (
    CP1252_SPECIAL,
    HUGE_BYTES,
    HUGE_PATH,
    MARKUP_H1,
    MARKUP_TITLE,
    METADATA_URL,
    MISBEHAVING_HOSTS,
)
from .special import PDF, not_found_page, png_1x1, raw_page, site_from
from .truth import DemoPage, DemoSite
from .urls import esc
from .writer import PageWriter


def misbehaving_site(kind: str, rng: random.Random, seed: int, phones: PhonePool) -> DemoSite:
    key = MISBEHAVING_HOSTS[kind]
    name, cat_key = _MISBEHAVING_NAMES[kind]
    category = next(c for c in CATEGORIES if c[0] == cat_key)
    country = "de" if kind in ("latin1", "meta_charset") else None
    ctx = make_context(rng, seed, phones, key, name, category, country=country)
    plan = make_plan(rng, ctx, phones, small=True)
    extra: dict[str, DemoPage] = {}
    robots_txt: str | None = None
    robots_status = 404
    disallowed: tuple[str, ...] = ()
    if kind == "latin1":
        ctx.encoding = "cp1252"
        ctx.content_type = "text/html; charset=iso-8859-1"
        ctx.charset_meta = (
            '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        )
        ctx.special = CP1252_SPECIAL
        ctx.lang = "de"
    elif kind == "meta_charset":
        ctx.encoding = "cp1252"
        ctx.content_type = "text/html"
        ctx.charset_meta = '<meta charset="windows-1252">'
        ctx.special = CP1252_SPECIAL
    elif kind == "gzip":
        ctx.content_encoding = "gzip"
    elif kind == "brotli":
        ctx.content_encoding = "br"
    elif kind == "zstd":
        ctx.content_encoding = "zstd"
    elif kind == "filtered_https":
        ctx.scheme = "http"  # its https port never answers: the crawl falls back to http
    elif kind == "markup_title":
        plan.home_title = MARKUP_TITLE
        plan.home_h1 = MARKUP_H1
    elif kind == "huge":
        plan.home_links = [(HUGE_PATH, "The complete archive on one page")]
    elif kind == "non_html":
        plan.home_links = [
            ("/report.html", "Annual report"),
            ("/logo.png", "Our logo"),
            ("/data.json", "Opening times as data"),
        ]
        extra["/report.html"] = raw_page(key, "/report.html", "application/pdf", PDF)
        extra["/logo.png"] = raw_page(key, "/logo.png", "image/png", png_1x1())
        extra["/data.json"] = raw_page(
            key, "/data.json", "application/json", b'{"open": "09:00", "close": "17:30"}\n'
        )
    elif kind == "robots_excluded":
        plan.home_links = [
            ("/members/login", "Members' login"),
            ("/members/directory", "Member directory"),
        ]
        robots_txt = "User-agent: *\nDisallow: /members/\n"
        disallowed = ("/members/",)
    elif kind == "robots_5xx":
        robots_status = 500
    elif kind == "calendar_trap":
        plan.home_links = [("/calendar/2026/11", "Events calendar")]
    if kind == "big":
        return _big_site(ctx)
    if kind == "broken_html":
        return _broken_html_site(ctx)
    if kind == "redirect_loop":
        redirects = {"/": (302, "/a"), "/a": (302, "/b"), "/b": (302, "/a")}
        return site_from(ctx, kind, {}, redirects=redirects)
    if kind == "metadata_redirect":
        return site_from(ctx, kind, {}, redirects={"/": (302, METADATA_URL)})
    if kind == "port_redirect":  # the server fills in its side port (see DemoServer)
        return site_from(ctx, kind, {}, redirects={"/": (302, "http://127.0.0.1:0/admin")})
    if kind == "moved_to_bad_cert":  # moved to a host whose certificate has expired
        redirects = {"/": (301, f"https://{MISBEHAVING_HOSTS['expired_cert']}/")}
        return site_from(ctx, kind, {}, redirects=redirects)
    builder = BusinessSite(ctx, plan)
    pages = builder.build()
    pages.update(extra)
    if kind == "huge":
        w = PageWriter(ctx, HUGE_PATH, chrome=False)
        head = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>The complete archive</title>\n</head>\n<body>\n"
            + w.h1("The complete archive")
            + "\n"
        )
        page = w.page(
            head.encode(), title="The complete archive", description=None, canonical=None,
            lang="en",
        )  # fmt: skip
        pages[HUGE_PATH] = replace(page, stream_bytes=HUGE_BYTES)
    elif kind == "robots_excluded":
        for path, title in (
            ("/members/login", "Members' login"),
            ("/members/directory", "Member directory"),
            ("/members/profile/1", "Member profile"),
        ):
            w = PageWriter(ctx, path)
            main = w.h1(title)
            if path == "/members/directory":
                main += f"\n<p>{w.link('/members/profile/1', 'First member')}</p>"
            pages[path] = w.finish(f"{title} | {ctx.name}", None, main)
    elif kind == "start_404":
        pages["/"] = not_found_page(ctx.host, "/")
    elif kind == "calendar_trap":
        return site_from(ctx, kind, pages, infinite=True, dynamic=_calendar_factory(ctx))
    return site_from(
        ctx,
        kind,
        pages,
        robots_txt=robots_txt,
        robots_status=robots_status,
        disallowed=disallowed,
    )


# Business names (and trades) of the misbehaving sites, for a demo that reads naturally.
_MISBEHAVING_NAMES: dict[str, tuple[str, str]] = {
    "slow": ("Slowpoke Removals", "cleaning"),
    "hanging": ("Hanging Gardens Nursery", "landscaping"),
    "redirect_loop": ("Loop Road Garage", "garage"),
    "flaky_503": ("Flaky Pastry Bakery", "bakery"),
    "rate_limited_429": ("Busy Bee Cycles", "cycles"),
    "robots_excluded": ("Fairway Members Club", "fitness"),
    "robots_5xx": ("Broken Robot Repairs", "it"),
    "start_404": ("Missing Link Tutors", "tutoring"),
    "huge": ("Everything Archive Books", "books"),
    "non_html": ("Paperwork Printers", "print"),
    "latin1": ("Café Müller", "cafe"),
    "meta_charset": ("Pâtisserie “Zoë”", "bakery"),
    "broken_html": ("Broken & Sons Joinery", "architects"),
    "gzip": ("Squeeze Juice Bar", "cafe"),
    "calendar_trap": ("Event Horizon Venue", "weddings"),
    "big": ("Big Catalogue Store", "print"),
    "markup_title": ("Markup Mart", "agency"),
    "untrusted_cert": ("Shady Certs Locksmiths", "it"),
    "expired_cert": ("Best Before Grocers", "bakery"),
    "wrong_name_cert": ("Mistaken Identity Tailors", "print"),
    "filtered_https": ("Old School Plumbing", "cleaning"),
    "cookie_wall": ("Consent Corner Cafe", "cafe"),
    "browser_only": ("Picky Gatekeeper Gallery", "agency"),
    "brotli": ("Brotli Bakehouse", "bakery"),
    "zstd": ("Zest Standard Juices", "cafe"),
    "silent_dns": ("Silent Night Lodge", "weddings"),
    "moved_to_bad_cert": ("Moved Along Hardware", "garage"),
    "metadata_redirect": ("Cloud Nine Hosting", "it"),
    "port_redirect": ("Backdoor Admin Panels", "it"),
}

_CALENDAR_RE = re.compile(r"^/calendar/(\d{4})/(\d{2})$")


def _calendar_path(year: int, month: int) -> str:
    return f"/calendar/{year:04d}/{month:02d}"


def _calendar_factory(ctx: SiteContext) -> Callable[[str], DemoPage | None]:
    """Months from year 1 to 9999, each linking to its neighbours: a crawler trap."""

    @functools.lru_cache(maxsize=256)
    def make(path: str) -> DemoPage | None:
        match = _CALENDAR_RE.match(path)
        if match is None:
            return None
        year, month = int(match.group(1)), int(match.group(2))
        if not (1 <= year <= 9999 and 1 <= month <= 12):
            return None
        w = PageWriter(ctx, path)
        label = f"{MONTHS[month - 1]} {year}"
        prev = (year, month - 1) if month > 1 else (year - 1, 12)
        nxt = (year, month + 1) if month < 12 else (year + 1, 1)
        pager = []
        if prev[0] >= 1:
            pager.append(w.link(_calendar_path(*prev), "Previous month", form="root"))
        if nxt[0] <= 9999:
            pager.append(w.link(_calendar_path(*nxt), "Next month", form="root"))
        main = (
            f"{w.h1(f'Events in {label}')}\n<p>No events are planned for {esc(label)} yet.</p>\n"
            f'<p class="pager">{" | ".join(pager)}</p>'
        )
        return w.finish(f"Events {DASH} {label} | {ctx.name}", None, main)

    return make


class _LazyPages(Mapping[str, DemoPage]):
    """A read-only mapping of pages rendered on first access (LRU-cached)."""

    def __init__(
        self, paths: tuple[str, ...], factory: Callable[[str], DemoPage], cache: int = 512
    ) -> None:
        self._paths = paths
        self._known = frozenset(paths)
        self._make = functools.lru_cache(maxsize=cache)(factory)

    def __getitem__(self, path: str) -> DemoPage:
        if path not in self._known:
            raise KeyError(path)
        return self._make(path)

    def __contains__(self, path: object) -> bool:
        return path in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __repr__(self) -> str:
        return f"<{len(self._paths)} lazy pages>"


_BIG_LISTINGS = 50
_BIG_PRODUCTS = 4949  # 1 home + 50 listings + 4,949 products = 5,000 pages
_BIG_PER_LISTING = 99


def _big_site(ctx: SiteContext) -> DemoSite:
    """5,000 pages: home -> 50 paginated listings -> 99 products each."""
    ctx.nav = (("/", "Home"), ("/products", "Products"))
    ctx.footer_links = ()

    def listing(n: int) -> str:
        return "/products" if n == 1 else f"/products?page={n}"

    paths = (
        "/",
        *(listing(n) for n in range(1, _BIG_LISTINGS + 1)),
        *(f"/product/{i}" for i in range(1, _BIG_PRODUCTS + 1)),
    )

    def make(path: str) -> DemoPage:
        w = PageWriter(ctx, path)
        if path == "/":
            items = " ".join(w.link(listing(n), str(n)) for n in range(1, _BIG_LISTINGS + 1))
            main = f"{w.h1(ctx.name)}\n<p>{esc(ctx.paragraph(w.rng))}</p>\n<p>Pages: {items}</p>"
            return w.finish(f"{ctx.name} {DASH} the big catalogue", "Thousands of products.", main)
        if path.startswith("/products"):
            n = int(path.split("=", 1)[1]) if "=" in path else 1
            first = (n - 1) * _BIG_PER_LISTING + 1
            last = min(n * _BIG_PER_LISTING, _BIG_PRODUCTS)
            items = "".join(
                f"<li>{w.link(f'/product/{i}', f'Product {i}', form='root')}</li>"
                for i in range(first, last + 1)
            )
            pager = []
            if n > 1:
                pager.append(w.link(listing(n - 1), "Previous", form="root"))
            if n < _BIG_LISTINGS:
                pager.append(w.link(listing(n + 1), "Next", form="root"))
            main = f"{w.h1(f'Products, page {n}')}\n<ul>{items}</ul>\n<p>{' '.join(pager)}</p>"
            return w.finish(f"Products, page {n} | {ctx.name}", None, main)
        i = int(path.rsplit("/", 1)[1])
        back = listing((i - 1) // _BIG_PER_LISTING + 1)
        related = [(i % _BIG_PRODUCTS) + 1, ((i + 49) % _BIG_PRODUCTS) + 1]
        links = " ".join(w.link(f"/product/{r}", f"Product {r}", form="root") for r in related)
        main = (
            f"{w.h1(f'Product {i}')}\n<p>{esc(ctx.sentence(w.rng))}</p>\n"
            f"<p>Related: {links}</p>\n<p>{w.link(back, 'Back to the list', form='root')}</p>"
        )
        return w.finish(f"Product {i} | {ctx.name}", f"Product {i} from {ctx.name}.", main)

    return site_from(ctx, "big", _LazyPages(paths, make))


def _broken_html_site(ctx: SiteContext) -> DemoSite:
    """Tag soup a browser still reads: unclosed tags, stray end tags, unquoted attributes."""
    ctx.lang = None
    ctx.canonical_tags = False
    pages: dict[str, DemoPage] = {}
    email = f"workshop@{ctx.key}"
    social = f"https://www.facebook.com/{ctx.key.split('.')[0].replace('-', '')}"
    for path, heading in (
        ("/", "Handmade joinery since 1952"),
        ("/about", "About the workshop"),
        ("/contact.html", "Visit the workshop"),
    ):
        w = PageWriter(ctx, path, chrome=False)
        nav = (
            f"<li>{w.link('/about', 'About', form='absolute', quote_attr=False)}"
            f"<li>{w.link('/contact.html', 'Contact', form='relative', quote_attr=False)}"
            f"<li>{w.link('/', 'Home', form='root', quote_attr=False)}"
        )
        body = (
            "<html>\n<head>\n<meta charset=utf-8>\n"
            "<title>Broken &amp; Sons Joinery</title>\n"
            "<meta name=description content='Joinery and carpentry, made to measure'>\n"
            "<body>\n<div class=header>\n<ul class=nav>"
            + nav
            + "</ul>\n</div></div>\n"
            + w.h1(heading, attrs=" class=hero")
            + f"\n<p>{esc(ctx.paragraph(w.rng))}\n"
            + f"<p>Email {w.mailto(email)} or call <b><i>{w.phone(ctx.phones[0])}</b></i>\n"
            + "<table><tr><td>Mon-Fri<td>8:00-17:30</table>\n</div>\n"
            + f"<p>Follow us: {w.social(social, 'Facebook', quote_attr=False)}\n"
        )
        pages[path] = w.page(
            body.encode(),
            title="Broken & Sons Joinery",
            description="Joinery and carpentry, made to measure",
            canonical=None,
            lang=None,
        )
    return site_from(ctx, "broken_html", pages)
