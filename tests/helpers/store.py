"""Saving a finished test batch into a store, as the headless command's writer does."""

from __future__ import annotations

from tests.conftest import BatchRun
from tui_scraper.store import Store, StoreWriter


def store_batch(db_path: str, run: BatchRun) -> str:
    """Write every event of `run` to the store at `db_path`; returns the batch id."""
    assert run.runner is not None
    with Store.open(db_path, write=True) as store:
        writer = StoreWriter(store)
        for event in run.events:
            writer(event)
        writer.write_pending()
    return run.runner.batch_id
