"""`report`: every finding kind, against demo-web batches whose truth is known, streamed."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.demo import BatchRun, demo_settings, run_batch
from tests.helpers.store import store_batch
from tui_scraper.cli import main
from tui_scraper.demo import DemoWeb
from tui_scraper.demo.sites import MOVED_TARGET, DemoPage, DemoSite
from tui_scraper.findings import (
    FINDING_FIELDS,
    FindingKind,
    batch_findings,
)

Key = tuple[str, str, str]  # domain, kind, url


def pick_sites(web: DemoWeb) -> list[DemoSite]:
    """Sites that between them show every finding kind."""
    normal = [s for s in web.sites.values() if s.kind == "normal"]
    chosen = [
        next(s for s in normal if s.redirects),  # a redirect chain, a page without h1
        next(s for s in normal if not any(p.emails for p in s.pages.values())),  # no contact
        next(s for s in normal if s.broken_paths),  # a broken link and its referrer
        next(s for s in normal if "/admin/" in s.disallowed_prefixes),  # robots.txt
        next(s for s in normal if "/blog?page=2" in s.pages),  # duplicate descriptions
    ]
    kinds = ("broken_html", "start_404", "robots_excluded", "non_html", "filtered_https")
    chosen += [web.by_kind(k) for k in kinds]  # the last: http only, its https never answers
    return list({site.host: site for site in chosen}.values())


def landing(site: DemoSite, path: str) -> tuple[str, DemoPage | None, int]:
    """Where a path ends after the site's redirects: (path, page, hops)."""
    hops = 0
    while path in site.redirects:
        path = site.redirects[path][1]
        hops += 1
    return path, site.page(path), hops


def expected_findings(site: DemoSite) -> dict[Key, str | None]:
    """The findings a full crawl of `site` must report, from the truth alone (-> referrer)."""
    want: dict[Key, str | None] = {}
    host = site.host
    paths = site.reachable_paths()
    if site.kind == "start_404":
        return {(host, "broken_link", site.url("/")): None}
    titles: dict[str, set[str]] = {}
    descriptions: dict[str, set[str]] = {}
    emails_or_phones = False
    blocked: set[str] = set()
    for path in paths:
        final, page, hops = landing(site, path)
        assert page is not None, path
        url, final_url = site.url(path), site.url(final)
        if hops >= 2:
            want[(host, "redirect_chain", url)] = None
        if page.status >= 400:
            want[(host, "broken_link", url)] = None
        if page.status != 200 or not page.is_html:
            continue
        emails_or_phones |= bool(page.emails or page.phones)
        for kind, missing in (
            ("missing_title", page.title is None),
            ("missing_description", page.meta_description is None),
            ("missing_h1", not page.h1),
        ):
            if missing:
                want[(host, kind, final_url)] = None
        if page.title:
            titles.setdefault(page.title, set()).add(final_url)
        if page.meta_description:
            descriptions.setdefault(page.meta_description, set()).add(final_url)
        for link in page.internal_links:
            target = site.path_of(link)
            if target is not None and site.is_disallowed(target):
                blocked.add(target)
    for kind, groups in (("duplicate_title", titles), ("duplicate_description", descriptions)):
        for urls in groups.values():
            if len(urls) > 1:
                want.update({(host, kind, url): None for url in urls})
    home = site.url("/")
    if not emails_or_phones:
        want[(host, "no_contact", home)] = None
    if blocked:
        want[(host, "robots_blocked", home)] = None
    if site.scheme == "http":  # its https never answers: served over http only
        want[(host, "insecure", home)] = None
    return want


def linked_from(site: DemoSite, url: str) -> set[str]:
    """The pages of the site that link to `url`."""
    return {
        site.url(path)
        for path in site.reachable_paths()
        if (page := site.page(path)) is not None and url in page.internal_links
    }


@pytest.fixture(scope="module")
def web_and_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DemoWeb, BatchRun, str]]:
    """One demo batch over the chosen sites, stored: (web, run, store path)."""
    import asyncio

    from tui_scraper.demo import DemoServer, build_demo_web

    web = build_demo_web(seed=7)
    db = str(tmp_path_factory.mktemp("report") / "store.json")

    async def crawl() -> BatchRun:
        async with DemoServer(web) as server:
            settings = demo_settings(server, max_pages=60, concurrency=5)
            return await run_batch(settings, [s.host for s in pick_sites(web)])

    run = asyncio.run(crawl())
    store_batch(db, run)
    yield web, run, db


