"""What a canonical URL must satisfy, for the canonicalizer's property tests."""

from __future__ import annotations

from tui_scraper.engine.urls import TRACKING_PARAMS, canonicalize, host_of


def check_canonical(url: str) -> None:
    result = canonicalize(url)
    if result is None:
        return
    assert result.startswith(("http://", "https://"))
    assert "#" not in result
    assert result.isascii()
    assert canonicalize(result) == result, "canonicalize is not idempotent"
    query = result.partition("?")[2]
    for part in query.split("&") if query else []:
        key = part.split("=", 1)[0].lower()
        assert not key.startswith("utm_")
        assert key not in TRACKING_PARAMS
    assert host_of(result) == host_of(url)
