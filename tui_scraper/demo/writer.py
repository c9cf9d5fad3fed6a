"""The page writer: one page's HTML, recording the truth of everything it emits."""

from __future__ import annotations

import posixpath
import random
import zlib
from urllib.parse import quote

from yarl import URL

from .content import BLOCK_TAGS, BR, FRAGMENTS, LINK_FORMS, Phone, SiteContext
from .truth import DemoPage
from .urls import canonical_url, collapse, compress, esc, esc_attr, page_rng


class PageWriter:
    """Builds one page's HTML while recording the truth of everything it emits."""

    def __init__(self, ctx: SiteContext, path: str, *, chrome: bool = True) -> None:
        self.ctx = ctx
        self.path = path
        self.url = ctx.url(path)
        self.rng = page_rng(ctx.seed, ctx.host, path)
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
            form = self.rng.choice(LINK_FORMS)
        href = self._href(target, form)
        want = self.ctx.url(target)
        if canonical_url(href, self.url) != want:
            href = target  # the chosen form does not resolve to the target from here
        if canonical_url(href, self.url) != want:
            raise AssertionError(f"{href!r} from {self.url} is not {want}")
        self.internal[want] = None
        if quote_attr:
            return f'<a href="{esc_attr(href)}">{esc(text)}</a>'
        return f"<a href={href}>{esc(text)}</a>"

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
            return f"{target}#{self.rng.choice(FRAGMENTS)}"
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
            return f'<a href="{esc_attr(url)}" rel="noopener">{esc(text)}</a>'
        return f"<a href={url}>{esc(text)}</a>"

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
        return esc(address)

    def mailto(self, address: str, text: str | None = None, subject: str | None = None) -> str:
        """A `mailto:` link (the link text may repeat the address)."""
        self.emails[address] = None
        href = f"mailto:{address}"
        if subject:
            href += f"?subject={quote(subject)}"
        label = self.email(address) if text is None else esc(text)
        return f'<a href="{esc_attr(href)}">{label}</a>'

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
        return f'<a href="/cdn-cgi/l/email-protection#{cloudflare_hex(address)}">{esc(text)}</a>'

    def spelled_email(self, address: str, *, brackets: bool) -> str:
        """An address spelled out against harvesters: "a [at] b [dot] c" or "a(at)b.c"."""
        self.emails[address] = None
        local, _, domain = address.partition("@")
        if brackets:
            return esc(f"{local} [at] {domain.replace('.', ' [dot] ')}")
        return esc(f"{local}(at){domain}")

    def phone(self, phone: Phone) -> str:
        """A phone number in the text."""
        self.phones[phone.e164] = None
        return esc(phone.display)

    def tel(self, phone: Phone, text: str | None = None) -> str:
        """A `tel:` link."""
        self.phones[phone.e164] = None
        label = self.phone(phone) if text is None else esc(text)
        return f'<a href="{esc_attr(phone.href)}">{label}</a>'

    # -- headings

    def h1(self, *parts: str | tuple[str, ...], attrs: str = "") -> str:
        """An `<h1>` from text parts, `(tag, text)` elements, `("ruby", base, rt)` and `BR`.

        The truth reads it as a reader does: text runs on across inline elements, a block
        element's edges and `<br>` are word breaks.
        """
        shown: list[str] = []
        out: list[str] = []
        for part in parts:
            if part == BR:
                shown.append(" ")
                out.append("<br>")
            elif isinstance(part, tuple) and part[0] == "ruby":
                _tag, base, annotation = part
                shown.append(base + annotation)
                out.append(f"<ruby>{esc(base)}<rt>{esc(annotation)}</rt></ruby>")
            elif isinstance(part, tuple):
                tag, text = part
                edge = " " if tag in BLOCK_TAGS else ""
                shown.append(edge + text + edge)
                out.append(f"<{tag}>{esc(text)}</{tag}>")
            else:
                shown.append(part)
                out.append(esc(part))
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
            return self.h1(words[0], BR, " ".join(words[1:]))
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
            f"<p>{esc(ctx.address)}</p>",
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
        parts.append(f"<p>© {2026} {esc(ctx.name)}</p>")
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
            main += f"\n<p>{esc(ctx.special)}</p>"
        title_html = esc(title)
        if rng.random() < 0.2:
            title_html = f"\n    {title_html}\n  "  # whitespace inside <title> collapses
        head = [ctx.charset_meta, '<meta name="viewport" content="width=device-width">']
        head.append(f"<title>{title_html}</title>")
        if description is not None:
            if rng.random() < 0.2:
                head.append(
                    f'<meta property="og:description" content="{esc_attr(ctx.name)} on the web">'
                )
            name_attr = rng.choice(
                ('name="description"',) * 6
                + ('name="Description"', 'NAME="Description"', 'name="DESCRIPTION"')
            )
            head.append(f'<meta {name_attr} content="{esc_attr(description)}">')
        canonical = self.url if ctx.canonical_tags else None
        if canonical:
            head.append(f'<link rel="canonical" href="{esc_attr(canonical)}">')
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


def cloudflare_hex(address: str) -> str:
    """`address` as Cloudflare's email protection writes it: a key byte, then XOR-ed bytes."""
    key = zlib.crc32(address.encode()) & 0xFF or 0x5A
    return f"{key:02x}" + "".join(f"{byte ^ key:02x}" for byte in address.encode())