def test_every_finding_of_the_truth_and_no_other(
    web_and_run: tuple[DemoWeb, BatchRun, str],
) -> None:
    web, run, _db = web_and_run
    sites = pick_sites(web)
    want: dict[Key, str | None] = {}
    for site in sites:
        want.update(expected_findings(site))
    pages = [page for domain_pages in run.pages.values() for page in domain_pages]
    found = list(batch_findings(run.records.values(), pages))
    got = {(f.domain, f.kind.value, f.url): f for f in found}
    assert len(got) == len(found)  # one row a finding
    assert set(got) == set(want)
    kinds = {kind for _domain, kind, _url in want}
    assert kinds == {kind.value for kind in FindingKind}  # the batch shows every kind

    for (domain, kind, url), finding in got.items():
        site = web.site(domain)
        if kind == "broken_link" and site.kind != "start_404":
            assert finding.referrer in linked_from(site, url), url  # traced to its link
            assert finding.detail == "HTTP 404"
        elif kind == "broken_link":
            assert finding.referrer is None  # the start page: nothing links to it
        if kind == "redirect_chain":
            assert finding.detail.startswith("2 hops: 301 ")
            assert finding.detail.endswith(f"-> {site.url(MOVED_TARGET)}")
        if kind.startswith("duplicate_"):
            others = {u for (d, k, u) in got if d == domain and k == kind and u != url}
            field = "title" if kind == "duplicate_title" else "meta_description"
            text = getattr(site.page(site.path_of(url) or ""), field)
            same = {u for u in others if getattr(site.page(site.path_of(u) or ""), field) == text}
            assert same and all(other in finding.detail for other in same)
        if kind == "robots_blocked":
            assert finding.detail.startswith(f"{run.record(domain)['robots']['disallowed']} URLs")


def test_findings_come_grouped_by_domain(web_and_run: tuple[DemoWeb, BatchRun, str]) -> None:
    _web, run, _db = web_and_run
    pages = [page for domain_pages in run.pages.values() for page in domain_pages]
    pages.sort(key=lambda page: page["fetched_at"])  # interleaved, as a store holds them
    domains = [f.domain for f in batch_findings(run.records.values(), pages)]
    blocks = [d for i, d in enumerate(domains) if i == 0 or domains[i - 1] != d]
    assert len(blocks) == len(set(blocks))


def test_report_formats_from_the_store(
    web_and_run: tuple[DemoWeb, BatchRun, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    web, run, db = web_and_run
    assert run.runner is not None
    batch_id = run.runner.batch_id
    pages = [page for domain_pages in run.pages.values() for page in domain_pages]
    want = [f.as_row() for f in batch_findings(run.records.values(), pages)]

    assert main(["report", batch_id[:8], "--db", db, "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(rows, key=str) == sorted(want, key=str)

    out = tmp_path / "findings.csv"
    assert main(["report", batch_id, "--db", db, "--format", "csv", "-o", str(out)]) == 0
    assert f"wrote {len(want)} findings" in capsys.readouterr().err
    with out.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == FINDING_FIELDS
    assert len(table) == len(want)

    assert main(["report", batch_id, "--db", db]) == 0
    text = capsys.readouterr().out
    for site in pick_sites(web):
        assert f"{site.host}  (" in text
    assert "broken_link" in text and "linked from https://" in text


def test_report_refuses_to_write_into_the_store(
    web_and_run: tuple[DemoWeb, BatchRun, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _web, run, db = web_and_run
    assert run.runner is not None
    before = Path(db).read_bytes()
    for target in (db, f"{db}.batches/x.json"):
        assert main(["report", run.runner.batch_id, "--db", db, "-o", target]) == 2
        assert "part of the store" in capsys.readouterr().err
    assert Path(db).read_bytes() == before
    assert main(["report", "nope", "--db", db]) == 2


def synthetic_pages(domains: int, per_domain: int) -> Iterator[dict[str, Any]]:
    for d in range(domains):
        for n in range(per_domain):
            yield {
                "job_id": f"job-{d}",
                "domain": f"site{d}.test",
                "url": f"http://site{d}.test/{n}",
                "final_url": f"http://site{d}.test/{n}",
                "status": 200,
                "content_type": "text/html",
                "title": f"Page {n}",
                "meta_description": None,  # every page a finding: 100,000 of them
                "h1": [f"Page {n}"],
                "redirects": [],
            }


def test_a_100000_page_batch_is_reported_in_small_memory() -> None:
    domains, per_domain = 1000, 100
    records = [
        {"job_id": f"job-{d}", "domain": f"site{d}.test", "status": "done",
         "pages_ok": per_domain, "pages_failed": 0, "emails": ["a@b.test"], "phones": [],
         "robots": {"found": False, "disallowed": 0}, "start_url": f"https://site{d}.test/",
         "final_url": f"https://site{d}.test/"}
        for d in range(domains)
    ]  # fmt: skip
    tracemalloc.start()
    try:
        count = sum(1 for _ in batch_findings(records, synthetic_pages(domains, per_domain)))  # type: ignore[arg-type]
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == domains * per_domain
    # Holding the pages or the findings would take tens of MB; one domain's state is small.
    assert peak < 3_000_000, peak
