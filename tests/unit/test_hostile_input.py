"""Hostile input text: lone surrogates become rejected lines, not crashes."""

from __future__ import annotations


def test_lone_surrogates_are_rejected_as_replacement_characters() -> None:
    from tui_scraper.targets import Rejection, parse_targets

    parsed = parse_targets("\ud800.com\nok.test")
    assert parsed.rejected == [Rejection(1, "\ufffd.com", "holds bytes that are not UTF-8 text")]
    assert [t.domain for t in parsed.targets] == ["ok.test"]
