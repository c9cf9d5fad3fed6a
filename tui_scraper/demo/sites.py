"""The demo web's content: deterministic fake sites and the truth about every page.

Pure data, no aiohttp: tests and benchmarks can build and inspect the web without a
server. Every HTML page is rendered *from* its truth by one writer (`_Writer`), which
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

import bisect
import dataclasses
import functools
import gzip
import html
import posixpath
import random
import re
import struct
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import brotli
from yarl import URL

try:  # Python 3.14 has zstd in the standard library; earlier ones take the backport
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]

HTML_UTF8 = "text/html; charset=utf-8"
HUGE_PATH = "/huge"
HUGE_BYTES = 50 * 1024 * 1024
HUGE_CHUNK_BYTES = 64 * 1024
TRACKING_PARAMS = frozenset({"gclid", "fbclid"})

KIND_NORMAL = "normal"
KIND_WWW = "www_redirect"
KIND_PERF = "perf"
MISBEHAVING_KINDS: tuple[str, ...] = (
    "slow",
    "hanging",
    "redirect_loop",
    "flaky_503",
    "rate_limited_429",
    "robots_excluded",
    "robots_5xx",
    "start_404",
    "huge",
    "non_html",
    "latin1",
    "meta_charset",
    "broken_html",
    "gzip",
    "calendar_trap",
    "big",
    "markup_title",
    # the real web's troubles
    "untrusted_cert",
    "expired_cert",
    "wrong_name_cert",
    "filtered_https",
    "cookie_wall",
    "browser_only",
    "brotli",
    "zstd",
    "silent_dns",
    "moved_to_bad_cert",
    "metadata_redirect",
    "port_redirect",
)
MISBEHAVING_HOSTS: dict[str, str] = {
    "slow": "slow-server.test",
    "hanging": "hanging-server.test",
    "redirect_loop": "redirect-loop.test",
    "flaky_503": "flaky-503.test",
    "rate_limited_429": "rate-limited.test",
    "robots_excluded": "robots-excluded.test",
    "robots_5xx": "robots-5xx.test",
    "start_404": "start-404.test",
    "huge": "huge-page.test",
    "non_html": "non-html.test",
    "latin1": "latin1-cafe.test",
    "meta_charset": "meta-charset.test",
    "broken_html": "broken-html.test",
    "gzip": "gzip-encoded.test",
    "calendar_trap": "calendar-trap.test",
    "big": "big-catalog.test",
    "markup_title": "markup-title.test",
    "untrusted_cert": "untrusted-cert.test",
    "expired_cert": "expired-cert.test",
    "wrong_name_cert": "wrong-name.test",
    "filtered_https": "filtered-https.test",
    "cookie_wall": "cookie-wall.test",
    "browser_only": "browser-only.test",
    "brotli": "brotli-encoded.test",
    "zstd": "zstd-encoded.test",
    "silent_dns": "silent-dns.test",
    "moved_to_bad_cert": "moved-shop.test",
    "metadata_redirect": "metadata-redirect.test",
    "port_redirect": "other-port.test",
}
# Where the metadata-redirect site sends its start page: a cloud's metadata service.
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
# Sites whose start page redirects to a private address the user did not name.
PRIVATE_REDIRECT_KINDS = frozenset({"metadata_redirect", "port_redirect"})
# Sites whose start page cannot be had over https (a certificate the crawler must
# refuse, or a name that never resolves): they fail by design.
TLS_FAILING_KINDS = frozenset(
    {"untrusted_cert", "expired_cert", "wrong_name_cert", "moved_to_bad_cert"}
)
# The cookie wall's cookie, set by a redirect to the same URL.
COOKIE_WALL_COOKIE = ("consent", "yes")
MARKUP_TITLE = "Deals [red]x[/] [bold]today[/bold] \x1b[31mALERT\x07 | Markup Mart"
MARKUP_H1 = "[bold]Big[/bold] [red]x[/] sale \x1b[31mnow\x07"
_DASH = "\N{EN DASH}"  # real sites use typographic dashes; spelled out for the linter
CP1252_SPECIAL = f"Unsere “Spezialität”: Crème brûlée für 3,50 € {_DASH} täglich frisch."


# --------------------------------------------------------------------------- truth types


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
            stripped = _strip_tracking_path(path)
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

    @classmethod
    def build(cls, seed: int = 7) -> DemoWeb:
        """Same as `build_demo_web`."""
        return build_demo_web(seed)

    @classmethod
    def build_perf(cls, sites: int, pages: int, page_bytes: int = 25_000, seed: int = 0) -> DemoWeb:
        """Same as `build_perf_web`."""
        return build_perf_web(sites, pages, page_bytes, seed)


# --------------------------------------------------------------------------- URL helpers


def compress(body: bytes, coding: str) -> bytes:
    """`body` as sent with Content-Encoding `coding` (gzip, br or zstd)."""
    if coding == "gzip":
        return gzip.compress(body, mtime=0)
    if coding == "br":
        return brotli.compress(body)
    if coding == "zstd":
        return zstd.compress(body)
    return body


def decompress(body: bytes, coding: str) -> bytes:
    """The inverse of `compress`."""
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "br":
        return bytes(brotli.decompress(body))
    if coding == "zstd":
        return zstd.decompress(body)
    return body


def is_tracking_param(name: str) -> bool:
    """True for the query parameters canonicalization removes."""
    lower = name.lower()
    return lower.startswith("utm_") or lower in TRACKING_PARAMS


def canonical_url(href: str, base: str | None = None) -> str:
    """The spec's canonical form of `href` resolved against `base`."""
    url = URL(href)
    if base is not None:
        url = URL(base).join(url)
    url = url.with_fragment(None)
    if url.query_string:
        kept = [(k, v) for k, v in url.query.items() if not is_tracking_param(k)]
        url = url.with_query(kept) if kept else url.with_query(None)
    return str(url)


def _strip_tracking_path(path: str) -> str:
    base, _, query = path.partition("?")
    kept = [p for p in query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    return f"{base}?{'&'.join(kept)}" if kept else base


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped."""
    return " ".join(text.split())


def slugify(text: str) -> str:
    """A URL slug: lower-case ASCII words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _page_rng(seed: int, host: str, path: str) -> random.Random:
    # Per-page generators make a page independent of generation order (lazy sites).
    return random.Random(f"{seed}/{host}/{path}")


# --------------------------------------------------------------------------- content pools

_CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("plumbing", "Plumbing", ("Boiler repair", "Leak detection", "Bathroom fitting",
                              "Drain unblocking", "Emergency call-outs", "Central heating")),
    ("bakery", "Bakery", ("Sourdough bread", "Celebration cakes", "French pastries",
                          "Wholesale supply", "Gluten-free baking")),
    ("law", "Law", ("Family law", "Conveyancing", "Wills and probate", "Employment law",
                    "Business contracts")),
    ("dental", "Dental Practice", ("Check-ups", "Teeth whitening", "Orthodontics",
                                   "Dental implants", "Hygienist visits")),
    ("agency", "Creative Agency", ("Brand identity", "Web design", "Social media",
                                   "Copywriting", "Video production")),
    ("cafe", "Cafe", ("Breakfast menu", "Speciality coffee", "Private hire",
                      "Outside catering")),
    ("florist", "Florist", ("Wedding flowers", "Funeral tributes", "Weekly subscriptions",
                            "Corporate displays")),
    ("garage", "Garage", ("MOT testing", "Car servicing", "Tyre fitting", "Diagnostics",
                          "Air conditioning")),
    ("architects", "Architects", ("House extensions", "Loft conversions",
                                  "Planning applications", "Interior design")),
    ("accounting", "Accountants", ("Tax returns", "Bookkeeping", "Payroll",
                                   "Company formation", "Audits")),
    ("fitness", "Fitness Studio", ("Personal training", "Group classes",
                                   "Nutrition coaching", "Spin sessions")),
    ("vets", "Veterinary Clinic", ("Vaccinations", "Dental care for pets", "Surgery",
                                   "Pet insurance advice")),
    ("hotel", "Hotel", ("Rooms and suites", "Restaurant", "Meetings and events", "Spa")),
    ("books", "Bookshop", ("New releases", "Second-hand books", "Book clubs",
                           "Author events")),
    ("electric", "Electricians", ("Rewiring", "Fuse box upgrades", "EV charger installation",
                                  "Lighting design", "Safety inspections")),
    ("photo", "Photography", ("Wedding photography", "Portraits", "Product shots", "Events")),
    ("yoga", "Yoga Studio", ("Beginner classes", "Hot yoga", "Pregnancy yoga", "Retreats")),
    ("brewing", "Brewing Co", ("Taproom", "Brewery tours", "Beer subscriptions",
                               "Private events")),
    ("landscaping", "Landscaping", ("Garden design", "Patios", "Lawn care", "Tree surgery",
                                    "Fencing")),
    ("cleaning", "Cleaning Services", ("Office cleaning", "End of tenancy cleans",
                                       "Carpet cleaning", "Window cleaning")),
    ("tutoring", "Tutoring", ("Maths tuition", "English tuition", "Exam preparation",
                              "Online lessons")),
    ("pharmacy", "Pharmacy", ("Prescriptions", "Travel vaccinations", "Health checks",
                              "Repeat prescriptions")),
    ("optics", "Opticians", ("Eye tests", "Contact lenses", "Designer frames",
                             "Children's eyecare")),
    ("print", "Print Shop", ("Business cards", "Flyers and leaflets", "Large format printing",
                             "Custom stationery")),
    ("roofing", "Roofing", ("Roof repairs", "Flat roofs", "Gutter cleaning", "Chimney work")),
    ("it", "IT Services", ("Managed IT support", "Cloud migration", "Cyber security",
                           "Network installation", "Backup and recovery")),
    ("cycles", "Cycles", ("Bike servicing", "E-bikes", "Bike fitting",
                          "Cycle to work scheme")),
    ("tailors", "Tailors", ("Bespoke suits", "Alterations", "Wedding wear", "Shirt making")),
    ("pets", "Pet Grooming", ("Dog grooming", "Cat grooming", "Nail clipping",
                              "Puppy introductions")),
    ("weddings", "Wedding Planners", ("Full planning", "On-the-day coordination",
                                      "Venue sourcing", "Destination weddings")),
)  # fmt: skip

