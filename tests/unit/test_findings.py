"""Findings from in-memory records: safe CSV, escaped terminal text, small memory, broken links."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from tui_scraper.findings import (
    Finding,
    FindingKind,
    batch_findings,
    write_findings,
)


def test_csv_is_formula_safe_and_terminal_output_escaped() -> None:
    findings = [
        Finding("a.test", FindingKind.DUPLICATE_TITLE, "=HYPERLINK(1)", "@SUM(A1)", "+1"),
        Finding("a.test", FindingKind.MISSING_H1, "http://a.test/\x1b[31m", "\x07bell\u202e"),
    ]
    out = io.StringIO()
    write_findings(findings, "csv", out, terminal=False)
    first = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (first["url"], first["detail"], first["referrer"]) == (
        "'=HYPERLINK(1)",
        "'@SUM(A1)",
        "'+1",
    )
    for fmt in ("text", "jsonl", "csv"):
        shown = io.StringIO()
        write_findings(findings, fmt, shown, terminal=True)
        assert "\x1b" not in shown.getvalue() and "\x07" not in shown.getvalue()
        assert "\\x1b" in shown.getvalue()


def synthetic_pages(domains: int, per_domain: int) -> Iterator[dict[str, Any]]:
    for d in range(domains):
        for n in range(per_domain):
            yield {
                "job_id": f"job-{d}",
                "domain": f"site{d}.test",
                "url": f"http://site{d}.test/{n}",
                "final_url": f"http://site{d}.test/{n}",
                "status": 200,
                "content_type": "text/html",
                "title": f"Page {n}",
                "meta_description": None,  # every page a finding: 100,000 of them
                "h1": [f"Page {n}"],
                "redirects": [],
            }


def test_a_100000_page_batch_is_reported_in_small_memory() -> None:
    domains, per_domain = 1000, 100
    records = [
        {"job_id": f"job-{d}", "domain": f"site{d}.test", "status": "done",
         "pages_ok": per_domain, "pages_failed": 0, "emails": ["a@b.test"], "phones": [],
         "robots": {"found": False, "disallowed": 0}, "start_url": f"https://site{d}.test/",
         "final_url": f"https://site{d}.test/"}
        for d in range(domains)
    ]  # fmt: skip
    tracemalloc.start()
    try:
        count = sum(1 for _ in batch_findings(records, synthetic_pages(domains, per_domain)))  # type: ignore[arg-type]
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == domains * per_domain
    # Holding the pages or the findings would take tens of MB; one domain's state is small.
    assert peak < 3_000_000, peak


@pytest.mark.parametrize(
    ("page", "broken"),
    [
        ({"status": 404, "error": "HTTP 404"}, "HTTP 404"),
        ({"status": None, "error": "timeout after 5s"}, "timeout after 5s"),
        ({"status": 302, "error": "redirect loop back to http://a.test/a"}, "redirect loop"),
        ({"status": 200, "error": "body cut at 10 bytes", "truncated": True}, None),
        ({"status": 301, "error": None}, None),
    ],
)
def test_what_counts_as_a_broken_link(page: dict[str, Any], broken: str | None) -> None:
    from tui_scraper.findings import page_findings

    record = {"domain": "a.test", "url": "http://a.test/x", "referrer": "http://a.test/", **page}
    found = [f for f in page_findings(record) if f.kind == FindingKind.BROKEN_LINK]
    if broken is None:
        assert found == []
    else:
        assert len(found) == 1 and broken in found[0].detail
        assert found[0].referrer == "http://a.test/"
