"""The store interface in memory: the writer saves a batch to it as it does to disk.

No server, no files (but one parity test on tmp_path): these run in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tui_scraper.engine.crawl import DomainJob, new_domain_record
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    DomainStarted,
    Event,
    PageFetched,
)
from tui_scraper.export import PAGE_FIELDS
from tui_scraper.store import BatchStore, MemoryStore, Store, StoreError, StoreWriter
from tui_scraper.targets import parse_targets

BATCH_ID = "b1a7c0de-0000-4000-8000-000000000001"


def jobs() -> list[DomainJob]:
    targets = parse_targets("alpha.test\nbeta.test").targets
    return [DomainJob(BATCH_ID, f"job-{n}", target) for n, target in enumerate(targets)]


def page(job: DomainJob, n: int) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(PAGE_FIELDS)
    record.update(
        batch_id=job.batch_id,
        job_id=job.job_id,
        domain=job.target.domain,
        url=f"{job.target.start_url}{n}",
        status=200,
        emails=[f"info@{job.target.domain}"],
    )
    return record


def batch_events(first: DomainJob, second: DomainJob) -> list[Event]:
    """A batch of two domains: the first done with two pages, the second cut off after one."""
    records = [new_domain_record(first), new_domain_record(second)]
    done = {**records[0], "status": "done", "pages_ok": 2, "stop_reason": "frontier_exhausted"}
    return [
        BatchStarted(
            BATCH_ID, {"max_pages": 5, "proxy": "http://user:secret@proxy.test:3128"}, records
        ),  # type: ignore[arg-type]
        DomainStarted(first.job_id, first.target.domain, first.target.start_url, "t1"),
        PageFetched(first.job_id, first.target.domain, page(first, 1), 1, 0),  # type: ignore[arg-type]
        PageFetched(first.job_id, first.target.domain, page(first, 2), 2, 0),  # type: ignore[arg-type]
        DomainFinished(first.job_id, first.target.domain, done),  # type: ignore[arg-type]
        DomainStarted(second.job_id, second.target.domain, second.target.start_url, "t2"),
        PageFetched(second.job_id, second.target.domain, page(second, 1), 1, 0),  # type: ignore[arg-type]
        BatchFinished(BATCH_ID, BatchStatus.INTERRUPTED, {}, "t3"),
    ]


def save(store: BatchStore, events: list[Event]) -> StoreWriter:
    writer = StoreWriter(store)
    for event in events:
        writer(event)
    writer.write_pending()
    assert writer.last_error is None
    return writer


def test_the_writer_saves_a_batch_to_memory() -> None:
    first, second = jobs()
    store = MemoryStore()
    save(store, batch_events(first, second))
    [batch] = store.all_batches()
    assert batch["batch_id"] == BATCH_ID
    assert batch["status"] == "interrupted" and batch["finished_at"] == "t3"
    assert batch["domains"] == ["alpha.test", "beta.test"]
    assert batch["settings"]["proxy"] == "http://***@proxy.test:3128"
    # The cut-off domain counts the page stored for it.
    assert batch["counts"] == {"domains": 2, "done": 1, "failed": 0, "cancelled": 0, "pages": 3}
    domains = store.batch_domains(BATCH_ID)
    assert [(d["job_id"], d["status"]) for d in domains] == [
        ("job-0", "done"),
        ("job-1", "running"),
    ]
    assert domains[1]["started_at"] == "t2"
    urls = [p["url"] for p in store.batch_pages(BATCH_ID)]
    assert urls == ["https://alpha.test/1", "https://alpha.test/2", "https://beta.test/1"]
    assert store.recount(BATCH_ID) == batch["counts"]
    assert [job.job_id for job in store.unfinished_jobs(BATCH_ID)] == ["job-1"]
    resumed = store.unfinished_jobs(BATCH_ID)[0].target
    assert (resumed.domain, resumed.start_url) == (second.target.domain, second.target.start_url)


def test_a_domain_started_again_replaces_its_pages() -> None:
    first, second = jobs()
    store = MemoryStore()
    writer = save(store, batch_events(first, second))
    writer(DomainStarted(second.job_id, second.target.domain, second.target.start_url, "t4"))
    writer(PageFetched(second.job_id, "beta.test", page(second, 7), 1, 0))  # type: ignore[arg-type]
    writer.write_pending()
    urls = [p["url"] for p in store.batch_pages(BATCH_ID)]
    assert urls == ["https://alpha.test/1", "https://alpha.test/2", "https://beta.test/7"]


def test_a_resumed_batch_drops_the_pages_of_the_domains_it_runs_again() -> None:
    first, second = jobs()
    store = MemoryStore()
    save(store, batch_events(first, second))
    rerun = new_domain_record(second)
    save(store, [BatchStarted(BATCH_ID, {}, [rerun], resumed=True)])  # type: ignore[list-item]
    [batch] = store.all_batches()
    assert batch["status"] == "running" and batch["finished_at"] is None
    assert [p["job_id"] for p in store.batch_pages(BATCH_ID)] == ["job-0", "job-0"]
    assert [d["status"] for d in store.batch_domains(BATCH_ID)] == ["done", "queued"]


async def test_the_running_writer_writes_everything_on_leaving() -> None:
    first, second = jobs()
    store = MemoryStore()
    events = batch_events(first, second)
    async with StoreWriter(store).running() as writer:
        writer(events[0])
        await writer.wrote.wait()  # the start of a batch is written at once
        assert store.batch(BATCH_ID)["status"] == "running"  # type: ignore[index]
        for event in events[1:]:
            writer(event)
    assert store.find_batch(BATCH_ID[:8])["status"] == "interrupted"
    assert len(list(store.batch_pages(BATCH_ID))) == 3
    assert store.flushes >= 2


def test_documents_read_back_are_copies() -> None:
    first, second = jobs()
    store = MemoryStore()
    save(store, batch_events(first, second))
    store.batch_domains(BATCH_ID)[0]["status"] = "failed"
    next(store.batch_pages(BATCH_ID))["url"] = "changed"
    store.all_batches()[0]["counts"]["pages"] = 99
    assert store.batch_domains(BATCH_ID)[0]["status"] == "done"
    assert next(store.batch_pages(BATCH_ID))["url"] == "https://alpha.test/1"
    assert store.all_batches()[0]["counts"]["pages"] == 3


def test_a_read_only_store_is_refused_and_unknown_batches_are_named() -> None:
    with pytest.raises(StoreError, match="read-only"):
        StoreWriter(MemoryStore(write=False))
    store = MemoryStore()
    for batch_id in ("b1a7-aaaa", "b1a7-bbbb"):
        store.create_batch({"batch_id": batch_id, "created_at": batch_id})  # type: ignore[typeddict-item]
    with pytest.raises(StoreError, match="no batch 'c0ffee' in the store :memory:"):
        store.find_batch("c0ffee")
    with pytest.raises(StoreError, match="ambiguous"):
        store.find_batch("b1a7")
    assert store.find_batch("B1A7-B")["batch_id"] == "b1a7-bbbb"


def test_memory_and_disk_hold_the_same_documents(tmp_path: Path) -> None:
    """The memory store stands in for the TinyDB store: same events, same documents."""
    first, second = jobs()
    memory = MemoryStore()
    save(memory, batch_events(first, second))
    with Store.open(str(tmp_path / "store.json"), write=True) as disk:
        save(disk, batch_events(first, second))
    with Store.open(str(tmp_path / "store.json")) as disk:
        stores: list[BatchStore] = [memory, disk]
        batches = [store.all_batches() for store in stores]
        for [batch] in batches:
            batch.pop("created_at")  # type: ignore[misc]
        assert batches[0] == batches[1]
        assert memory.batch_domains(BATCH_ID) == disk.batch_domains(BATCH_ID)
        assert list(memory.batch_pages(BATCH_ID)) == list(disk.batch_pages(BATCH_ID))
