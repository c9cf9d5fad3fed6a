"""`compare OLD_ID NEW_ID`: two demo batches of different seeds list exactly the generated
differences, computed from the two webs' truths; and a large comparison streams."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.demo import BatchRun, demo_settings, run_batch
from tests.helpers.store import store_batch
from tui_scraper.cli import main
from tui_scraper.compare import ChangeKind, compare_batches
from tui_scraper.demo import DemoServer, DemoWeb, build_demo_web
from tui_scraper.demo.sites import DemoSite

Row = tuple[str, str, str, str | None, str | None]


def normal_hosts(web: DemoWeb, other: DemoWeb) -> list[str]:
    """Business sites of `web` that `other` has not (without a www redirect)."""
    return [h for h, s in web.sites.items() if s.kind == "normal" and h not in other.sites]


def plan(old: DemoWeb, new: DemoWeb) -> tuple[list[str], list[str], str, str, str]:
    """(old batch's domains, new batch's domains, removed, added, failing) hosts."""
    removed, failing = normal_hosts(old, new)[:2]
    added = normal_hosts(new, old)[0]
    common = ["acme-plumbing.test", "northwind-bakery.test", "gzip-encoded.test"]
    return [*common, removed, failing], [*common, failing, added], removed, added, failing


def final(site: DemoSite, path: str) -> str:
    while path in site.redirects:
        path = site.redirects[path][1]
    return path


def truth_of(site: DemoSite | None, host: str) -> dict[str, Any]:
    """What a full crawl of `host` records, from the truth (a missing site answers 404)."""
    if site is None:
        return {"status": "failed", "pages": {f"https://{host}/": "404"}, "emails": set(),
                "phones": set(), "socials": set(), "title": None, "description": None}  # fmt: skip
    pages: dict[str, str] = {}
    contacts: dict[str, set[str]] = {"emails": set(), "phones": set(), "socials": set()}
    for path in site.reachable_paths():
        page = site.page(final(site, path))
        assert page is not None
        # The start page is stored under the URL asked for, before a redirect to www.
        url = f"https://{host}/" if path == site.start_path else site.url(path)
        pages[url] = str(page.status)
        if page.status == 200 and page.is_html:
            contacts["emails"] |= set(page.emails)
            contacts["phones"] |= set(page.phones)
            contacts["socials"] |= set(page.socials)
    start = site.page(site.start_path)
    assert start is not None
    return {"status": "done", "pages": pages, **contacts, "title": start.title,
            "description": start.meta_description}  # fmt: skip


def expected_changes(old: DemoWeb, new: DemoWeb) -> set[Row]:
    old_domains, new_domains, removed, added, failing = plan(old, new)
    want: set[Row] = {
        (removed, "domain_removed", f"https://{removed}/", "done", None),
        (added, "domain_added", f"https://{added}/", None, "done"),
        (failing, "status_changed", f"https://{failing}/", "done", "failed"),
    }
    for host in (h for h in new_domains if h in old_domains):
        before, after = truth_of(old.find(host), host), truth_of(new.find(host), host)
        for url in after["pages"].keys() - before["pages"].keys():
            want.add((host, "page_added", url, None, after["pages"][url]))
        for url in before["pages"].keys() - after["pages"].keys():
            want.add((host, "page_removed", url, before["pages"][url], None))
        for field, noun in (("emails", "email"), ("phones", "phone"), ("socials", "social")):
            want |= {
                (host, f"{noun}_added", item, None, None) for item in after[field] - before[field]
            }
            want |= {
                (host, f"{noun}_removed", item, None, None) for item in before[field] - after[field]
            }
        for field, change in (("title", "title_changed"), ("description", "description_changed")):
            if before[field] != after[field]:
                want.add((host, change, f"https://{host}/", before[field], after[field]))
    return want


@pytest.fixture(scope="module")
def two_batches(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DemoWeb, DemoWeb, str, str, str]]:
    """The same kind of list crawled on the demo web of seed 7, then of seed 8, stored."""
    old_web, new_web = build_demo_web(seed=7), build_demo_web(seed=8)
    old_domains, new_domains, *_ = plan(old_web, new_web)
    db = str(tmp_path_factory.mktemp("compare") / "store.json")

    async def crawl(web: DemoWeb, domains: list[str]) -> BatchRun:
        async with DemoServer(web) as server:
            return await run_batch(demo_settings(server, max_pages=60, concurrency=5), domains)

    old_id = store_batch(db, asyncio.run(crawl(old_web, old_domains)))
    new_id = store_batch(db, asyncio.run(crawl(new_web, new_domains)))
    yield old_web, new_web, db, old_id, new_id


def test_compare_lists_exactly_the_generated_differences(
    two_batches: tuple[DemoWeb, DemoWeb, str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old_web, new_web, db, old_id, new_id = two_batches
    assert main(["compare", old_id, new_id, "--db", db, "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    got = [(r["domain"], r["change"], r["item"], r["old"], r["new"]) for r in rows]
    assert len(got) == len(set(got))  # one row a change
    want = expected_changes(old_web, new_web)
    assert set(got) == want
    kinds = {change for _d, change, *_ in want}
    assert kinds == {kind.value for kind in ChangeKind}  # every kind of change is exercised


def test_compare_of_a_batch_with_itself_is_empty(
    two_batches: tuple[DemoWeb, DemoWeb, str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _old, _new, db, old_id, _new_id = two_batches
    assert main(["compare", old_id, old_id, "--db", db]) == 0
    assert capsys.readouterr().out == "no changes\n"


def test_compare_text_and_bad_ids(
    two_batches: tuple[DemoWeb, DemoWeb, str, str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    old_web, new_web, db, old_id, new_id = two_batches
    assert main(["compare", old_id[:8], new_id[:8], "--db", db]) == 0
    text = capsys.readouterr().out
    _old_domains, _new_domains, removed, added, failing = plan(old_web, new_web)
    assert f"{added}  domain_added" in text and f"{removed}  domain_removed" in text
    assert f'{failing}  status_changed  https://{failing}/  "done" -> "failed"' in text
    out = tmp_path / "changes.jsonl"
    assert main(["compare", old_id, new_id, "--db", db, "--format", "jsonl", "-o", str(out)]) == 0
    assert len(out.read_text().splitlines()) == len(expected_changes(old_web, new_web))
    capsys.readouterr()
    assert main(["compare", old_id, "nope", "--db", db]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def synthetic(domains: int, per_domain: int, shift: int) -> list[dict[str, Any]]:
    return [{"domain": f"site{d}.test", "job_id": f"j{d}", "status": "done", "emails": [],
             "phones": [], "socials": [], "start_url": f"https://site{d}.test/",
             "final_url": None} for d in range(domains)]  # fmt: skip


def synthetic_pages(domains: int, per_domain: int, shift: int) -> Iterator[dict[str, Any]]:
    for d in range(domains):
        for n in range(shift, per_domain + shift):
            yield {"domain": f"site{d}.test", "url": f"http://site{d}.test/page/{n}",
                   "depth": 0 if n == shift else 1, "status": 200, "title": f"T{n}" * 20,
                   "meta_description": "d" * 200, "h1": ["h" * 50], "emails": ["x@y.test"] * 5,
                   "body_like_padding": "p" * 500}  # fmt: skip


def test_a_100000_page_comparison_streams() -> None:
    domains, per_domain = 500, 200  # 100,000 pages a side, 1,000 differ
    tracemalloc.start()
    try:
        changes = compare_batches(
            synthetic(domains, per_domain, 0),  # type: ignore[arg-type]
            lambda: synthetic_pages(domains, per_domain, 0),  # type: ignore[arg-type,return-value]
            synthetic(domains, per_domain, 0),  # type: ignore[arg-type]
            lambda: synthetic_pages(domains, per_domain, 1),  # type: ignore[arg-type,return-value]
        )
        counts: dict[str, int] = {}
        for change in changes:
            counts[change.change.value] = counts.get(change.change.value, 0) + 1
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts == {"page_added": domains, "page_removed": domains, "title_changed": domains}
    # The pages themselves (about 1 kB each) would take over 100 MB a side.
    assert peak < 40_000_000, peak
