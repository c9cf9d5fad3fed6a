"""The perf web: many plain sites of pages rendered on demand, for benchmarks."""

from __future__ import annotations

import bisect
import functools
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .content import CATEGORIES, CITIES, DASH, SENTENCES, make_phone
from .kinds import KIND_PERF
from .truth import HTML_UTF8, DemoPage, DemoSite, DemoWeb
from .urls import esc

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
        _, label, services = rng.choice(CATEGORIES)  # reuse the business vocabulary
        sentences = [
            rng.choice(SENTENCES).format(
                name="The company",
                city=rng.choice(CITIES["uk"]),
                year=rng.randint(1950, 2020),
                service=rng.choice(services).lower(),
                label=label.lower(),
            )
            for _ in range(rng.randint(3, 7))
        ]
        paragraphs.append(f"<p>{esc(' '.join(sentences))}</p>\n".encode())
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
        phone = make_phone(country, i % (100 if i % 2 else 1000), False)
        title = f"Page {j} of site {i} | Perf {i}" if j else f"Perf site {i} {DASH} home"
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
