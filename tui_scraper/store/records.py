"""The documents a store holds, typed, and how a batch's documents are made from events.

`DomainRecord` and `PageRecord` are the engine's own record types; `BatchRecord` is
the batch document (SPEC: table `batches`). Documents read back from a store may
come from a damaged or foreign file, so readers still check what they use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NotRequired, TypedDict

from tui_scraper.engine.events import DomainRecord, DomainStatus, PageRecord
from tui_scraper.settings import mask_credentials
from tui_scraper.targets import Target, parse_targets

__all__ = [
    "FINISHED_DOMAIN",
    "UNFINISHED_DOMAIN",
    "BatchCounts",
    "BatchRecord",
    "DomainRecord",
    "PageRecord",
    "RejectedRecord",
    "batch_counts",
    "stored_count",
    "stored_settings",
    "stored_target",
]

FINISHED_DOMAIN = frozenset({DomainStatus.DONE, DomainStatus.FAILED, DomainStatus.CANCELLED})
UNFINISHED_DOMAIN = frozenset({DomainStatus.QUEUED, DomainStatus.RUNNING})


class BatchCounts(TypedDict):
    domains: int
    done: int
    failed: int
    cancelled: int
    pages: int


class RejectedRecord(TypedDict):
    line: int
    input: str
    reason: str


class BatchRecord(TypedDict):
    """One batch document; the batch's labels (say `demo_seed`) are further keys."""

    batch_id: str
    created_at: str
    finished_at: str | None
    status: str
    settings: dict[str, Any]
    domains: list[str]
    rejected: list[RejectedRecord]
    counts: BatchCounts
    demo_seed: NotRequired[int]


def stored_target(record: Mapping[str, Any]) -> Target:
    """The target a stored domain document was made from (its input parsed again)."""
    parsed = parse_targets(record["input"])
    if parsed.targets:
        return parsed.targets[0]
    start = record["start_url"]
    return Target(record["domain"], record["input"], start, "://" in record["input"], 0)


def stored_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as the batch document keeps them: proxy credentials never in clear."""
    proxy = settings.get("proxy")
    if isinstance(proxy, str):
        return {**settings, "proxy": mask_credentials(proxy)}
    return settings


def batch_counts(
    records: Iterable[Mapping[str, Any]], stored_pages: Mapping[str, int] | None = None
) -> BatchCounts:
    """A batch document's `counts` from its domain documents.

    A finished domain counts the pages its document gives; one cut off mid-crawl (a
    stop, kill -9) counts the pages stored for it (`stored_pages`, by job id), so
    the counts agree with what `show` and `export` give after any stop.
    """
    counts = BatchCounts(domains=0, done=0, failed=0, cancelled=0, pages=0)
    for record in records:
        counts["domains"] += 1
        status = record.get("status")
        if isinstance(status, str) and status in FINISHED_DOMAIN:
            counts[status] += 1  # type: ignore[literal-required]
            counts["pages"] += stored_count(record.get("pages_ok")) + stored_count(
                record.get("pages_failed")
            )
        elif stored_pages is not None:
            counts["pages"] += stored_pages.get(str(record.get("job_id")), 0)
    return counts


def stored_count(value: object) -> int:
    """A stored count; anything that is not a whole number counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
