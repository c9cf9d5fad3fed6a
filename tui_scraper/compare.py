"""What changed between two batches of the same domains (`compare OLD_ID NEW_ID`).

Domains are matched by name. Pages are compared by URL without holding either batch's
pages: each side's URLs are kept as 8-byte digests per domain, and the pages are streamed
once more to name the ones that went. Only start pages (one per domain) are kept whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO

from tui_scraper.engine.events import DomainRecord, PageRecord
from tui_scraper.text import safe_text

CHANGE_FIELDS = ("domain", "change", "item", "old", "new")
COMPARE_FORMATS = ("text", "jsonl")

PagesOf = Callable[[], Iterable[PageRecord]]
"""A batch's pages, streamed afresh at each call."""


class ChangeKind(StrEnum):
    """What changed (the `change` column)."""

    DOMAIN_ADDED = "domain_added"
    DOMAIN_REMOVED = "domain_removed"
    STATUS_CHANGED = "status_changed"
    PAGE_ADDED = "page_added"
    PAGE_REMOVED = "page_removed"
    EMAIL_ADDED = "email_added"
    EMAIL_REMOVED = "email_removed"
    PHONE_ADDED = "phone_added"
    PHONE_REMOVED = "phone_removed"
    SOCIAL_ADDED = "social_added"
    SOCIAL_REMOVED = "social_removed"
    TITLE_CHANGED = "title_changed"
    DESCRIPTION_CHANGED = "description_changed"


@dataclass(frozen=True, slots=True)
class Change:
    """One row of a comparison."""

    domain: str
    change: ChangeKind
    item: str
    old: str | None = None
    new: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "change": self.change.value,
            "item": self.item,
            "old": self.old,
            "new": self.new,
        }


_CONTACTS = (
    ("emails", ChangeKind.EMAIL_ADDED, ChangeKind.EMAIL_REMOVED),
    ("phones", ChangeKind.PHONE_ADDED, ChangeKind.PHONE_REMOVED),
    ("socials", ChangeKind.SOCIAL_ADDED, ChangeKind.SOCIAL_REMOVED),
)


def _key(url: str) -> bytes:
    return hashlib.blake2b(url.encode("utf-8", "replace"), digest_size=8).digest()


def _domain_url(record: Mapping[str, Any]) -> str:
    return str(record.get("final_url") or record.get("start_url") or record.get("domain") or "")


@dataclass(slots=True)
class _Side:
    """What one batch contributes: per domain, its page URL digests and its start page."""

    keys: dict[str, set[bytes]]
    start: dict[str, Mapping[str, Any]]


def _read_side(pages: Iterable[PageRecord], domains: set[str]) -> _Side:
    side = _Side({}, {})
    for page in pages:
        domain = page.get("domain") or ""
        if domain not in domains:
            continue
        side.keys.setdefault(domain, set()).add(_key(page.get("url") or ""))
        if page.get("depth") == 0 and domain not in side.start:
            side.start[domain] = page
    return side


def compare_batches(
    old_domains: Iterable[DomainRecord],
    old_pages: PagesOf,
    new_domains: Iterable[DomainRecord],
    new_pages: PagesOf,
) -> Iterator[Change]:
    """Every change from the old batch to the new: domain rows first, then pages."""
    old = {record["domain"]: record for record in old_domains}
    new = {record["domain"]: record for record in new_domains}
    both = {domain for domain in new if domain in old}
    for domain, record in new.items():
        if domain not in old:
            yield Change(
                domain, ChangeKind.DOMAIN_ADDED, _domain_url(record), None, record.get("status")
            )
    for domain, record in old.items():
        if domain not in new:
            yield Change(
                domain, ChangeKind.DOMAIN_REMOVED, _domain_url(record), record.get("status"), None
            )

    old_side = _read_side(old_pages(), both)
    new_keys: dict[str, set[bytes]] = {}
    new_start: dict[str, Mapping[str, Any]] = {}
    for domain in (d for d in new if d in both):
        yield from _domain_changes(domain, old[domain], new[domain])
    # Second side streamed: its new pages come out as they are read.
    for page in new_pages():
        domain = page.get("domain") or ""
        if domain not in both:
            continue
        url = page.get("url") or ""
        key = _key(url)
        seen = new_keys.setdefault(domain, set())
        if key in seen:
            continue
        seen.add(key)
        if page.get("depth") == 0 and domain not in new_start:
            new_start[domain] = page
        if key not in old_side.keys.get(domain, ()):
            yield Change(domain, ChangeKind.PAGE_ADDED, url, None, _status(page))
    for page in old_pages():
        domain = page.get("domain") or ""
        if domain not in both:
            continue
        url = page.get("url") or ""
        key = _key(url)
        kept = new_keys.get(domain, set())
        if key not in kept:
            kept.add(key)  # named once, even if stored twice
            yield Change(domain, ChangeKind.PAGE_REMOVED, url, _status(page), None)
    for domain in (d for d in new if d in both):
        yield from _start_page_changes(domain, old_side.start.get(domain), new_start.get(domain))


def _status(page: Mapping[str, Any]) -> str:
    status = page.get("status")
    return str(status) if status is not None else (page.get("error") or "no answer")


def _domain_changes(
    domain: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterator[Change]:
    if old.get("status") != new.get("status"):
        yield Change(
            domain,
            ChangeKind.STATUS_CHANGED,
            _domain_url(new),
            old.get("status"),
            new.get("status"),
        )
    for field, added, removed in _CONTACTS:
        before = set(old.get(field) or ())
        after = set(new.get(field) or ())
        for item in sorted(after - before):
            yield Change(domain, added, item)
        for item in sorted(before - after):
            yield Change(domain, removed, item)


def _start_page_changes(
    domain: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> Iterator[Change]:
    if old is None and new is None:
        return
    item = str((new or old or {}).get("url") or domain)
    for field, kind in (
        ("title", ChangeKind.TITLE_CHANGED),
        ("meta_description", ChangeKind.DESCRIPTION_CHANGED),
    ):
        before = (old or {}).get(field)
        after = (new or {}).get(field)
        if before != after:
            yield Change(domain, kind, item, before, after)


# -- output ---------------------------------------------------------------------------


def write_changes(changes: Iterable[Change], fmt: str, out: TextIO, *, terminal: bool) -> int:
    """Write changes as `text` (a table) or `jsonl`; returns how many were written.

    `terminal`: shown, not saved, so web text has its control characters escaped.
    """
    count = 0
    for change in changes:
        row = change.as_row()
        if fmt == "jsonl":
            if terminal:
                row = {k: safe_text(v) if isinstance(v, str) else v for k, v in row.items()}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if not count:
                out.write("domain  change  item  old -> new\n")
            line = (
                f"{safe_text(change.domain)}  {change.change.value}  {safe_text(change.item, 160)}"
            )
            if change.old is not None or change.new is not None:
                line += f"  {_shown(change.old)} -> {_shown(change.new)}"
            out.write(line + "\n")
        count += 1
    if fmt == "text" and not count:
        out.write("no changes\n")
    return count


def _shown(value: str | None) -> str:
    return "(none)" if value is None else f'"{safe_text(value, 160)}"'
