"""No record can stop the store writer: arbitrary text in every field, surrogates included."""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    DomainStarted,
    PageFetched,
    Rejected,
)
from tui_scraper.export import DOMAIN_FIELDS, PAGE_FIELDS
from tui_scraper.store import Store, StoreWriter

BATCH_ID = "f" * 8 + "-0000-4000-8000-" + "0" * 12

# Every code point, lone surrogates (what undecodable bytes become) among them.
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
any_text = st.text(any_char, max_size=30) | st.sampled_from(["\udcff", "a\ud800b", "\x00\x9b"])
any_value = st.recursive(
    st.none() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=8,
)


def as_stored(value: Any) -> Any:
    """What the store must give back: lone surrogates as U+FFFD, NaN and infinities as null."""
    if isinstance(value, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {as_stored(key): as_stored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_stored(item) for item in value]
    return value


def record_of(fields: tuple[str, ...], values: dict[str, Any]) -> dict[str, Any]:
    return {name: values.get(name) for name in fields}


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Domain records and their pages, every field arbitrary but the keys that tie them."""
    domains = []
    pages = []
    for n in range(draw(st.integers(1, 3))):
        values = draw(st.fixed_dictionaries({}, optional=dict.fromkeys(DOMAIN_FIELDS, any_value)))
        domain = {**record_of(DOMAIN_FIELDS, values), "batch_id": BATCH_ID, "job_id": f"j{n}"}
        domains.append(domain)
        domain_pages = []
        for _ in range(draw(st.integers(0, 3))):
            page_values = draw(
                st.fixed_dictionaries({}, optional=dict.fromkeys(PAGE_FIELDS, any_value))
            )
            domain_pages.append({**record_of(PAGE_FIELDS, page_values), "job_id": f"j{n}"})
        pages.append(domain_pages)
    return domains, pages


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(), settings_value=any_value, rejected_input=any_text)
def test_store_writer_saves_any_record(
    batch: tuple[list[dict[str, Any]], list[list[dict[str, Any]]]],
    settings_value: Any,
    rejected_input: str,
) -> None:
    domains, pages = batch
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "store.json")
        with Store.open(db, write=True) as store:
            writer = StoreWriter(store)
            queued = [{**d, "status": "queued"} for d in domains]
            writer(
                BatchStarted(
                    BATCH_ID,
                    {"user_agent": settings_value},
                    queued,  # type: ignore[arg-type]
                    [Rejected(1, rejected_input, rejected_input)],
                )
            )
            for domain, domain_pages in zip(domains, pages, strict=True):
                job_id = domain["job_id"]
                writer(DomainStarted(job_id, "d", "u", "\udcff"))
                for page in domain_pages:
                    writer(PageFetched(job_id, "d", page, 0, 0))  # type: ignore[arg-type]
                writer(DomainFinished(job_id, "d", domain))  # type: ignore[arg-type]
            writer(BatchFinished(BATCH_ID, BatchStatus.COMPLETED, {}, "t"))
            writer.close()
            assert writer.last_error is None, writer.last_error
        with Store.open(db) as reader:
            stored = reader.find_batch(BATCH_ID)
            assert stored["status"] == "completed"
            assert stored["rejected"][0]["input"] == as_stored(rejected_input)
            assert reader.batch_domains(BATCH_ID) == [as_stored(d) for d in domains]
            expected_pages = [as_stored(p) for domain_pages in pages for p in domain_pages]
            assert list(reader.batch_pages(BATCH_ID)) == expected_pages


def test_a_record_that_cannot_be_saved_costs_only_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A defect in saving one record: the writer says so and goes on with the others."""
    import tui_scraper.store.writer as store_module

    real = store_module.valid_value

    def broken_for_one_page(value: Any) -> Any:
        if isinstance(value, dict) and value.get("url") == "http://example.test/broken":
            raise TypeError("cannot encode this page")
        return real(value)

    monkeypatch.setattr(store_module, "valid_value", broken_for_one_page)
    db = str(tmp_path / "store.json")
    domain = {**dict.fromkeys(DOMAIN_FIELDS), "batch_id": BATCH_ID, "job_id": "j0"}
    with Store.open(db, write=True) as store:
        writer = StoreWriter(store)
        writer(BatchStarted(BATCH_ID, {}, [{**domain, "status": "queued"}]))  # type: ignore[list-item]
        writer.write_pending()
        for name in ("before", "broken", "after"):  # one flush: only the broken page is lost
            page = {"job_id": "j0", "url": f"http://example.test/{name}"}
            writer(PageFetched("j0", "d", page, 0, 0))  # type: ignore[arg-type]
        writer.write_pending()
        assert writer.failed_events == 1 and "cannot encode" in str(writer.last_error)
        writer(DomainFinished("j0", "d", {**domain, "status": "done"}))  # type: ignore[arg-type]
        writer(BatchFinished(BATCH_ID, BatchStatus.COMPLETED, {}, "t"))
        writer.close()
    with Store.open(db) as reader:
        assert [p["url"] for p in reader.batch_pages(BATCH_ID)] == [
            "http://example.test/before",
            "http://example.test/after",
        ]
        assert reader.find_batch(BATCH_ID)["status"] == "completed"
