"""The store: batches with their domain and page documents, behind one small interface.

    interface.py     `BatchStore` (what callers and the writer use) and `StoreError`
    records.py       the documents, typed: `BatchRecord`, `DomainRecord`, `PageRecord`
    files.py         atomic JSON files, and the checks of what is read
    chunks.py        a batch's domain and page tables split over bounded files
    tinydb_store.py  `Store`: the TinyDB store on disk (tables `_meta`, `batches`)
    writer.py        `StoreWriter`: the event consumer that saves a batch
    memory.py        `MemoryStore`: the interface in memory, for unit tests

Every file is a TinyDB JSON file written atomically (temporary file in the same
folder, fsync, rename), so each is valid JSON at every instant, even after
`kill -9`; see `tinydb_store` and `chunks` for the layout on disk.
"""

from __future__ import annotations

from tui_scraper.store.chunks import DOMAIN_CHUNK, PAGE_CHUNK, BatchFiles, ChunkedTable
from tui_scraper.store.files import (
    MAIN_TABLES,
    STORE_FORMAT,
    STORE_VERSION,
    AtomicJSONStorage,
    atomic_write_json,
    check_main_file,
    check_store_path,
    check_writable_folder,
    read_json_file,
)
from tui_scraper.store.interface import BatchStore, StoreError
from tui_scraper.store.memory import MemoryStore
from tui_scraper.store.records import (
    FINISHED_DOMAIN,
    UNFINISHED_DOMAIN,
    BatchCounts,
    BatchRecord,
    DomainRecord,
    PageRecord,
    RejectedRecord,
    batch_counts,
    stored_settings,
    stored_target,
)
from tui_scraper.store.tinydb_store import Store
from tui_scraper.store.writer import COUNTS_INTERVAL_S, FLUSH_INTERVAL_S, StoreWriter
from tui_scraper.text import valid_value

__all__ = [
    "COUNTS_INTERVAL_S",
    "DOMAIN_CHUNK",
    "FINISHED_DOMAIN",
    "FLUSH_INTERVAL_S",
    "MAIN_TABLES",
    "PAGE_CHUNK",
    "STORE_FORMAT",
    "STORE_VERSION",
    "UNFINISHED_DOMAIN",
    "AtomicJSONStorage",
    "BatchCounts",
    "BatchFiles",
    "BatchRecord",
    "BatchStore",
    "ChunkedTable",
    "DomainRecord",
    "MemoryStore",
    "PageRecord",
    "RejectedRecord",
    "Store",
    "StoreError",
    "StoreWriter",
    "atomic_write_json",
    "batch_counts",
    "check_main_file",
    "check_store_path",
    "check_writable_folder",
    "read_json_file",
    "stored_settings",
    "stored_target",
    "valid_value",
]
