"""Invariants every parse of a domain list keeps, for the parser's property tests."""

from __future__ import annotations

import re

from tui_scraper.engine import urls
from tui_scraper.targets import parse_targets, site_key

COMMENT = re.compile(r"(?:^|\s)#")


def entry_count(text: str) -> int:
    """Entries the parser may see: separated tokens of each line before any comment."""
    count = 0
    for line in re.split(r"\r\n|\r|\n", text):
        match = COMMENT.search(line)
        content = line[: match.start()] if match else line
        count += len([token for token in re.split(r"[\s,]+", content) if token])
    return count


def check_invariants(text: str) -> None:
    parsed = parse_targets(text)
    assert len(parsed.targets) + len(parsed.rejected) <= entry_count(text)
    lines = len(re.split(r"\r\n|\r|\n", text))
    keys = [site_key(t.domain) for t in parsed.targets]
    assert len(keys) == len(set(keys)), "duplicates were not merged"
    previous = 0
    for target in parsed.targets:
        assert target.domain.isascii()
        assert target.domain == target.domain.lower()
        assert not target.domain.endswith(".")
        assert 1 <= target.line <= lines
        assert target.line >= previous, "targets are not in input order"
        previous = target.line
        assert target.start_url.startswith(("http://", "https://"))
        assert target.start_url.isascii()
        assert urls.host_of(target.start_url) == target.domain
        assert urls.canonicalize(target.start_url) == target.start_url
    for rejection in parsed.rejected:
        assert 1 <= rejection.line <= lines
        assert rejection.reason
