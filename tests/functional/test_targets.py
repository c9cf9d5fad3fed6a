"""Property runs of the domain-list parser, hundreds of examples each: slow, so not in unit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.targets import check_invariants
from tui_scraper.targets import parse_targets

_plausible = st.one_of(
    st.sampled_from(
        [
            "example.com",
            "WWW.Example.COM",
            "https://example.com/some/path",
            "http://host:8080",
            "b\u00fccher.de",
            "\u4f8b\u3048.\u30c6\u30b9\u30c8",
            "not a domain!",
            "ftp://x",
            "http://",
            "a..b",
            "[::1]:8080",
            "10.0.0.1",
            "user:pw@x.com",
            "# comment",
            "x.com # trailing comment",
            "a.com, b.com c.com",
            "",
            "   ",
            "\x00",
            "\ud800.de",
            "localhost",
            "example.com:99999",
        ]
    ),
    st.from_regex(r"[a-zA-Z0-9-]{1,12}(\.[a-zA-Z0-9-]{1,12}){0,3}", fullmatch=True),
    st.text(max_size=30),
)


@settings(max_examples=500)
@given(st.lists(_plausible, max_size=12), st.sampled_from(["\n", "\r\n", ", ", " "]))
def test_never_raises_on_mixed_entries(entries: list[str], separator: str) -> None:
    check_invariants(separator.join(entries))


@given(st.lists(_plausible, max_size=8))
def test_every_accepted_entry_parses_alone_to_the_same_domain(entries: list[str]) -> None:
    for target in parse_targets("\n".join(entries)).targets:
        alone = parse_targets(target.input).targets
        assert [t.domain for t in alone] == [target.domain]