_PREFIXES = (
    "bluebird", "riverside", "oakridge", "summit", "harbor", "maple", "silverline",
    "greenfield", "redwood", "lakeside", "ironbridge", "brightwater", "stonegate", "willow",
    "copperleaf", "fairview", "highland", "kingsley", "larkspur", "meadowbrook", "pinecrest",
    "quayside", "rosewood", "sterling", "thornbury", "evergreen", "foxglove", "juniper",
    "beacon", "cedar", "driftwood", "elmstead", "granite",
)  # fmt: skip

_CITIES = {
    "uk": ("London", "Bristol", "Leeds", "Manchester", "Brighton", "York"),
    "us": ("Portland", "Austin", "Denver", "Springfield", "Madison", "Savannah"),
    "de": ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Düsseldorf"),
}
_LANGS = {"uk": "en-GB", "us": "en-US", "de": "de"}
_STREETS = ("High Street", "Market Square", "Station Road", "Mill Lane", "Church Street",
            "Harbour Road", "Elm Avenue", "Kings Parade")  # fmt: skip
_FIRST = ("Amelia", "Oliver", "Priya", "Jonas", "Sofia", "Marcus", "Chloe", "Daniel", "Hannah",
          "Lukas", "Grace", "Mateo", "Aisha", "Tom", "Emma", "Felix", "Zara", "Noah", "Lena",
          "Samuel")  # fmt: skip
_LAST = ("Patel", "Fischer", "Johnson", "Okafor", "Schmidt", "Williams", "Nguyen", "Brown",
         "Meyer", "Garcia", "Taylor", "Kowalski", "Evans", "Rossi", "Murphy")  # fmt: skip
_ROLES = ("Founder", "Operations manager", "Senior technician", "Customer care",
          "Office manager", "Lead designer", "Apprentice")  # fmt: skip
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_SENTENCES = (
    "{name} has served customers in {city} since {year}.",
    "We are a small, independent team and we answer the phone ourselves.",
    "Our {service} work comes with a clear written quote before anything starts.",
    "Most enquiries get a reply on the same working day.",
    "We keep things simple: fair prices, honest advice and tidy work.",
    "Many of our customers find us through friends and neighbours in {city}.",
    "Every job is checked twice before we call it finished.",
    "We have invested in better tools so that {service} takes less of your time.",
    "Ask us anything about {service}; there is no such thing as a silly question.",
    "We train every new member of staff ourselves.",
    "Our prices are listed openly and we never add hidden extras.",
    "Bookings for next month are already open.",
    "We work with local suppliers wherever we can.",
    "Parking is available right outside the door.",
    "You can find our reviews on the usual sites, and we read every one of them.",
    "When something goes wrong we fix it quickly and without fuss.",
    "The {label} trade has changed a lot, but good service has not.",
    "We are proud members of the {city} business network.",
    "Weekend appointments are available for a small surcharge.",
    "We publish what we charge, and we stick to it.",
)
_POST_TITLES = (
    "Five tips for choosing {service}",
    "What we learned from a busy season",
    "A beginner's guide to {service}",
    "Behind the scenes at {name}",
    "Why {service} costs what it costs",
    "Meet the newest member of our team",
    "Our favourite projects of the year",
    "Common myths about {service}",
    "How to prepare for your first appointment",
    "News from {city}: we are expanding",
    "Ask the expert: {service}",
    "A short history of {label} in {city}",
    "Seasonal checklist from {name}",
    "Case study: {service} done right",
)
_EXTRAS = (
    ("/faq", "Frequently asked questions"),
    ("/privacy", "Privacy policy"),
    ("/pricing", "Pricing"),
    ("/careers", "Careers"),
    ("/testimonials", "What our customers say"),
    ("/locations", "Where to find us"),
)
_LANDINGS = ("Spring offer", "Free consultation", "Refer a friend", "Student discount",
             "Gift vouchers")  # fmt: skip
_NAV_DE = {"Home": "Start", "About": "Über uns", "Services": "Leistungen",
           "Contact": "Kontakt", "Team": "Team", "Blog": "Blog"}  # fmt: skip
# Link forms exercising canonicalization; "root" (`/about`) dominates like on real sites.
_FORMS = ("root",) * 12 + (
    "absolute", "absolute", "upper", "port", "scheme_relative", "relative", "relative",
    "fragment", "fragment", "utm", "utm",
)  # fmt: skip
_FRAGMENTS = ("top", "main", "details", "form", "more")
_BR = ("br", "")
# Heading parts written as blocks (their edges are word breaks); other tags are inline.
_BLOCK_TAGS = frozenset({"div"})


# --------------------------------------------------------------------------- phones


@dataclass(frozen=True, slots=True)
class _Phone:
    e164: str
    display: str
    href: str


class _PhonePool:
    """Fictional numbers (Ofcom drama range, US 555-01xx, Berlin 901820xx), never reused."""

    def __init__(self, rng: random.Random) -> None:
        self._free: dict[str, list[int]] = {
            "uk": list(range(1000)),
            "us": list(range(100)),
            "de": list(range(100)),
        }
        for numbers in self._free.values():
            rng.shuffle(numbers)
        self._rng = rng

    def take(self, country: str) -> _Phone:
        """A fresh number of `country` (falls back to UK when a range runs out)."""
        if not self._free.get(country):
            country = "uk"
        n = self._free[country].pop()
        return _make_phone(country, n, self._rng.random() < 0.5)


def _make_phone(country: str, n: int, dashed: bool) -> _Phone:
    if country == "us":
        e164 = f"+120255501{n:02d}"
        display = f"+1 202-555-01{n:02d}"
        href = f"tel:+1-202-555-01{n:02d}" if dashed else f"tel:{e164}"
    elif country == "de":
        e164 = f"+4930901820{n:02d}"
        display = f"+49 30 901820{n:02d}"
        href = f"tel:+49-30-901820{n:02d}" if dashed else f"tel:{e164}"
    else:
        e164 = f"+442079460{n:03d}"
        display = f"+44 20 7946 0{n:03d}"
        href = f"tel:+44-20-7946-0{n:03d}" if dashed else f"tel:{e164}"
    return _Phone(e164, display, href)


# --------------------------------------------------------------------------- site context


@dataclass(slots=True)
class _SiteCtx:
    """Site-wide identity and rendering settings shared by every page writer."""

    key: str
    host: str
    name: str
    label: str
    services: tuple[str, ...]
    country: str
    city: str
    seed: int
    lang: str | None
    emails: tuple[str, ...]
    phones: tuple[_Phone, ...]
    socials: tuple[tuple[str, str], ...]
    address: str
    year: int
    encoding: str = "utf-8"
    content_type: str = HTML_UTF8
    charset_meta: str = '<meta charset="utf-8">'
    # "gzip", "br" or "zstd": how every page is compressed on the wire ("" for none)
    content_encoding: str = ""
    special: str | None = None
    nav_form: str = "root"
    canonical_tags: bool = True
    credit: str | None = None
    partner: str | None = None
    nav: tuple[tuple[str, str], ...] = ()
    footer_links: tuple[tuple[str, str], ...] = ()
    # How the contact page disguises one more address (see `CONTACT_TRICKS`), if at all.
    contact_trick: str = ""

    # the scheme the site is crawled over (its URLs in the truth)
    scheme: str = "https"

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def word(self, text: str) -> str:
        """A navigation label in the site's language."""
        return _NAV_DE.get(text, text) if self.country == "de" else text

    def sentence(self, rng: random.Random) -> str:
        return rng.choice(_SENTENCES).format(
            name=self.name,
            city=self.city,
            year=self.year,
            service=rng.choice(self.services).lower(),
            label=self.label.lower(),
        )

    def paragraph(self, rng: random.Random, sentences: int = 0) -> str:
        count = sentences or rng.randint(2, 5)
        templates = rng.sample(_SENTENCES, count)  # distinct sentences read less robotic
        return " ".join(
            t.format(
                name=self.name,
                city=self.city,
                year=self.year,
                service=rng.choice(self.services).lower(),
                label=self.label.lower(),
            )
            for t in templates
        )


