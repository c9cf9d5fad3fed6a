"""Building the demo web: the business sites with their features, then the misbehaving ones."""

from __future__ import annotations

import dataclasses
import gzip
import random

from .business import CONTACT_TRICKS, BusinessSite, make_plan, moved_redirects
from .content import CATEGORIES, LANDINGS, NAME_PREFIXES, PhonePool, make_context
from .kinds import KIND_NORMAL, KIND_WWW, MISBEHAVING_KINDS
from .misbehaving import misbehaving_site
from .special import robots_text, site_from, sitemap_index_xml, urlset_xml
from .truth import DemoFile, DemoSite, DemoWeb
from .urls import slugify


def _normal_sites(rng: random.Random, seed: int, phones: PhonePool) -> list[DemoSite]:
    prefixes = list(NAME_PREFIXES)
    rng.shuffle(prefixes)
    specs: list[tuple[str, str, tuple[str, str, tuple[str, ...]]]] = []
    for category in CATEGORIES:
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
        ctx = make_context(rng, seed, phones, key, name, category, host=host)
        if key != agency and rng.random() < 0.3:
            ctx.credit = f"https://{agency}/"
        if rng.random() < 0.3:
            ctx.partner = rng.choice(
                ("https://example.org/partner", f"https://example.org/partner?utm_source={key}")
            )
        plan = make_plan(rng, ctx, phones, small=feature == "crawl_delay")
        plan.admin = feature == "robots_admin"
        ctx.contact_trick = tricks.get(index, "")
        plan.moved = index == moved
        if index == no_contact:
            # A site that gives no way to reach it but a form: the report's no_contact.
            ctx.emails, ctx.phones, plan.team = (), (), []
            plan.untitled_about = True
        if feature.startswith("sitemap") or feature == "robots_sitemap":
            picks = rng.sample(LANDINGS, rng.randint(1, 3))
            plan.landings = [(f"/landing/{slugify(t)}", t) for t in picks]
        pages = BusinessSite(ctx, plan).build()
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
                "/sitemap_index.xml", 200, "application/xml", sitemap_index_xml(urls)
            )
            files["/sitemap-pages.xml.gz"] = DemoFile(
                "/sitemap-pages.xml.gz",
                200,
                "application/x-gzip",
                gzip.compress(urlset_xml(others), mtime=0),
            )
            files["/sitemap-posts.xml"] = DemoFile(
                "/sitemap-posts.xml", 200, "application/xml", urlset_xml(posts)
            )
            index_url = ctx.url("/sitemap_index.xml")
            robots_txt = robots_text(["/cgi-bin/"], [index_url], None)
            disallowed = ("/cgi-bin/",)
            sitemaps = (index_url, *urls)
        elif feature in ("sitemap_plain", "robots_sitemap"):
            url = ctx.url("/sitemap.xml")
            files["/sitemap.xml"] = DemoFile(
                "/sitemap.xml", 200, "application/xml", urlset_xml(listed)
            )
            sitemaps = (url,)
            if feature == "robots_sitemap":
                robots_txt = robots_text([], [url], None)
        elif feature == "robots_admin":
            robots_txt = robots_text(["/admin/", "/cart"], [], None)
            disallowed = ("/admin/", "/cart")
        elif feature == "crawl_delay":
            crawl_delay = 0.5
            robots_txt = robots_text(["/tmp/"], [], crawl_delay)
            disallowed = ("/tmp/",)
        site = site_from(
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
            redirects=moved_redirects() if plan.moved else None,
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


def build_demo_web(seed: int = 7) -> DemoWeb:
    """The demo web: ~30 realistic business sites plus one site of each misbehaving kind."""
    rng = random.Random(seed)
    phones = PhonePool(random.Random(seed + 1))
    sites = _normal_sites(rng, seed, phones)
    sites += [misbehaving_site(kind, rng, seed, phones) for kind in MISBEHAVING_KINDS]
    rng.shuffle(sites)  # mixed order makes a demo batch show every behaviour early
    return DemoWeb({site.host: site for site in sites}, seed)
