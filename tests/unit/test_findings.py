"""Findings from in-memory records: safe CSV, escaped terminal text, small memory, broken links."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tui_scraper.findings import (
    Finding,
    FindingKind,
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