class _Writer:
    """Builds one page's HTML while recording the truth of everything it emits."""

    def __init__(self, ctx: _SiteCtx, path: str, *, chrome: bool = True) -> None:
        self.ctx = ctx
        self.path = path
        self.url = ctx.url(path)
        self.rng = _page_rng(ctx.seed, ctx.host, path)
        self.h1s: list[str] = []
        self.emails: dict[str, None] = {}
        self.phones: dict[str, None] = {}
        self.socials: dict[str, None] = {}
        self.internal: dict[str, None] = {}
        self.external: dict[str, None] = {}
        # The header comes first in the document, so record its links first too.
        self._header = self.chrome_header() if chrome else ""

    # -- links

    def link(
        self, target: str, text: str, *, form: str | None = None, quote_attr: bool = True
    ) -> str:
        """An internal `<a>` to `target` (a path) written in a random canonicalizable form."""
        if form is None:
            form = self.rng.choice(_FORMS)
        href = self._href(target, form)
        want = self.ctx.url(target)
        if canonical_url(href, self.url) != want:
            href = target  # the chosen form does not resolve to the target from here
        if canonical_url(href, self.url) != want:
            raise AssertionError(f"{href!r} from {self.url} is not {want}")
        self.internal[want] = None
        if quote_attr:
            return f'<a href="{_attr(href)}">{_esc(text)}</a>'
        return f"<a href={href}>{_esc(text)}</a>"

    def _href(self, target: str, form: str) -> str:
        host = self.ctx.host
        scheme = self.ctx.scheme
        if form == "absolute":
            return f"{scheme}://{host}{target}"
        if form == "upper":
            return f"{scheme}://{host.upper()}{target}"
        if form == "port":
            return f"{scheme}://{host}:{443 if scheme == 'https' else 80}{target}"
        if form == "scheme_relative":
            return f"//{host}{target}"
        if form == "fragment":
            return f"{target}#{self.rng.choice(_FRAGMENTS)}"
        if form == "utm":
            sep = "&" if "?" in target else "?"
            return f"{target}{sep}utm_source=newsletter&utm_medium=email&utm_campaign=demo"
        if form == "relative" and "?" not in target and "?" not in self.path:
            base = posixpath.dirname(self.path) or "/"
            return posixpath.relpath(target, base)
        return target

    def ext(self, url: str, text: str, *, quote_attr: bool = True) -> str:
        """An out-of-scope `<a>`."""
        canon = canonical_url(url)
        if URL(canon).host in (self.ctx.host, self.ctx.key):
            raise AssertionError(f"{url} is not external to {self.ctx.host}")
        self.external[canon] = None
        if quote_attr:
            return f'<a href="{_attr(url)}" rel="noopener">{_esc(text)}</a>'
        return f"<a href={url}>{_esc(text)}</a>"

    def social(self, url: str, text: str, *, quote_attr: bool = True) -> str:
        """A social profile link (written canonical, so `socials` equals the href)."""
        if canonical_url(url) != url:
            raise AssertionError(f"social URL {url} is not canonical")
        self.socials[url] = None
        return self.ext(url, text, quote_attr=quote_attr)

    # -- contacts

    def email(self, address: str) -> str:
        """An email address in the text."""
        self.emails[address] = None
        return _esc(address)

    def mailto(self, address: str, text: str | None = None, subject: str | None = None) -> str:
        """A `mailto:` link (the link text may repeat the address)."""
        self.emails[address] = None
        href = f"mailto:{address}"
        if subject:
            href += f"?subject={quote(subject)}"
        label = self.email(address) if text is None else _esc(text)
        return f'<a href="{_attr(href)}">{label}</a>'

    def cloudflare_email(self, address: str) -> str:
        """An address hidden by Cloudflare's email protection, as its `data-cfemail` span."""
        self.emails[address] = None
        return (
            '<a href="/cdn-cgi/l/email-protection" class="__cf_email__" '
            f'data-cfemail="{cloudflare_hex(address)}">[email&#160;protected]</a>'
        )

    def cloudflare_link(self, address: str, text: str) -> str:
        """A mailto link hidden by Cloudflare: `/cdn-cgi/l/email-protection#HEX` (not a page)."""
        self.emails[address] = None
        return f'<a href="/cdn-cgi/l/email-protection#{cloudflare_hex(address)}">{_esc(text)}</a>'

    def spelled_email(self, address: str, *, brackets: bool) -> str:
        """An address spelled out against harvesters: "a [at] b [dot] c" or "a(at)b.c"."""
        self.emails[address] = None
        local, _, domain = address.partition("@")
        if brackets:
            return _esc(f"{local} [at] {domain.replace('.', ' [dot] ')}")
        return _esc(f"{local}(at){domain}")

    def phone(self, phone: _Phone) -> str:
        """A phone number in the text."""
        self.phones[phone.e164] = None
        return _esc(phone.display)

    def tel(self, phone: _Phone, text: str | None = None) -> str:
        """A `tel:` link."""
        self.phones[phone.e164] = None
        label = self.phone(phone) if text is None else _esc(text)
        return f'<a href="{_attr(phone.href)}">{label}</a>'

    # -- headings

    def h1(self, *parts: str | tuple[str, ...], attrs: str = "") -> str:
        """An `<h1>` from text parts, `(tag, text)` elements, `("ruby", base, rt)` and `_BR`.

        The truth reads it as a reader does: text runs on across inline elements, a block
        element's edges and `<br>` are word breaks.
        """
        shown: list[str] = []
        out: list[str] = []
        for part in parts:
            if part == _BR:
                shown.append(" ")
                out.append("<br>")
            elif isinstance(part, tuple) and part[0] == "ruby":
                _tag, base, annotation = part
                shown.append(base + annotation)
                out.append(f"<ruby>{_esc(base)}<rt>{_esc(annotation)}</rt></ruby>")
            elif isinstance(part, tuple):
                tag, text = part
                edge = " " if tag in _BLOCK_TAGS else ""
                shown.append(edge + text + edge)
                out.append(f"<{tag}>{_esc(text)}</{tag}>")
            else:
                shown.append(part)
                out.append(_esc(part))
        text = collapse("".join(shown))
        if text:
            self.h1s.append(text)
        return f"<h1{attrs}>{''.join(out)}</h1>"

    def varied_h1(self, text: str) -> str:
        """A heading for `text`, sometimes in the awkward shapes real sites produce."""
        roll = self.rng.random()
        words = text.split()
        if roll < 0.08 and len(words) >= 2:
            return self.h1(" ".join(words[:-1]), " ", ("span", words[-1]))
        if roll < 0.12 and len(words) >= 2:
            # Text nodes around <br> are separated by a space, per the extraction rule.
            return self.h1(words[0], _BR, " ".join(words[1:]))
        if roll < 0.17:
            return self.h1() + "\n" + self.h1(text)
        if roll < 0.20:
            return self.h1("   \n  ") + "\n" + self.h1(text)
        if roll < 0.27:
            return (
                self.h1(text)
                + "\n"
                + f"<p>{self.ctx.paragraph(self.rng, 1)}</p>\n"
                + (self.h1(self.ctx.name))
            )
        return self.inline_h1(text)

    def inline_h1(self, text: str) -> str:
        """Mostly a plain heading; some mix inline and block elements the way real sites do.

        Its own generator, so the page's other random choices stay as they were.
        """
        rng = random.Random(f"{self.ctx.seed}/{self.ctx.host}/{self.path}/h1")
        roll = rng.random()
        words = text.split()
        if roll < 0.06:
            return self.h1(text, ("sup", "*"))  # a footnote mark runs on: "Offers*"
        if roll < 0.10:
            return self.h1(("span", text), ("sup", "\N{REGISTERED SIGN}"))
        if roll < 0.14 and len(words) >= 2:
            return self.h1(("div", words[0]), ("div", " ".join(words[1:])))
        if roll < 0.17 and len(words) >= 2:
            return self.h1(("small", words[0]), ("b", " " + " ".join(words[1:])))
        if roll < 0.20:
            return self.h1(text, " ", ("ruby", "\u548c\u98a8", "\u308f\u3075\u3046"))
        return self.h1(text)

    # -- document

    def chrome_header(self) -> str:
        """The site header: logo link and navigation."""
        items = "".join(
            f"<li>{self.link(path, self.ctx.word(label), form=self.ctx.nav_form)}</li>"
            for path, label in self.ctx.nav
        )
        logo = self.link("/", self.ctx.name, form=self.ctx.nav_form)
        return f'<header class="site-header">\n{logo}\n<nav><ul>{items}</ul></nav>\n</header>\n'

    def chrome_footer(self) -> str:
        """The site footer: contacts, socials, small links, credit."""
        ctx = self.ctx
        parts = [
            f"<p>{_esc(ctx.address)}</p>",
        ]
        if ctx.emails and ctx.phones:
            parts.append(f"<p>{self.mailto(ctx.emails[0])} · {self.tel(ctx.phones[0])}</p>")
        if ctx.socials:
            socials = " ".join(self.social(url, label) for label, url in ctx.socials)
            parts.append(f'<p class="social">{socials}</p>')
        small = [self.link(path, label) for path, label in ctx.footer_links]
        if ctx.partner:
            small.append(self.ext(ctx.partner, "Our partners"))
        if small:
            parts.append(f"<p>{' | '.join(small)}</p>")
        if ctx.credit:
            parts.append(f"<p>Website by {self.ext(ctx.credit, 'a local agency')}</p>")
        parts.append(f"<p>© {2026} {_esc(ctx.name)}</p>")
        return '<footer class="site-footer">\n' + "\n".join(parts) + "\n</footer>\n"

    def finish(
        self,
        title: str,
        description: str | None,
        main: str,
        *,
        status: int = 200,
        head_extra: str = "",
    ) -> DemoPage:
        """Assemble the document (header, main, footer) and the page truth."""
        ctx = self.ctx
        rng = self.rng
        header = self._header
        footer = self.chrome_footer()
        if ctx.special:
            main += f"\n<p>{_esc(ctx.special)}</p>"
        title_html = _esc(title)
        if rng.random() < 0.2:
            title_html = f"\n    {title_html}\n  "  # whitespace inside <title> collapses
        head = [ctx.charset_meta, '<meta name="viewport" content="width=device-width">']
        head.append(f"<title>{title_html}</title>")
        if description is not None:
            if rng.random() < 0.2:
                head.append(
                    f'<meta property="og:description" content="{_attr(ctx.name)} on the web">'
                )
            name_attr = rng.choice(
                ('name="description"',) * 6
                + ('name="Description"', 'NAME="Description"', 'name="DESCRIPTION"')
            )
            head.append(f'<meta {name_attr} content="{_attr(description)}">')
        canonical = self.url if ctx.canonical_tags else None
        if canonical:
            head.append(f'<link rel="canonical" href="{_attr(canonical)}">')
        head.append("<style>body{font-family:sans-serif;max-width:60rem;margin:auto}</style>")
        if head_extra:
            head.append(head_extra)
        lang_attr = f' lang="{ctx.lang}"' if ctx.lang else ""
        doc = (
            f"<!DOCTYPE html>\n<html{lang_attr}>\n<head>\n"
            + "\n".join(head)
            + "\n</head>\n<body>\n"
            + header
            + f"<main>\n{main}\n</main>\n"
            + footer
            + "</body>\n</html>\n"
        )
        return self.page(
            doc.encode(ctx.encoding),
            title=collapse(title) or None,
            description=description,
            canonical=canonical,
            lang=ctx.lang,
            status=status,
        )

    def page(
        self,
        body: bytes,
        *,
        title: str | None,
        description: str | None,
        canonical: str | None,
        lang: str | None,
        status: int = 200,
    ) -> DemoPage:
        """The truth for an already-encoded document."""
        headers: tuple[tuple[str, str], ...] = ()
        if self.ctx.content_encoding:
            body = compress(body, self.ctx.content_encoding)
            headers = (("Content-Encoding", self.ctx.content_encoding), ("Vary", "Accept-Encoding"))
        return DemoPage(
            path=self.path,
            title=title,
            meta_description=description,
            h1=tuple(self.h1s),
            emails=tuple(self.emails),
            phones=tuple(self.phones),
            socials=tuple(self.socials),
            internal_links=tuple(self.internal),
            external_links=tuple(self.external),
            lang=lang,
            canonical=canonical,
            content_type=self.ctx.content_type,
            status=status,
            url=self.url,
            body=body,
            headers=headers,
            encoding=self.ctx.encoding,
        )


