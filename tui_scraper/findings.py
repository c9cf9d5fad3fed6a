"""A batch's findings: what a person fixing or qualifying its sites looks for (`report`).

Computed from records one at a time, so any front end can use it: `FindingsCollector` takes
page records as they arrive (live, in the app) and domain records as domains end;
`batch_findings` runs it over a stored batch. Only per-domain state is kept (title and
description -> URLs of the domains not yet complete), and a domain's state goes as soon as
all its pages were seen, so a batch of 100,000 pages is reported without holding them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TextIO

from tui_scraper.engine.events import DomainRecord, PageRecord
from tui_scraper.export import csv_cell
from tui_scraper.text import safe_text

FINDING_FIELDS = ("domain", "kind", "url", "detail", "referrer")
REPORT_FORMATS = ("text", "jsonl", "csv")
OTHER_URLS_SHOWN = 5  # of a duplicate's other pages, in its detail
FINISHED = frozenset({"done", "failed", "cancelled"})


class FindingKind(StrEnum):
    """What a finding is about (the `kind` column)."""

    BROKEN_LINK = "broken_link"
    REDIRECT_CHAIN = "redirect_chain"
    MISSING_TITLE = "missing_title"
    MISSING_DESCRIPTION = "missing_description"
    MISSING_H1 = "missing_h1"
    DUPLICATE_TITLE = "duplicate_title"
    DUPLICATE_DESCRIPTION = "duplicate_description"
    NO_CONTACT = "no_contact"
    ROBOTS_BLOCKED = "robots_blocked"
    INSECURE = "insecure"


@dataclass(frozen=True, slots=True)
class Finding:
    """One row of the report."""

    domain: str
    kind: FindingKind
    url: str
    detail: str = ""
    referrer: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The finding as a plain dict with the FINDING_FIELDS keys."""
        return {
            "domain": self.domain,
            "kind": self.kind.value,
            "url": self.url,
            "detail": self.detail,
            "referrer": self.referrer,
        }


def is_html_page(page: Mapping[str, Any]) -> bool:
    """An HTML page that answered 200: the pages that should have a title, description, h1."""
    content_type = (page.get("content_type") or "").split(";", 1)[0].strip().lower()
    return page.get("status") == 200 and content_type in ("text/html", "application/xhtml+xml")


def page_findings(page: Mapping[str, Any]) -> list[Finding]:
    """What one page shows by itself: broken, redirected through a chain, missing texts."""
    domain, url = page.get("domain") or "", page.get("url") or ""
    status = page.get("status")
    found: list[Finding] = []
    # Failed: no answer, an HTTP error, or an error of its own (a redirect loop, a redirect
    # refused); a body cut at --max-bytes is a flag on a page that did answer.
    failed = bool(page.get("error")) and not page.get("truncated")
    if status is None or status >= 400 or failed:
        detail = page.get("error") or f"HTTP {status}"
        found.append(Finding(domain, FindingKind.BROKEN_LINK, url, detail, page.get("referrer")))
    hops = page.get("redirects") or []
    if len(hops) >= 2:
        chain = " -> ".join(f"{hop.get('status')} {hop.get('url')}" for hop in hops)
        detail = f"{len(hops)} hops: {chain} -> {page.get('final_url') or '?'}"
        found.append(Finding(domain, FindingKind.REDIRECT_CHAIN, url, detail, page.get("referrer")))
    if is_html_page(page):
        final = page.get("final_url") or url
        if not page.get("title"):
            found.append(Finding(domain, FindingKind.MISSING_TITLE, final))
        if not page.get("meta_description"):
            found.append(Finding(domain, FindingKind.MISSING_DESCRIPTION, final))
        if not page.get("h1"):
            found.append(Finding(domain, FindingKind.MISSING_H1, final))
    return found


def domain_findings(record: Mapping[str, Any]) -> list[Finding]:
    """What a finished domain shows as a whole: no contact, robots exclusions, no https."""
    domain = record.get("domain") or ""
    url = record.get("final_url") or record.get("start_url") or ""
    status = record.get("status")
    found: list[Finding] = []
    if status == "done" and not record.get("emails") and not record.get("phones"):
        pages = int(record.get("pages_ok") or 0)
        found.append(
            Finding(domain, FindingKind.NO_CONTACT, url, f"no email or phone on {pages} pages")
        )
    disallowed = int((record.get("robots") or {}).get("disallowed") or 0)
    if disallowed:
        detail = f"{disallowed} URLs disallowed by robots.txt, not fetched"
        found.append(Finding(domain, FindingKind.ROBOTS_BLOCKED, url, detail))
    error = record.get("error") or ""
    if status == "done" and url.startswith("http://"):
        # A bare domain starts at https: ending on http means https failed or redirected away.
        asked_http = str(record.get("start_url") or "").startswith("http://")
        detail = "served over http only" if asked_http else "https failed, served over http"
        found.append(Finding(domain, FindingKind.INSECURE, url, detail))
    elif error.startswith("certificate error"):
        found.append(Finding(domain, FindingKind.INSECURE, url, f"https failed: {error}"))
    return found


@dataclass(slots=True)
class _DomainTexts:
    """One domain's titles and descriptions -> the URLs that carry them, in page order."""

    titles: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, list[str]] = field(default_factory=dict)
    pages: int = 0


