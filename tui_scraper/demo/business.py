"""Realistic small-business sites: which pages a site has (its plan) and how they read."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .content import (
    DASH,
    EXTRA_PAGES,
    FIRST_NAMES,
    LAST_NAMES,
    MONTHS,
    POST_TITLES,
    ROLES,
    Phone,
    PhonePool,
    SiteContext,
)
from .special import not_found_page
from .truth import DemoPage
from .urls import esc, slugify
from .writer import PageWriter


@dataclass(slots=True)
class SitePlan:
    """Which pages a business site has."""

    services: list[tuple[str, str]] = field(default_factory=list)
    posts: list[tuple[str, str, str]] = field(default_factory=list)
    team: list[tuple[str, str, str, Phone | None]] = field(default_factory=list)
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


class BusinessSite:
    """Renders the pages of one realistic small-business site from its plan."""

    def __init__(self, ctx: SiteContext, plan: SitePlan) -> None:
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

    def _desc(self, w: PageWriter, text: str) -> str | None:
        return None if w.rng.random() < 0.15 else text

    def _home(self) -> None:
        ctx, plan = self.ctx, self.plan
        w = PageWriter(ctx, "/")
        tagline = f"{ctx.label} in {ctx.city}"
        h1 = w.h1(plan.home_h1) if plan.home_h1 is not None else w.varied_h1(ctx.name)
        main = [h1, f"<p>{esc(ctx.paragraph(w.rng))}</p>"]
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
        title = plan.home_title or f"{ctx.name} {DASH} {tagline}"
        desc = f"{ctx.name}: {ctx.label.lower()} in {ctx.city}. {ctx.sentence(w.rng)}"
        self._add(w.finish(title, self._desc(w, desc), "\n".join(main)))

    def _about(self) -> None:
        ctx, plan = self.ctx, self.plan
        w = PageWriter(ctx, "/about")
        main = [w.varied_h1(f"About {ctx.name}")]
        for _ in range(w.rng.randint(2, 4)):
            main.append(f"<p>{esc(ctx.paragraph(w.rng))}</p>")
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
        w = PageWriter(ctx, "/contact")
        main = [w.varied_h1("Contact us"), f"<address>{esc(ctx.address)}</address>"]
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
        w = PageWriter(ctx, "/services")
        items = "".join(
            f"<li>{w.link(f'/services/{s}', t)} {DASH} {esc(ctx.sentence(w.rng))}</li>"
            for s, t in plan.services
        )
        main = f"{w.varied_h1('Our services')}\n<ul>{items}</ul>"
        desc = f"Everything {ctx.name} can do for you."
        self._add(w.finish(f"Services | {ctx.name}", self._desc(w, desc), main))
        for i, (slug, title) in enumerate(plan.services):
            w = PageWriter(ctx, f"/services/{slug}")
            main_parts = [w.varied_h1(title)]
            for _ in range(w.rng.randint(1, 3)):
                main_parts.append(f"<p>{esc(ctx.paragraph(w.rng))}</p>")
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
            w = PageWriter(ctx, path)
            items = "".join(
                f"<li>{w.link(f'/blog/{s}', t)} <small>{esc(d)}</small></li>" for s, t, d in chunk
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
            w = PageWriter(ctx, f"/blog/{slug}")
            main = [w.varied_h1(title), f"<p><time>{esc(date)}</time></p>"]
            for _ in range(w.rng.randint(2, 4)):
                main.append(f"<p>{esc(ctx.paragraph(w.rng))}</p>")
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
        w = PageWriter(ctx, "/team")
        main = [w.varied_h1("Our team")]
        for person, role, email, direct in self.plan.team:
            line = f"<h2>{esc(person)}</h2>\n<p>{esc(role)}. {w.mailto(email, f'Email {person}')}"
            if direct is not None:
                line += f" · Direct line {w.tel(direct)}"
            main.append(line + "</p>")
        desc = f"The people of {ctx.name}."
        self._add(w.finish(f"Team | {ctx.name}", self._desc(w, desc), "\n".join(main)))

    def _generic(self, path: str, title: str, *, landing: bool = False) -> None:
        ctx = self.ctx
        w = PageWriter(ctx, path)
        main = [w.varied_h1(title)]
        for _ in range(w.rng.randint(1, 3)):
            main.append(f"<p>{esc(ctx.paragraph(w.rng))}</p>")
        if landing and ctx.emails and ctx.phones:
            main.append(
                f"<p>Claim it: {w.mailto(ctx.emails[-1], 'email us', subject=title)} or call "
                f"{w.tel(ctx.phones[-1])}.</p>"
            )
        desc = f"{title} {DASH} {ctx.name}."
        self._add(w.finish(f"{title} | {ctx.name}", self._desc(w, desc), "\n".join(main)))

    def _price_list(self) -> None:
        """The page the moved price list ends at: a bare table, reached by redirects only."""
        ctx, plan = self.ctx, self.plan
        w = PageWriter(ctx, MOVED_TARGET)
        rows = "".join(
            f"<tr><td>{esc(title)}</td><td>from {w.rng.randint(40, 400)}</td></tr>"
            for _slug, title in plan.services
        )
        main = f'<p class="lead">Prices 2026</p>\n<table>{rows}</table>'
        self._add(w.finish(f"Services | {ctx.name}", None, main))

    def _admin(self) -> None:
        ctx = self.ctx
        w = PageWriter(ctx, "/admin/login")
        main = (
            f'{w.h1("Staff login")}\n<form method="post"><input name="user">'
            '<input name="password" type="password"><button>Log in</button></form>'
        )
        self._add(w.finish(f"Staff login | {ctx.name}", None, main))


# Ways a contact page disguises an address, each given to one business site (see
# `web._normal_sites`); "asset_names" writes image names that only look like addresses.
CONTACT_TRICKS = ("cloudflare_span", "cloudflare_link", "spelled_brackets", "spelled_parens",
                  "asset_names")  # fmt: skip


def _contact_trick(w: PageWriter) -> list[str]:
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


def make_plan(
    rng: random.Random, ctx: SiteContext, phones: PhonePool, *, small: bool = False
) -> SitePlan:
    plan = SitePlan()
    services = list(ctx.services)
    rng.shuffle(services)
    n_services = rng.randint(1, 2) if small else rng.randint(1, len(services))
    plan.services = [(slugify(t), t) for t in services[:n_services]]
    if small:
        return plan
    plan.extras = rng.sample(EXTRA_PAGES, rng.randint(0, 3))
    if rng.random() < 0.6:
        people = []
        for _ in range(rng.randint(2, 4)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = first.lower() if rng.random() < 0.5 else f"{first}.{last}".lower()
            domain = ctx.host[4:] if ctx.host.startswith("www.") else ctx.host
            direct = phones.take(ctx.country) if rng.random() < 0.3 else None
            people.append((f"{first} {last}", rng.choice(ROLES), f"{local}@{domain}", direct))
        # One email per person; drop repeated names so the truth stays one-to-one.
        by_email = {person[2]: person for person in people}
        plan.team = list(by_email.values())
    if rng.random() < 0.3:
        plan.broken = rng.choice(("/old-prices", "/news/2019-summer-update", "/downloads/menu"))
    fixed = 3 + (1 + len(plan.services)) + bool(plan.team) + len(plan.extras) + bool(plan.broken)
    room = 30 - fixed - 3  # keep room for admin and landing pages
    n_posts = max(0, min(rng.randint(0, 14), room - (room // _POSTS_PER_INDEX) - 1))
    titles = list(POST_TITLES)
    rng.shuffle(titles)
    posts: list[tuple[str, str, str]] = []
    for template in titles[:n_posts]:
        title = template.format(
            service=rng.choice(ctx.services).lower(),
            name=ctx.name,
            city=ctx.city,
            label=ctx.label.lower(),
        )
        date = f"{rng.randint(1, 28)} {rng.choice(MONTHS)} 2025"
        posts.append((slugify(title), title[0].upper() + title[1:], date))
    plan.posts = posts
    return plan


def moved_redirects() -> dict[str, tuple[int, str]]:
    """The hops of MOVED_CHAIN, each to the next path, the last to MOVED_TARGET."""
    targets = [path for path, _status in MOVED_CHAIN[1:]] + [MOVED_TARGET]
    return {
        path: (status, target) for (path, status), target in zip(MOVED_CHAIN, targets, strict=True)
    }
