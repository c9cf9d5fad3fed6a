"""The store on tmp_path: one writer, pages on disk in time, atomic files, retried flushes."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.helpers.store import page_record
from tui_scraper.engine.events import (
    BatchStarted,
    PageFetched,
)
from tui_scraper.store import Store, StoreError, StoreWriter


def test_second_writer_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "store.json")
    with Store.open(db, write=True), pytest.raises(StoreError, match="another tui-scraper"):
        Store.open(db, write=True)
    Store.open(db, write=True).close()  # free again once the first closed


async def test_pages_reach_disk_within_a_second(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    from tui_scraper.engine.crawl import DomainJob, new_domain_record
    from tui_scraper.targets import parse_targets

    target = parse_targets("example.test").targets[0]
    job = DomainJob("batch-1", "job-1", target)
    with Store.open(str(db), write=True) as store:
        writer = StoreWriter(store)
        task = asyncio.create_task(writer.run())
        writer(BatchStarted(job.batch_id, {}, [new_domain_record(job)]))
        async with asyncio.timeout(5):
            await writer.wrote.wait()  # the batch is on disk from its first moment
        writer.wrote.clear()
        page = page_record("batch-1", "job-1", 7)
        writer(PageFetched(job.job_id, "example.test", page, 1, 0))  # type: ignore[arg-type]
        sent = time.monotonic()
        async with asyncio.timeout(5):
            await writer.wrote.wait()
        on_disk_after = time.monotonic() - sent
        with Store.open(str(db)) as reader:  # a separate reader sees it in the files
            assert [p["url"] for p in reader.batch_pages("batch-1")] == [page["url"]]
        writer.close()
        await task
    assert on_disk_after < 2  # the flush interval is 0.5 s


def test_store_files_are_replaced_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails half-way leaves the old file whole and no temporary file behind."""
    db = tmp_path / "store.json"
    Store.open(str(db), write=True).close()
    before = db.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"), Store.open(str(db), write=True) as store:
        store.create_batch({"batch_id": "x"})
        store.flush()
    monkeypatch.undo()
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_failed_flush_is_retried_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Disk full or out of file descriptors for a moment: nothing lost, the next flush writes."""
    import tui_scraper.store.files as store_module
    from tui_scraper.engine.crawl import DomainJob, new_domain_record
    from tui_scraper.targets import parse_targets

    db = tmp_path / "store.json"
    target = parse_targets("example.test").targets[0]
    job = DomainJob("batch-1", "job-1", target)
    real_write = store_module.atomic_write_json
    failures = iter([OSError(24, "Too many open files")])

    def flaky_write(path: Path, data: object) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        real_write(path, data)

    with Store.open(str(db), write=True) as store:
        writer = StoreWriter(store)
        monkeypatch.setattr(store_module, "atomic_write_json", flaky_write)
        writer(BatchStarted(job.batch_id, {}, [new_domain_record(job)]))
        writer(PageFetched(job.job_id, "example.test", page_record("batch-1", "job-1", 1), 1, 0))  # type: ignore[arg-type]
        writer.write_pending()
        assert writer.last_error is not None and "Too many open files" in writer.last_error
        writer.write_pending()  # nothing new queued: the pending data is written now
        assert writer.last_error is None
    with Store.open(str(db)) as reader:
        assert [p["url"] for p in reader.batch_pages("batch-1")] == ["http://example.test/1"]
        assert reader.batch("batch-1")["counts"]["pages"] == 1  # type: ignore[index]