def _duplicates(domain: str, kind: FindingKind, texts: dict[str, list[str]]) -> Iterator[Finding]:
    for text, urls in texts.items():
        if len(urls) < 2:
            continue
        for url in urls:
            others = [other for other in urls if other != url]
            shown = ", ".join(others[:OTHER_URLS_SHOWN])
            more = len(others) - OTHER_URLS_SHOWN
            tail = f" (+{more} more)" if more > 0 else ""
            yield Finding(
                domain, kind, url, f"{json.dumps(text, ensure_ascii=False)} also on {shown}{tail}"
            )


class FindingsCollector:
    """Findings as records arrive: `add_page` per page, `finish_domain` when a domain ends."""

    def __init__(self) -> None:
        self._texts: dict[str, _DomainTexts] = {}

    def add_page(self, page: Mapping[str, Any]) -> list[Finding]:
        """The page's own findings; its title and description are kept for duplicates."""
        texts = self._texts.setdefault(
            page.get("job_id") or page.get("domain") or "", _DomainTexts()
        )
        texts.pages += 1
        if is_html_page(page):
            url = page.get("final_url") or page.get("url") or ""
            if page.get("title"):
                urls = texts.titles.setdefault(page["title"], [])
                if url not in urls:
                    urls.append(url)
            if page.get("meta_description"):
                urls = texts.descriptions.setdefault(page["meta_description"], [])
                if url not in urls:
                    urls.append(url)
        return page_findings(page)

    def pages_seen(self, job_id: str) -> int:
        """How many pages of a domain were added (and not yet finished)."""
        texts = self._texts.get(job_id)
        return texts.pages if texts is not None else 0

    def finish_domain(self, record: Mapping[str, Any]) -> list[Finding]:
        """The domain's duplicates and whole-domain findings; its kept texts are dropped."""
        domain = record.get("domain") or ""
        texts = self._texts.pop(record.get("job_id") or domain, None) or _DomainTexts()
        found = list(_duplicates(domain, FindingKind.DUPLICATE_TITLE, texts.titles))
        found += _duplicates(domain, FindingKind.DUPLICATE_DESCRIPTION, texts.descriptions)
        found += domain_findings(record)
        return found


def batch_findings(
    domains: Iterable[DomainRecord], pages: Iterable[PageRecord]
) -> Iterator[Finding]:
    """Every finding of a stored batch, grouped by domain, from its records streamed once.

    A domain's findings come out together once all its pages were seen (its record says how
    many); only the findings of domains still being read are held meanwhile.
    """
    records = {record["job_id"]: record for record in domains}
    expected = {
        job_id: int(record.get("pages_ok") or 0) + int(record.get("pages_failed") or 0)
        for job_id, record in records.items()
        if record.get("status") in FINISHED
    }
    collector = FindingsCollector()
    held: dict[str, list[Finding]] = {}
    for page in pages:
        job_id = page.get("job_id") or ""
        found = collector.add_page(page)
        if job_id not in records:
            yield from found  # a page without its domain document: reported as it is
            continue
        held.setdefault(job_id, []).extend(found)
        if collector.pages_seen(job_id) == expected.get(job_id):
            yield from held.pop(job_id)
            yield from collector.finish_domain(records.pop(job_id))
    for job_id, record in records.items():  # unfinished domains, and those without pages
        yield from held.pop(job_id, [])
        yield from collector.finish_domain(record)


# -- output ---------------------------------------------------------------------------


def write_findings(findings: Iterable[Finding], fmt: str, out: TextIO, *, terminal: bool) -> int:
    """Write findings as `text`, `jsonl` or `csv`; returns how many were written.

    `terminal`: the output is shown, not saved, so web text has its control characters
    escaped (files keep the text as stored).
    """
    count = 0
    if fmt == "text":
        return _write_text(findings, out)
    if fmt == "jsonl":
        for finding in findings:
            row = finding.as_row()
            if terminal:
                row = {k: safe_text(v) if isinstance(v, str) else v for k, v in row.items()}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.writer(out)
    writer.writerow(FINDING_FIELDS)
    for finding in findings:
        row = finding.as_row()
        cells = [csv_cell(row[name]) for name in FINDING_FIELDS]
        writer.writerow([safe_text(c) if terminal and isinstance(c, str) else c for c in cells])
        count += 1
    return count


def _write_text(findings: Iterable[Finding], out: TextIO) -> int:
    """A table per domain: kind, URL, detail and referrer, every web text escaped."""
    count = 0
    domain: str | None = None
    rows: list[tuple[str, ...]] = []

    def flush() -> None:
        if domain is None or not rows:
            return
        out.write(f"{safe_text(domain)}  ({len(rows)} findings)\n")
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for row in rows:
            kind, url, detail, referrer = row
            line = f"  {kind.ljust(widths[0])}  {url.ljust(widths[1])}  {detail}"
            if referrer:
                line += f"  (linked from {referrer})"
            out.write(line.rstrip() + "\n")
        out.write("\n")

    for finding in findings:
        if finding.domain != domain:
            flush()
            domain, rows = finding.domain, []
        rows.append(
            (
                finding.kind.value,
                safe_text(finding.url, 120),
                safe_text(finding.detail, 300),
                safe_text(finding.referrer, 120) if finding.referrer else "",
            )
        )
        count += 1
    flush()
    if not count:
        out.write("no findings\n")
    return count
