"""The engine's typed events: everything a consumer (app, headless command, store) learns.

Events are small immutable objects posted to an `EventSink`, a plain callable that
must not block: consumers queue what they need and do their work elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict


class Phase(StrEnum):
    """What a domain is doing now, as shown to a person."""

    QUEUED = "queued"
    STARTING = "starting"
    ROBOTS = "robots"
    CRAWLING = "crawling"
    BACKOFF = "backing off"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DomainStatus(StrEnum):
    """A domain document's `status` in the store."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_PHASE_OF_STATUS = {
    DomainStatus.QUEUED: Phase.QUEUED,
    DomainStatus.RUNNING: Phase.CRAWLING,
    DomainStatus.DONE: Phase.DONE,
    DomainStatus.FAILED: Phase.FAILED,
    DomainStatus.CANCELLED: Phase.CANCELLED,
}


def phase_for(status: DomainStatus) -> Phase:
    """The phase a domain shows once its document has this status."""
    return _PHASE_OF_STATUS[status]


class StopReason(StrEnum):
    """Why a domain crawl ended."""

    FRONTIER_EXHAUSTED = "frontier_exhausted"
    MAX_PAGES = "max_pages"
    DOMAIN_TIMEOUT = "domain_timeout"
    CANCELLED = "cancelled"
    START_FAILED = "start_failed"


class BatchStatus(StrEnum):
    """A batch document's `status` in the store."""

    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"


class Redirect(TypedDict):
    url: str
    status: int


class PageRecord(TypedDict):
    """One fetched page: the spec's page fields plus the batch and domain keys."""

    batch_id: str
    job_id: str
    domain: str
    url: str
    final_url: str
    redirects: list[Redirect]
    referrer: str | None
    status: int | None
    content_type: str | None
    bytes: int
    truncated: bool
    elapsed_ms: int
    depth: int
    title: str | None
    meta_description: str | None
    h1: list[str]
    canonical: str | None
    lang: str | None
    word_count: int
    links_internal: int
    links_external: int
    emails: list[str]
    phones: list[str]
    socials: list[str]
    # Custom fields (`--field NAME=SELECTOR`): name -> the values found on the page.
    fields: dict[str, list[str]]
    error: str | None
    fetched_at: str


class RobotsSummary(TypedDict):
    found: bool
    disallowed: int


class DomainRecord(TypedDict):
    """One domain of a batch: the store's domain document."""

    batch_id: str
    job_id: str
    domain: str
    input: str
    status: str
    start_url: str
    final_url: str | None
    pages_ok: int
    pages_failed: int
    status_counts: dict[str, int]
    emails: list[str]
    phones: list[str]
    socials: list[str]
    robots: RobotsSummary
    sitemap_urls: list[str]
    links_out_of_scope: int
    http_fallback: str | None
    stop_reason: str | None
    started_at: str | None
    finished_at: str | None
    elapsed_s: float | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input line that is not a domain, with why."""

    line: int
    input: str
    reason: str


@dataclass(frozen=True, slots=True)
class BatchStarted:
    batch_id: str
    settings: dict[str, Any]
    domains: list[DomainRecord]
    rejected: list[Rejected] = field(default_factory=list)
    resumed: bool = False
    # Extra facts for the batch document, e.g. {"demo_seed": 7} for a demo batch.
    labels: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DomainStarted:
    job_id: str
    domain: str
    start_url: str
    started_at: str


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """A domain moved to another phase; `detail` says why (e.g. "Retry-After 2s")."""

    job_id: str
    domain: str
    phase: Phase
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FetchStarted:
    job_id: str
    domain: str
    url: str


@dataclass(frozen=True, slots=True)
class PageFetched:
    job_id: str
    domain: str
    page: PageRecord
    pages_done: int
    pages_failed: int


@dataclass(frozen=True, slots=True)
class RequestRetrying:
    job_id: str
    domain: str
    url: str
    attempt: int
    wait_s: float
    reason: str


@dataclass(frozen=True, slots=True)
class UrlExcluded:
    """A URL robots.txt disallows: counted and reported, never fetched."""

    job_id: str
    domain: str
    url: str


@dataclass(frozen=True, slots=True)
class DomainFinished:
    job_id: str
    domain: str
    record: DomainRecord


@dataclass(frozen=True, slots=True)
class ConcurrencyChanged:
    concurrency: int


@dataclass(frozen=True, slots=True)
class BatchPaused:
    paused: bool


@dataclass(frozen=True, slots=True)
class BatchFinished:
    batch_id: str
    status: BatchStatus
    counts: dict[str, int]
    finished_at: str


Event = (
    BatchStarted
    | DomainStarted
    | PhaseChanged
    | FetchStarted
    | PageFetched
    | RequestRetrying
    | UrlExcluded
    | DomainFinished
    | ConcurrencyChanged
    | BatchPaused
    | BatchFinished
)

EventSink = Callable[[Event], None]


def fan_out(sinks: Iterable[EventSink]) -> EventSink:
    """One sink that hands every event to each of `sinks` in turn."""
    targets = tuple(sinks)
    if len(targets) == 1:
        return targets[0]

    def sink(event: Event) -> None:
        for target in targets:
            target(event)

    return sink
