"""Stores for tests: a finished batch saved as the writer saves it, and checks of a store."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.helpers.demo import BatchRun
from tui_scraper.demo import DemoWeb
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    DomainStarted,
    PageFetched,
)
from tui_scraper.export import PAGE_FIELDS
from tui_scraper.store import Store, StoreWriter

# The statuses a domain ends in.
FINISHED = {"done", "failed", "cancelled"}


def store_batch(db_path: str, run: BatchRun) -> str:
    """Write every event of `run` to the store at `db_path`; returns the batch id."""
    assert run.runner is not None
    with Store.open(db_path, write=True) as store:
        writer = StoreWriter(store)
        for event in run.events:
            writer(event)
        writer.write_pending()
    return run.runner.batch_id


def store_files(db: Path) -> list[Path]:
    folder = db.with_name(db.name + ".batches")
    return [db, *sorted(folder.rglob("*.json"))] if folder.exists() else [db]


def check_store(db: Path) -> dict[str, Any]:
    """Every file parses as JSON; finished domains have all their pages; no page twice."""
    for path in store_files(db):
        json.loads(path.read_text(encoding="utf-8"))  # raises if any file is torn
    with Store.open(str(db)) as store:
        batches = store.all_batches()
        assert len(batches) == 1
        batch_id = batches[0]["batch_id"]
        domains = store.batch_domains(batch_id)
        pages = list(store.batch_pages(batch_id))
    per_job = Counter(page["job_id"] for page in pages)
    keys = Counter((page["job_id"], page["url"]) for page in pages)
    assert not [key for key, n in keys.items() if n > 1], "a page is stored twice"
    for record in domains:
        if record["status"] in FINISHED:
            assert per_job[record["job_id"]] == record["pages_ok"] + record["pages_failed"]
    return {"batch": batches[0], "domains": domains, "pages": pages}


def batch_domains_of(web: DemoWeb) -> list[str]:
    hosts = [site.host for site in web.sites_of_kind("normal")][:14]
    return [*hosts, web.by_kind("flaky_503").host, web.by_kind("big").host]


def page_record(batch_id: str, job_id: str, n: int, **fields: Any) -> dict[str, Any]:
    page: dict[str, Any] = dict.fromkeys(PAGE_FIELDS)
    page.update(
        batch_id=batch_id,
        job_id=job_id,
        domain="example.test",
        url=f"http://example.test/{n}",
        final_url=f"http://example.test/{n}",
        redirects=[{"url": "http://example.test/old", "status": 301}],
        status=200,
        bytes=1000 + n,
        truncated=False,
        elapsed_ms=12,
        depth=1,
        h1=["Hello", "World"],
        word_count=10,
        links_internal=3,
        links_external=1,
        emails=["a@example.test"],
        phones=["+442079460000"],
        socials=[],
        fetched_at="2026-11-29T01:00:00.000Z",
    )
    page.update(fields)
    return page


def write_batch(db: Path, pages: list[dict[str, Any]]) -> str:
    """A finished one-domain batch written straight through the StoreWriter."""
    from tui_scraper.engine.crawl import DomainJob, new_domain_record
    from tui_scraper.targets import parse_targets

    target = parse_targets("example.test").targets[0]
    job = DomainJob("b" * 8 + "-0000-4000-8000-" + "0" * 12, "job-1", target)
    record = new_domain_record(job)
    with Store.open(str(db), write=True) as store:
        writer = StoreWriter(store)
        writer(BatchStarted(job.batch_id, {}, [record]))
        writer(DomainStarted(job.job_id, target.domain, target.start_url, "t"))
        for page in pages:
            writer(PageFetched(job.job_id, target.domain, page, 0, 0))  # type: ignore[arg-type]
        done = {**record, "status": "done", "pages_ok": len(pages)}
        writer(DomainFinished(job.job_id, target.domain, done))  # type: ignore[arg-type]
        writer(BatchFinished(job.batch_id, BatchStatus.COMPLETED, {}, "t"))
        writer.close()
    return job.batch_id