# --------------------------------------------------------------------------- special pages

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


def _raw_page(
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


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x80\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _redirect(path: str, status: int, location: str) -> DemoFile:
    body = f'<a href="{_attr(location)}">Moved</a>\n'.encode()
    return DemoFile(path, status, HTML_UTF8, body, (("Location", location),))


def _urlset(urls: list[str]) -> bytes:
    rows = "".join(
        f"  <url><loc>{_esc(u)}</loc><lastmod>2026-01-15</lastmod></url>\n" for u in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</urlset>\n"
    ).encode()


def _sitemap_index(urls: list[str]) -> bytes:
    rows = "".join(f"  <sitemap><loc>{_esc(u)}</loc></sitemap>\n" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</sitemapindex>\n"
    ).encode()


# --------------------------------------------------------------------------- business sites


@dataclass(slots=True)
class _Plan:
    """Which pages a business site has."""

    services: list[tuple[str, str]] = field(default_factory=list)
    posts: list[tuple[str, str, str]] = field(default_factory=list)
    team: list[tuple[str, str, str, _Phone | None]] = field(default_factory=list)
    extras: list[tuple[str, str]] = field(default_factory=list)
    landings: list[tuple[str, str]] = field(default_factory=list)
    broken: str | None = None
    admin: bool = False
    home_links: list[tuple[str, str]] = field(default_factory=list)
    home_title: str | None = None
    home_h1: str | None = None
    # The old price list link: two redirects (MOVED_CHAIN) to a page no link reaches.
    moved: bool = False
    # A neglected site: its about page has an empty <title> (the report's missing_title).
    untitled_about: bool = False


# An old address that moved twice: /price-list -> /prices -> /prices/2026 (the report's
# redirect_chain); the last page has no h1, no description and the services page's title.
MOVED_CHAIN: tuple[tuple[str, int], ...] = (("/price-list", 301), ("/prices", 302))
MOVED_TARGET = "/prices/2026"


_POSTS_PER_INDEX = 6


class _BusinessSite:
    """Renders the pages of one realistic small-business site from its plan."""

    def __init__(self, ctx: _SiteCtx, plan: _Plan) -> None:
        self.ctx = ctx
        self.plan = plan
        self.pages: dict[str, DemoPage] = {}

    def build(self) -> dict[str, DemoPage]:
        """Every page of the plan, keyed by path."""
        ctx, plan = self.ctx, self.plan
        nav: list[tuple[str, str]] = [("/", "Home"), ("/about", "About")]
        if plan.services:
            nav.append(("/services", "Services"))
        if plan.posts:
            nav.append(("/blog", "Blog"))
        if plan.team:
            nav.append(("/team", "Team"))
        nav.append(("/contact", "Contact"))
        ctx.nav = tuple(nav)
        footer = [(p, t) for p, t in plan.extras if p in ("/privacy", "/careers")]
        if plan.admin:
            footer.append(("/admin/login", "Staff login"))
        ctx.footer_links = tuple(footer)
        self._home()
        self._about()
        self._contact()
        if plan.services:
            self._services()
        if plan.posts:
            self._blog()
        if plan.team:
            self._team()
        for path, title in plan.extras:
            self._generic(path, title)
        for path, title in plan.landings:
            self._generic(path, title, landing=True)
        if plan.admin:
            self._admin()
        if plan.moved:
            self._price_list()
        if plan.broken:
            self.pages[plan.broken] = not_found_page(ctx.host, plan.broken, ctx.scheme)
        return self.pages

    def _add(self, page: DemoPage) -> None:
        self.pages[page.path] = page

    def _desc(self, w: _Writer, text: str) -> str | None:
        return None if w.rng.random() < 0.15 else text

    def _home(self) -> None:
        ctx, plan = self.ctx, self.plan
        w = _Writer(ctx, "/")
        tagline = f"{ctx.label} in {ctx.city}"
        h1 = w.h1(plan.home_h1) if plan.home_h1 is not None else w.varied_h1(ctx.name)
        main = [h1, f"<p>{_esc(ctx.paragraph(w.rng))}</p>"]
        if plan.services:
            items = "".join(f"<li>{w.link(f'/services/{s}', t)}</li>" for s, t in plan.services)
            main.append(f"<h2>What we do</h2>\n<ul>{items}</ul>")
        if plan.posts:
            items = "".join(f"<li>{w.link(f'/blog/{s}', t)}</li>" for s, t, _ in plan.posts[:3])
            main.append(f"<h2>Latest news</h2>\n<ul>{items}</ul>")
        if plan.home_links:
            items = "".join(f"<li>{w.link(p, t, form='root')}</li>" for p, t in plan.home_links)
            main.append(f"<h2>More</h2>\n<ul>{items}</ul>")
        if ctx.emails and ctx.phones:
            main.append(
                f"<p>Call us on {w.phone(ctx.phones[0])} or write to {w.email(ctx.emails[0])}.</p>"
            )
        if w.rng.random() < 0.3:
            main.append('<p><a href="javascript:void(0)">Open chat</a></p>')
        title = plan.home_title or f"{ctx.name} {_DASH} {tagline}"
        desc = f"{ctx.name}: {ctx.label.lower()} in {ctx.city}. {ctx.sentence(w.rng)}"
        self._add(w.finish(title, self._desc(w, desc), "\n".join(main)))

    def _about(self) -> None:
        ctx, plan = self.ctx, self.plan
        w = _Writer(ctx, "/about")
        main = [w.varied_h1(f"About {ctx.name}")]
        for _ in range(w.rng.randint(2, 4)):
            main.append(f"<p>{_esc(ctx.paragraph(w.rng))}</p>")
        if plan.team:
            main.append(f"<p>Meet {w.link('/team', 'the people behind the work')}.</p>")
        if plan.broken:
            main.append(f"<p>Looking for {w.link(plan.broken, 'our old price list')}?</p>")
        if plan.moved:
            main.append(f"<p>See {w.link(MOVED_CHAIN[0][0], 'our prices', form='root')}.</p>")
        main.append(f"<p>{w.link('/contact', 'Get in touch')} today.</p>")
        desc = f"The story of {ctx.name}, {ctx.label.lower()} in {ctx.city}."
        title = "" if plan.untitled_about else f"About us | {ctx.name}"
        self._add(w.finish(title, self._desc(w, desc), "\n".join(main)))

    def _contact(self) -> None:
        ctx = self.ctx
        w = _Writer(ctx, "/contact")
        main = [w.varied_h1("Contact us"), f"<address>{_esc(ctx.address)}</address>"]
        if ctx.emails:
            main.append(f"<p>Email: {w.mailto(ctx.emails[0])}</p>")
        if len(ctx.emails) > 1:
            main.append(
                f"<p>Bookings and orders: {w.mailto(ctx.emails[1], subject='Booking request')}</p>"
            )
        if ctx.phones:
            main.append(f"<p>Phone: {w.tel(ctx.phones[0])}</p>")
        for extra in ctx.phones[1:]:
            main.append(f"<p>Out of hours: {w.phone(extra)}</p>")
        if not ctx.emails and not ctx.phones:
            main.append("<p>Please use the form below; we answer within two working days.</p>")
        main.extend(_contact_trick(w))
        main.append("<p>Opening hours: Monday to Friday 9:00-17:30, Saturday 10:00-14:00.</p>")
        maps = f"https://maps.example.net/?q={slugify(ctx.name)}"
        main.append(f"<p>{w.ext(maps, 'Find us on the map')}</p>")
        main.append(
            '<form action="/contact" method="post"><input name="email" type="email">'
            '<textarea name="message"></textarea><button>Send</button></form>'
        )
        desc = f"How to reach {ctx.name} in {ctx.city}: phone, email and opening hours."
        self._add(w.finish(f"Contact | {ctx.name}", self._desc(w, desc), "\n".join(main)))

    def _services(self) -> None:
        ctx, plan = self.ctx, self.plan
        w = _Writer(ctx, "/services")
        items = "".join(
            f"<li>{w.link(f'/services/{s}', t)} {_DASH} {_esc(ctx.sentence(w.rng))}</li>"
            for s, t in plan.services
        )
        main = f"{w.varied_h1('Our services')}\n<ul>{items}</ul>"
        desc = f"Everything {ctx.name} can do for you."
        self._add(w.finish(f"Services | {ctx.name}", self._desc(w, desc), main))
        for i, (slug, title) in enumerate(plan.services):
            w = _Writer(ctx, f"/services/{slug}")
            main_parts = [w.varied_h1(title)]
            for _ in range(w.rng.randint(1, 3)):
                main_parts.append(f"<p>{_esc(ctx.paragraph(w.rng))}</p>")
            if i + 1 < len(plan.services):
                nxt_slug, nxt_title = plan.services[i + 1]
                main_parts.append(f"<p>See also {w.link(f'/services/{nxt_slug}', nxt_title)}</p>")
            main_parts.append(
                f"<p>{w.link('/services', 'All services')} · "
                f"{w.link('/contact', 'Ask for a quote', form='fragment')}</p>"
            )
            if w.rng.random() < 0.4 and ctx.phones:
                main_parts.append(f"<p>Same-day appointments: call {w.phone(ctx.phones[0])}.</p>")
            desc = f"{title} from {ctx.name} in {ctx.city}."
            self._add(w.finish(f"{title} | {ctx.name}", self._desc(w, desc), "\n".join(main_parts)))

    def _blog(self) -> None:
        ctx, posts = self.ctx, self.plan.posts
        chunks = [posts[i : i + _POSTS_PER_INDEX] for i in range(0, len(posts), _POSTS_PER_INDEX)]
        for n, chunk in enumerate(chunks, start=1):
            path = "/blog" if n == 1 else f"/blog?page={n}"
            w = _Writer(ctx, path)
            items = "".join(
                f"<li>{w.link(f'/blog/{s}', t)} <small>{_esc(d)}</small></li>" for s, t, d in chunk
            )
            main = [w.varied_h1("News and articles"), f"<ul>{items}</ul>"]
            pager = []
            if n > 1:
                pager.append(w.link("/blog" if n == 2 else f"/blog?page={n - 1}", "Newer posts"))
            if n < len(chunks):
                pager.append(w.link(f"/blog?page={n + 1}", "Older posts"))
            if pager:
                main.append(f'<p class="pager">{" ".join(pager)}</p>')
            title = f"Blog | {ctx.name}" if n == 1 else f"Blog, page {n} | {ctx.name}"
            desc = f"News, tips and stories from {ctx.name}."
            self._add(w.finish(title, self._desc(w, desc), "\n".join(main)))
        for i, (slug, title, date) in enumerate(posts):
            w = _Writer(ctx, f"/blog/{slug}")
            main = [w.varied_h1(title), f"<p><time>{_esc(date)}</time></p>"]
            for _ in range(w.rng.randint(2, 4)):
                main.append(f"<p>{_esc(ctx.paragraph(w.rng))}</p>")
            if self.plan.services:
                s_slug, s_title = w.rng.choice(self.plan.services)
                main.append(f"<p>Related: {w.link(f'/services/{s_slug}', s_title)}</p>")
            if i > 0:
                prev_slug, prev_title, _ = posts[i - 1]
                main.append(f"<p>Previous: {w.link(f'/blog/{prev_slug}', prev_title)}</p>")
            if w.rng.random() < 0.5:
                wiki = f"https://en.wikipedia.org/wiki/{ctx.label.replace(' ', '_')}"
                main.append(f"<p>Background reading: {w.ext(wiki, 'Wikipedia')}</p>")
            if w.rng.random() < 0.3:
                main.append(
                    "<p>Shared by "
                    + w.ext(f"https://news.example.com/story?utm_source={ctx.key}", "a reader")
                    + "</p>"
                )
            main.append(f"<p>{w.link('/blog', 'Back to the blog')}</p>")
            desc = f"{title}: an article from {ctx.name}."
            self._add(w.finish(f"{title} | {ctx.name}", self._desc(w, desc), "\n".join(main)))

    def _team(self) -> None:
        ctx = self.ctx
        w = _Writer(ctx, "/team")
        main = [w.varied_h1("Our team")]
        for person, role, email, direct in self.plan.team:
            line = f"<h2>{_esc(person)}</h2>\n<p>{_esc(role)}. {w.mailto(email, f'Email {person}')}"
            if direct is not None:
                line += f" · Direct line {w.tel(direct)}"
            main.append(line + "</p>")
        desc = f"The people of {ctx.name}."
        self._add(w.finish(f"Team | {ctx.name}", self._desc(w, desc), "\n".join(main)))

    def _generic(self, path: str, title: str, *, landing: bool = False) -> None:
        ctx = self.ctx
        w = _Writer(ctx, path)
        main = [w.varied_h1(title)]
        for _ in range(w.rng.randint(1, 3)):
            main.append(f"<p>{_esc(ctx.paragraph(w.rng))}</p>")
        if landing and ctx.emails and ctx.phones:
            main.append(
                f"<p>Claim it: {w.mailto(ctx.emails[-1], 'email us', subject=title)} or call "
                f"{w.tel(ctx.phones[-1])}.</p>"
            )
        desc = f"{title} {_DASH} {ctx.name}."
        self._add(w.finish(f"{title} | {ctx.name}", self._desc(w, desc), "\n".join(main)))

    def _price_list(self) -> None:
        """The page the moved price list ends at: a bare table, reached by redirects only."""
        ctx, plan = self.ctx, self.plan
        w = _Writer(ctx, MOVED_TARGET)
        rows = "".join(
            f"<tr><td>{_esc(title)}</td><td>from {w.rng.randint(40, 400)}</td></tr>"
            for _slug, title in plan.services
        )
        main = f'<p class="lead">Prices 2026</p>\n<table>{rows}</table>'
        self._add(w.finish(f"Services | {ctx.name}", None, main))

    def _admin(self) -> None:
        ctx = self.ctx
        w = _Writer(ctx, "/admin/login")
        main = (
            f'{w.h1("Staff login")}\n<form method="post"><input name="user">'
            '<input name="password" type="password"><button>Log in</button></form>'
        )
        self._add(w.finish(f"Staff login | {ctx.name}", None, main))


def cloudflare_hex(address: str) -> str:
    """`address` as Cloudflare's email protection writes it: a key byte, then XOR-ed bytes."""
    key = zlib.crc32(address.encode()) & 0xFF or 0x5A
    return f"{key:02x}" + "".join(f"{byte ^ key:02x}" for byte in address.encode())


# Ways a contact page disguises an address, each given to one business site (see
# `_normal_sites`); "asset_names" writes image names that only look like addresses.
CONTACT_TRICKS = ("cloudflare_span", "cloudflare_link", "spelled_brackets", "spelled_parens",
                  "asset_names")  # fmt: skip


def _contact_trick(w: _Writer) -> list[str]:
    """The contact page's disguised address (or asset-name trap), by the site's trick."""
    ctx = w.ctx
    domain = ctx.host[4:] if ctx.host.startswith("www.") else ctx.host
    trick = ctx.contact_trick
    if trick == "cloudflare_span":
        return [f"<p>Press enquiries: {w.cloudflare_email(f'press@{domain}')}</p>"]
    if trick == "cloudflare_link":
        return [f"<p>{w.cloudflare_link(f'accounts@{domain}', 'Email our accounts team')}</p>"]
    if trick == "spelled_brackets":
        return [f"<p>Careers: {w.spelled_email(f'jobs@{domain}', brackets=True)}</p>"]
    if trick == "spelled_parens":
        return [f"<p>Support: {w.spelled_email(f'support@{domain}', brackets=False)}</p>"]
    if trick == "asset_names":
        return [
            "<p>Press kit: logo@2x.png, icon@3x.webp and banner@2x.jpg, "
            "free to use with credit.</p>"
        ]
    return []


# --------------------------------------------------------------------------- building the web


def _make_ctx(
    rng: random.Random,
    seed: int,
    phones: _PhonePool,
    key: str,
    name: str,
    category: tuple[str, str, tuple[str, ...]],
    *,
    country: str | None = None,
    host: str | None = None,
) -> _SiteCtx:
    cat_key, label, services = category
    country = country or rng.choices(("uk", "us", "de"), weights=(4, 4, 2))[0]
    host = host or key
    handle = key.split(".")[0].replace("-", "")
    networks = [
        ("Twitter", f"https://{rng.choice(('twitter.com', 'x.com'))}/{handle}"),
        ("Facebook", f"https://www.facebook.com/{handle}"),
        ("LinkedIn", f"https://www.linkedin.com/company/{key.split('.')[0]}"),
        ("Instagram", f"https://www.instagram.com/{handle}/"),
        ("YouTube", f"https://www.youtube.com/@{handle}"),
        ("GitHub", f"https://github.com/{handle}"),
        ("TikTok", f"https://www.tiktok.com/@{handle}"),
    ]
    socials = tuple(rng.sample(networks, rng.randint(2, 5)))
    domain = host[4:] if host.startswith("www.") else host
    emails = (
        f"{rng.choice(('hello', 'info', 'contact', 'office'))}@{domain}",
        f"{rng.choice(('bookings', 'orders', 'enquiries', 'sales'))}@{domain}",
    )
    site_phones = tuple(phones.take(country) for _ in range(rng.randint(1, 2)))
    city = rng.choice(_CITIES[country])
    address = f"{rng.randint(2, 180)} {rng.choice(_STREETS)}, {city}"
    return _SiteCtx(
        key=key,
        host=host,
        name=name,
        label=label if cat_key != "law" else "Law firm",
        services=services,
        country=country,
        city=city,
        seed=seed,
        lang=_LANGS[country] if rng.random() < 0.9 else None,
        emails=emails,
        phones=site_phones,
        socials=socials,
        address=address,
        year=rng.randint(1952, 2019),
        nav_form=rng.choice(("root",) * 6 + ("absolute", "relative")),
        canonical_tags=rng.random() < 0.8,
    )


def _make_plan(
    rng: random.Random, ctx: _SiteCtx, phones: _PhonePool, *, small: bool = False
) -> _Plan:
    plan = _Plan()
    services = list(ctx.services)
    rng.shuffle(services)
    n_services = rng.randint(1, 2) if small else rng.randint(1, len(services))
    plan.services = [(slugify(t), t) for t in services[:n_services]]
    if small:
        return plan
    plan.extras = rng.sample(_EXTRAS, rng.randint(0, 3))
    if rng.random() < 0.6:
        people = []
        for _ in range(rng.randint(2, 4)):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            local = first.lower() if rng.random() < 0.5 else f"{first}.{last}".lower()
            domain = ctx.host[4:] if ctx.host.startswith("www.") else ctx.host
            direct = phones.take(ctx.country) if rng.random() < 0.3 else None
            people.append((f"{first} {last}", rng.choice(_ROLES), f"{local}@{domain}", direct))
        # One email per person; drop repeated names so the truth stays one-to-one.
        by_email = {person[2]: person for person in people}
        plan.team = list(by_email.values())
    if rng.random() < 0.3:
        plan.broken = rng.choice(("/old-prices", "/news/2019-summer-update", "/downloads/menu"))
    fixed = 3 + (1 + len(plan.services)) + bool(plan.team) + len(plan.extras) + bool(plan.broken)
    room = 30 - fixed - 3  # keep room for admin and landing pages
    n_posts = max(0, min(rng.randint(0, 14), room - (room // _POSTS_PER_INDEX) - 1))
    titles = list(_POST_TITLES)
    rng.shuffle(titles)
    posts: list[tuple[str, str, str]] = []
    for template in titles[:n_posts]:
        title = template.format(
            service=rng.choice(ctx.services).lower(),
            name=ctx.name,
            city=ctx.city,
            label=ctx.label.lower(),
        )
        date = f"{rng.randint(1, 28)} {rng.choice(_MONTHS)} 2025"
        posts.append((slugify(title), title[0].upper() + title[1:], date))
    plan.posts = posts
    return plan


def _moved_redirects() -> dict[str, tuple[int, str]]:
    """The hops of MOVED_CHAIN, each to the next path, the last to MOVED_TARGET."""
    targets = [path for path, _status in MOVED_CHAIN[1:]] + [MOVED_TARGET]
    return {
        path: (status, target) for (path, status), target in zip(MOVED_CHAIN, targets, strict=True)
    }


def _robots(disallow: list[str], sitemaps: list[str], crawl_delay: float | None) -> str:
    lines = ["User-agent: BadBot", "Disallow: /", "Crawl-delay: 10", "", "User-agent: *"]
    lines += [f"Disallow: {p}" for p in disallow] or ["Disallow:"]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    lines.append("")
    lines += [f"Sitemap: {u}" for u in sitemaps]
    return "\n".join(lines).rstrip("\n") + "\n"


def _site_from(
    ctx: _SiteCtx,
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


def _normal_sites(rng: random.Random, seed: int, phones: _PhonePool) -> list[DemoSite]:
    prefixes = list(_PREFIXES)
    rng.shuffle(prefixes)
    specs: list[tuple[str, str, tuple[str, str, tuple[str, ...]]]] = []
    for category in _CATEGORIES:
        cat_key, label, _ = category
        prefix = {"plumbing": "acme", "bakery": "northwind"}.get(cat_key) or prefixes.pop()
        key = f"{prefix}-{cat_key}.test"
        pretty = prefix.replace("-", " ").title()
        if cat_key == "law":
            name = f"{pretty} & Partners Solicitors"
        elif cat_key == "accounting":
            name = f"{pretty} & Co Accountants"
        else:
            name = f"{pretty} {label}"
        specs.append((key, name, category))
    agency = next(key for key, _, (cat, _, _) in specs if cat == "agency")
    # Feature slots are dealt by position after a shuffle, so every seed has each feature.
    order = list(range(len(specs)))
    rng.shuffle(order)
    features: dict[int, str] = {}
    slot_names = ("sitemap_index", "sitemap_plain", "robots_sitemap", "robots_sitemap",
                  "robots_admin", "robots_admin", "robots_admin", "www", "crawl_delay")  # fmt: skip
    for slot, index in zip(slot_names, order, strict=False):
        features[index] = slot
    # Contact tricks and the site without contacts are dealt from the other end of the same
    # order (no further random draws, so the rest of the web stays as it was); never to the
    # first site, which the app's snapshots show.
    others = [i for i in reversed(order) if specs[i][0] != "acme-plumbing.test"]
    tricks = dict(zip(others, CONTACT_TRICKS, strict=False))
    no_contact = others[len(CONTACT_TRICKS)]
    moved = others[len(CONTACT_TRICKS) + 1]
    sites: list[DemoSite] = []
    for index, (key, name, category) in enumerate(specs):
        feature = features.get(index, "")
        host = f"www.{key}" if feature == "www" else key
        ctx = _make_ctx(rng, seed, phones, key, name, category, host=host)
        if key != agency and rng.random() < 0.3:
            ctx.credit = f"https://{agency}/"
        if rng.random() < 0.3:
            ctx.partner = rng.choice(
                ("https://example.org/partner", f"https://example.org/partner?utm_source={key}")
            )
        plan = _make_plan(rng, ctx, phones, small=feature == "crawl_delay")
        plan.admin = feature == "robots_admin"
        ctx.contact_trick = tricks.get(index, "")
        plan.moved = index == moved
        if index == no_contact:
            # A site that gives no way to reach it but a form: the report's no_contact.
            ctx.emails, ctx.phones, plan.team = (), (), []
            plan.untitled_about = True
        if feature.startswith("sitemap") or feature == "robots_sitemap":
            picks = rng.sample(_LANDINGS, rng.randint(1, 3))
            plan.landings = [(f"/landing/{slugify(t)}", t) for t in picks]
        pages = _BusinessSite(ctx, plan).build()
        sitemap_only = tuple(p for p, _ in plan.landings)
        robots_txt: str | None = None
        disallowed: tuple[str, ...] = ()
        sitemaps: tuple[str, ...] = ()
        crawl_delay: float | None = None
        files: dict[str, DemoFile] = {}
        listed = [
            ctx.url(p)
            for p, page in pages.items()
            if page.status == 200 and "?" not in p and not p.startswith("/admin/")
        ]
        if feature == "sitemap_index":
            posts = [u for u in listed if "/blog/" in u]
            others = [u for u in listed if "/blog/" not in u]
            urls = [ctx.url("/sitemap-pages.xml.gz"), ctx.url("/sitemap-posts.xml")]
            files["/sitemap_index.xml"] = DemoFile(
                "/sitemap_index.xml", 200, "application/xml", _sitemap_index(urls)
            )
            files["/sitemap-pages.xml.gz"] = DemoFile(
                "/sitemap-pages.xml.gz",
                200,
                "application/x-gzip",
                gzip.compress(_urlset(others), mtime=0),
            )
            files["/sitemap-posts.xml"] = DemoFile(
                "/sitemap-posts.xml", 200, "application/xml", _urlset(posts)
            )
            index_url = ctx.url("/sitemap_index.xml")
            robots_txt = _robots(["/cgi-bin/"], [index_url], None)
            disallowed = ("/cgi-bin/",)
            sitemaps = (index_url, *urls)
        elif feature in ("sitemap_plain", "robots_sitemap"):
            url = ctx.url("/sitemap.xml")
            files["/sitemap.xml"] = DemoFile(
                "/sitemap.xml", 200, "application/xml", _urlset(listed)
            )
            sitemaps = (url,)
            if feature == "robots_sitemap":
                robots_txt = _robots([], [url], None)
        elif feature == "robots_admin":
            robots_txt = _robots(["/admin/", "/cart"], [], None)
            disallowed = ("/admin/", "/cart")
        elif feature == "crawl_delay":
            crawl_delay = 0.5
            robots_txt = _robots(["/tmp/"], [], crawl_delay)
            disallowed = ("/tmp/",)
        site = _site_from(
            ctx,
            KIND_WWW if feature == "www" else KIND_NORMAL,
            pages,
            sitemap_only=sitemap_only,
            files=files,
            robots_txt=robots_txt,
            disallowed=disallowed,
            sitemaps=sitemaps,
            crawl_delay=crawl_delay,
            broken=(plan.broken,) if plan.broken else (),
            redirects=_moved_redirects() if plan.moved else None,
        )
        if sitemaps:
            # Every listed page no link reaches is found through the sitemap alone.
            linked = set(site.reachable_paths(use_sitemaps=False))
            orphans = tuple(p for p in (site.path_of(u) for u in listed) if p and p not in linked)
            site = dataclasses.replace(
                site, sitemap_only_paths=tuple(dict.fromkeys((*sitemap_only, *orphans)))
            )
        sites.append(site)
    return sites


def _misbehaving_site(kind: str, rng: random.Random, seed: int, phones: _PhonePool) -> DemoSite:
    key = MISBEHAVING_HOSTS[kind]
    name, cat_key = _MISBEHAVING_NAMES[kind]
    category = next(c for c in _CATEGORIES if c[0] == cat_key)
    country = "de" if kind in ("latin1", "meta_charset") else None
    ctx = _make_ctx(rng, seed, phones, key, name, category, country=country)
    plan = _make_plan(rng, ctx, phones, small=True)
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
        extra["/report.html"] = _raw_page(key, "/report.html", "application/pdf", _PDF)
        extra["/logo.png"] = _raw_page(key, "/logo.png", "image/png", _png_1x1())
        extra["/data.json"] = _raw_page(
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
        return _site_from(ctx, kind, {}, redirects=redirects)
    if kind == "metadata_redirect":
        return _site_from(ctx, kind, {}, redirects={"/": (302, METADATA_URL)})
    if kind == "port_redirect":  # the server fills in its side port (see DemoServer)
        return _site_from(ctx, kind, {}, redirects={"/": (302, "http://127.0.0.1:0/admin")})
    if kind == "moved_to_bad_cert":  # moved to a host whose certificate has expired
        redirects = {"/": (301, f"https://{MISBEHAVING_HOSTS['expired_cert']}/")}
        return _site_from(ctx, kind, {}, redirects=redirects)
    builder = _BusinessSite(ctx, plan)
    pages = builder.build()
    pages.update(extra)
    if kind == "huge":
        w = _Writer(ctx, HUGE_PATH, chrome=False)
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
            w = _Writer(ctx, path)
            main = w.h1(title)
            if path == "/members/directory":
                main += f"\n<p>{w.link('/members/profile/1', 'First member')}</p>"
            pages[path] = w.finish(f"{title} | {ctx.name}", None, main)
    elif kind == "start_404":
        pages["/"] = not_found_page(ctx.host, "/")
    elif kind == "calendar_trap":
        return _site_from(ctx, kind, pages, infinite=True, dynamic=_calendar_factory(ctx))
    return _site_from(
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


def _calendar_factory(ctx: _SiteCtx) -> Callable[[str], DemoPage | None]:
    """Months from year 1 to 9999, each linking to its neighbours: a crawler trap."""

    @functools.lru_cache(maxsize=256)
    def make(path: str) -> DemoPage | None:
        match = _CALENDAR_RE.match(path)
        if match is None:
            return None
        year, month = int(match.group(1)), int(match.group(2))
        if not (1 <= year <= 9999 and 1 <= month <= 12):
            return None
        w = _Writer(ctx, path)
        label = f"{_MONTHS[month - 1]} {year}"
        prev = (year, month - 1) if month > 1 else (year - 1, 12)
        nxt = (year, month + 1) if month < 12 else (year + 1, 1)
        pager = []
        if prev[0] >= 1:
            pager.append(w.link(_calendar_path(*prev), "Previous month", form="root"))
        if nxt[0] <= 9999:
            pager.append(w.link(_calendar_path(*nxt), "Next month", form="root"))
        main = (
            f"{w.h1(f'Events in {label}')}\n<p>No events are planned for {_esc(label)} yet.</p>\n"
            f'<p class="pager">{" | ".join(pager)}</p>'
        )
        return w.finish(f"Events {_DASH} {label} | {ctx.name}", None, main)

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


def _big_site(ctx: _SiteCtx) -> DemoSite:
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
        w = _Writer(ctx, path)
        if path == "/":
            items = " ".join(w.link(listing(n), str(n)) for n in range(1, _BIG_LISTINGS + 1))
            main = f"{w.h1(ctx.name)}\n<p>{_esc(ctx.paragraph(w.rng))}</p>\n<p>Pages: {items}</p>"
            return w.finish(f"{ctx.name} {_DASH} the big catalogue", "Thousands of products.", main)
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
            f"{w.h1(f'Product {i}')}\n<p>{_esc(ctx.sentence(w.rng))}</p>\n"
            f"<p>Related: {links}</p>\n<p>{w.link(back, 'Back to the list', form='root')}</p>"
        )
        return w.finish(f"Product {i} | {ctx.name}", f"Product {i} from {ctx.name}.", main)

    return _site_from(ctx, "big", _LazyPages(paths, make))


def _broken_html_site(ctx: _SiteCtx) -> DemoSite:
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
        w = _Writer(ctx, path, chrome=False)
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
            + f"\n<p>{_esc(ctx.paragraph(w.rng))}\n"
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
    return _site_from(ctx, "broken_html", pages)


def build_demo_web(seed: int = 7) -> DemoWeb:
    """The demo web: ~30 realistic business sites plus one site of each misbehaving kind."""
    rng = random.Random(seed)
    phones = _PhonePool(random.Random(seed + 1))
    sites = _normal_sites(rng, seed, phones)
    sites += [_misbehaving_site(kind, rng, seed, phones) for kind in MISBEHAVING_KINDS]
    rng.shuffle(sites)  # mixed order makes a demo batch show every behaviour early
    return DemoWeb({site.host: site for site in sites}, seed)


# --------------------------------------------------------------------------- the perf web

_PERF_FANOUT = 12
_PERF_RELATED = 16


@dataclass(frozen=True, slots=True)
class _TextPool:
    """Pre-encoded paragraphs, twice over, so a page body is one slice (cheap per request)."""

    text: bytes
    starts: tuple[int, ...]  # offset of every paragraph in `text`, then len(text)
    count: int  # paragraphs in one copy
    size: int  # bytes in one copy

    def window(self, rng: random.Random, need: int) -> list[bytes]:
        """Consecutive whole paragraphs from a random start, about `need` bytes in all."""
        out: list[bytes] = []
        while need > 0:
            begin = self.starts[rng.randrange(self.count)]
            end = self.starts[bisect.bisect_left(self.starts, begin + min(need, self.size))]
            out.append(self.text[begin:end])
            need -= end - begin
        return out


@functools.lru_cache(maxsize=8)
def _perf_pool(seed: int) -> _TextPool:
    rng = random.Random(seed)
    paragraphs: list[bytes] = []
    for _ in range(256):
        _, label, services = rng.choice(_CATEGORIES)  # reuse the business vocabulary
        sentences = [
            rng.choice(_SENTENCES).format(
                name="The company",
                city=rng.choice(_CITIES["uk"]),
                year=rng.randint(1950, 2020),
                service=rng.choice(services).lower(),
                label=label.lower(),
            )
            for _ in range(rng.randint(3, 7))
        ]
        paragraphs.append(f"<p>{_esc(' '.join(sentences))}</p>\n".encode())
    starts = [0]
    for para in paragraphs * 2:
        starts.append(starts[-1] + len(para))
    one = b"".join(paragraphs)
    return _TextPool(one * 2, tuple(starts), len(paragraphs), len(one))


class _PerfPages(Mapping[str, DemoPage]):
    """The pages of one perf site, rendered on demand from (site index, page index)."""

    def __init__(self, web: _PerfWeb, index: int) -> None:
        self._web = web
        self._index = index

    def __getitem__(self, path: str) -> DemoPage:
        j = self._web.page_index(path)
        if j is None:
            raise KeyError(path)
        return self._web.page(self._index, j)

    def __iter__(self) -> Iterator[str]:
        return (_perf_path(j) for j in range(self._web.pages))

    def __len__(self) -> int:
        return self._web.pages

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._web.page_index(path) is not None

    def __repr__(self) -> str:
        return f"<{self._web.pages} perf pages>"


def _perf_path(j: int) -> str:
    return "/" if j == 0 else f"/p/{j}"


class _PerfWeb:
    """Shared generator behind every perf site's pages."""

    def __init__(self, sites: int, pages: int, page_bytes: int, seed: int) -> None:
        self.sites = sites
        self.pages = pages
        self.page_bytes = page_bytes
        self.seed = seed
        self.pool = _perf_pool(seed)
        self.page = functools.lru_cache(maxsize=256)(self._render)

    def host(self, i: int) -> str:
        return f"perf-{i:04d}.test"

    def page_index(self, path: str) -> int | None:
        if path == "/":
            return 0
        if path.startswith("/p/") and path[3:].isdigit():
            j = int(path[3:])
            if 1 <= j < self.pages and str(j) == path[3:]:
                return j
        return None

    def _render(self, i: int, j: int) -> DemoPage:
        host = self.host(i)
        path = _perf_path(j)
        url = f"http://{host}{path}"
        rng = random.Random(self.seed * 1_000_003 + i * 10_007 + j)
        n = self.pages
        internal: dict[str, None] = {}
        links: list[str] = []

        def link(target: int, text: str) -> None:
            p = _perf_path(target)
            internal[f"http://{host}{p}"] = None
            links.append(f'<li><a href="{p}">{text}</a></li>')

        link(0, "Home")
        for k in (1, 2):
            if k < n:
                link(k, f"Section {k}")
        parent = (j - 1) // _PERF_FANOUT if j > 0 else None
        if parent is not None:
            link(parent, "Up")
        for child in range(j * _PERF_FANOUT + 1, min(j * _PERF_FANOUT + _PERF_FANOUT, n - 1) + 1):
            link(child, f"Page {child}")
        if n > 1:
            for _ in range(_PERF_RELATED):
                other = rng.randrange(1, n)
                if other != j:
                    link(other, f"Related {other}")
        handle = host.split(".")[0].replace("-", "")
        socials = (f"https://twitter.com/{handle}", f"https://www.linkedin.com/company/{handle}")
        externals = ("https://example.org/partner", "https://en.wikipedia.org/wiki/Web_crawler")
        emails = [f"info@{host}"] + ([f"sales@{host}"] if j % 3 == 0 else [])
        country = "us" if i % 2 else "uk"
        phone = _make_phone(country, i % (100 if i % 2 else 1000), False)
        title = f"Page {j} of site {i} | Perf {i}" if j else f"Perf site {i} {_DASH} home"
        desc = f"Benchmark page {j} of perf site {i}."
        h1 = f"Perf site {i}, page {j}"
        head = (
            f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n"
            f'<meta name="description" content="{desc}">\n'
            f'<link rel="canonical" href="{url}">\n</head>\n<body>\n'
            f"<header><nav><ul>{''.join(links)}</ul></nav></header>\n<main>\n<h1>{h1}</h1>\n"
        )
        foot = (
            "</main>\n<footer>\n"
            + "".join(f'<p><a href="mailto:{e}">{e}</a></p>\n' for e in emails)
            + f'<p>Call <a href="{phone.href}">{phone.display}</a></p>\n'
            + "".join(f'<a href="{s}">{s.split("/")[2]}</a>\n' for s in socials)
            + "".join(f'<a href="{e}">{e.split("/")[2]}</a>\n' for e in externals)
            + "</footer>\n</body>\n</html>\n"
        )
        head_bytes, foot_bytes = head.encode(), foot.encode()
        need = self.page_bytes - len(head_bytes) - len(foot_bytes)
        body = b"".join([head_bytes, *self.pool.window(rng, need), foot_bytes])
        return DemoPage(
            path=path,
            title=title,
            meta_description=desc,
            h1=(h1,),
            emails=tuple(emails),
            phones=(phone.e164,),
            socials=socials,
            internal_links=tuple(internal),
            external_links=socials + externals,
            lang="en",
            canonical=url,
            content_type=HTML_UTF8,
            url=url,
            body=body,
        )


def build_perf_web(sites: int, pages: int, page_bytes: int = 25_000, seed: int = 0) -> DemoWeb:
    """N plain sites `perf-0001.test`… of P pages (~page_bytes each), rendered on demand.

    Every page is reachable from `/` within a few hops (a 12-ary tree plus random
    cross-links); no robots.txt, no sitemap.
    """
    if sites < 1 or pages < 1:
        raise ValueError("a perf web needs at least one site and one page")
    gen = _PerfWeb(sites, pages, page_bytes, seed)
    out: dict[str, DemoSite] = {}
    for i in range(1, sites + 1):
        host = gen.host(i)
        out[host] = DemoSite(
            host=host,
            kind=KIND_PERF,
            pages=_PerfPages(gen, i),
            robots_txt=None,
            disallowed_prefixes=(),
            sitemap_only_paths=(),
            name=f"Perf {i}",
            canonical_host=host,
            scheme="http",  # its pages' canonical links say http; either scheme serves it
        )
    return DemoWeb(out, seed)
