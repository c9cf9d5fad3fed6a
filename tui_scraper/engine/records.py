"""The records one domain crawl produces: its page documents and its domain document.

`DomainTally` adds up what the pages found (status counts, contacts); the crawl
hands it each page and asks it for the domain document at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers

from tui_scraper.engine.events import DomainRecord, DomainStatus, PageRecord
from tui_scraper.engine.extract import Extraction
from tui_scraper.engine.http import Response
from tui_scraper.targets import Target


@dataclass(frozen=True, slots=True)
class DomainJob:
    """One domain of one batch."""

    batch_id: str
    job_id: str
    target: Target


def utc_now() -> str:
    """ISO 8601 UTC timestamp, as stored."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def phone_region_for(domain: str) -> str | None:
    """A default phone region from a country-code TLD (".de" -> "DE"), else None."""
    tld = domain.rsplit(":", 1)[0].rsplit(".", 1)[-1].upper()
    if tld == "UK":
        tld = "GB"
    return tld if tld in phonenumbers.SUPPORTED_REGIONS else None


def new_domain_record(job: DomainJob) -> DomainRecord:
    """The domain document of a job that has not started."""
    return {
        "batch_id": job.batch_id,
        "job_id": job.job_id,
        "domain": job.target.domain,
        "input": job.target.input,
        "status": DomainStatus.QUEUED.value,
        "start_url": job.target.start_url,
        "final_url": None,
        "pages_ok": 0,
        "pages_failed": 0,
        "status_counts": {},
        "emails": [],
        "phones": [],
        "socials": [],
        "robots": {"found": False, "disallowed": 0},
        "sitemap_urls": [],
        "links_out_of_scope": 0,
        # why https was not used when the crawl fell back to http (null otherwise)
        "http_fallback": None,
        "stop_reason": None,
        "started_at": None,
        "finished_at": None,
        "elapsed_s": None,
        "error": None,
    }


def page_record(
    job: DomainJob,
    url: str,
    depth: int,
    referrer: str | None,
    response: Response,
    extraction: Extraction | None,
    max_bytes: int,
) -> PageRecord:
    """The page document of one fetch (extraction None: not HTML, or it failed)."""
    error = response.error
    if response.truncated and error is None:
        error = f"body cut at {max_bytes} bytes"
    x = extraction
    return {
        "batch_id": job.batch_id,
        "job_id": job.job_id,
        "domain": job.target.domain,
        "url": url,
        "final_url": response.final_url,
        "redirects": response.redirects,
        "referrer": referrer,
        "status": response.status,
        "content_type": response.content_type,
        "bytes": response.size,
        "truncated": response.truncated,
        "elapsed_ms": response.elapsed_ms,
        "depth": depth,
        "title": x.title if x else None,
        "meta_description": x.meta_description if x else None,
        "h1": x.h1 if x else [],
        "canonical": x.canonical if x else None,
        "lang": x.lang if x else None,
        "word_count": x.word_count if x else 0,
        "links_internal": x.links_internal if x else 0,
        "links_external": x.links_external if x else 0,
        "emails": x.emails if x else [],
        "phones": x.phones if x else [],
        "socials": x.socials if x else [],
        "fields": x.fields if x else {},
        "error": error,
        "fetched_at": utc_now(),
    }


class DomainTally:
    """What one domain's pages add up to: counts by status and the merged contacts."""

    def __init__(self) -> None:
        self.pages_ok = 0
        self.pages_failed = 0
        self.status_counts: Counter[str] = Counter()
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.socials: set[str] = set()

    def add(self, page: PageRecord, extraction: Extraction | None) -> None:
        status = page["status"]
        self.status_counts[str(status) if status is not None else "error"] += 1
        if page["error"] is None and status is not None and status < 400:
            self.pages_ok += 1
        else:
            self.pages_failed += 1
        if extraction is not None:
            self.emails.update(extraction.emails)
            self.phones.update(extraction.phones)
            self.socials.update(extraction.socials)

    def fill(self, record: DomainRecord) -> None:
        """Write the totals into the domain document."""
        record["pages_ok"] = self.pages_ok
        record["pages_failed"] = self.pages_failed
        record["status_counts"] = dict(self.status_counts)
        record["emails"] = sorted(self.emails)
        record["phones"] = sorted(self.phones)
        record["socials"] = sorted(self.socials)
