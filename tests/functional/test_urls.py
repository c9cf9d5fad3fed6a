"""The canonicalizer's idempotence over a thousand URL-like texts: slow, so not in tests/unit."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.helpers.urls import check_canonical

# Strategies for URL-like strings: plausible parts mixed with hostile ones.
_schemes = st.sampled_from(["http", "https", "HTTP", "HtTpS", "ftp", "", "javascript", "http:"])


_labels = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", fullmatch=True)


_hosts = st.one_of(
    st.lists(_labels, min_size=1, max_size=4).map(".".join),
    st.sampled_from(
        ["www.example.com", "b\u00fccher.de", "\u4f8b\u3048.\u30c6\u30b9\u30c8", "\u2603.net"]
    ),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
    st.text(max_size=12),
    st.sampled_from(["", ".", "a..b", "[::1", "xn--", "-a-.com", "1.2.3", "a.com."]),
)


_ports = st.one_of(
    st.just(""),
    st.integers(min_value=-1, max_value=70000).map(lambda p: f":{p}"),
    st.sampled_from([":", ":80", ":443", ":+80", ":x"]),
)


_segments = st.one_of(
    st.text(max_size=6),
    st.sampled_from([".", "..", "%2e%2E", "%2F", "%", "%zz", "%41", "~", "a b", "\u00e9", "//"]),
)


_paths = st.lists(_segments, max_size=5).map(lambda parts: "/" + "/".join(parts))


_keys = st.one_of(
    st.sampled_from(["utm_source", "UTM_Medium", "gclid", "fbclid", "id", "q", "a+b", "%75tm_x"]),
    st.text(max_size=5),
)


_params = st.tuples(_keys, st.text(max_size=5)).map(lambda kv: f"{kv[0]}={kv[1]}")


_queries = st.one_of(st.just(""), st.lists(_params, max_size=4).map(lambda ps: "?" + "&".join(ps)))


_fragments = st.one_of(st.just(""), st.text(max_size=6).map(lambda f: "#" + f))


@st.composite
def url_like(draw: st.DrawFn) -> str:
    """An absolute-looking URL assembled from hostile and plausible parts."""
    scheme = draw(_schemes)
    userinfo = draw(st.sampled_from(["", "", "", "user@", "u:p@"]))
    prefix = f"{scheme}://" if scheme else draw(st.sampled_from(["", "//"]))
    return (
        prefix
        + userinfo
        + draw(_hosts)
        + draw(_ports)
        + draw(_paths)
        + draw(_queries)
        + draw(_fragments)
    )


@settings(max_examples=1000)
@given(url_like())
@example("http://a.com/a/%2e%2E/b/.%2E")
@example("https://example.com/?utm_source=x&")
@example("http://\u2603.COM/")
def test_canonicalize_url_like_is_idempotent(url: str) -> None:
    check_canonical(url)
