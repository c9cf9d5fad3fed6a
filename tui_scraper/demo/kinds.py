"""The kinds of demo site and the facts about the misbehaving ones the server and tests share."""

from __future__ import annotations

HUGE_PATH = "/huge"
HUGE_BYTES = 50 * 1024 * 1024
HUGE_CHUNK_BYTES = 64 * 1024

KIND_NORMAL = "normal"
KIND_WWW = "www_redirect"
KIND_PERF = "perf"
MISBEHAVING_KINDS: tuple[str, ...] = (
    "slow",
    "hanging",
    "redirect_loop",
    "flaky_503",
    "rate_limited_429",
    "robots_excluded",
    "robots_5xx",
    "start_404",
    "huge",
    "non_html",
    "latin1",
    "meta_charset",
    "broken_html",
    "gzip",
    "calendar_trap",
    "big",
    "markup_title",
    # the real web's troubles
    "untrusted_cert",
    "expired_cert",
    "wrong_name_cert",
    "filtered_https",
    "cookie_wall",
    "browser_only",
    "brotli",
    "zstd",
    "silent_dns",
    "moved_to_bad_cert",
    "metadata_redirect",
    "port_redirect",
)
MISBEHAVING_HOSTS: dict[str, str] = {
    "slow": "slow-server.test",
    "hanging": "hanging-server.test",
    "redirect_loop": "redirect-loop.test",
    "flaky_503": "flaky-503.test",
    "rate_limited_429": "rate-limited.test",
    "robots_excluded": "robots-excluded.test",
    "robots_5xx": "robots-5xx.test",
    "start_404": "start-404.test",
    "huge": "huge-page.test",
    "non_html": "non-html.test",
    "latin1": "latin1-cafe.test",
    "meta_charset": "meta-charset.test",
    "broken_html": "broken-html.test",
    "gzip": "gzip-encoded.test",
    "calendar_trap": "calendar-trap.test",
    "big": "big-catalog.test",
    "markup_title": "markup-title.test",
    "untrusted_cert": "untrusted-cert.test",
    "expired_cert": "expired-cert.test",
    "wrong_name_cert": "wrong-name.test",
    "filtered_https": "filtered-https.test",
    "cookie_wall": "cookie-wall.test",
    "browser_only": "browser-only.test",
    "brotli": "brotli-encoded.test",
    "zstd": "zstd-encoded.test",
    "silent_dns": "silent-dns.test",
    "moved_to_bad_cert": "moved-shop.test",
    "metadata_redirect": "metadata-redirect.test",
    "port_redirect": "other-port.test",
}
# Where the metadata-redirect site sends its start page: a cloud's metadata service.
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
# Sites whose start page redirects to a private address the user did not name.
PRIVATE_REDIRECT_KINDS = frozenset({"metadata_redirect", "port_redirect"})
# Sites whose start page cannot be had over https (a certificate the crawler must
# refuse, or a name that never resolves): they fail by design.
TLS_FAILING_KINDS = frozenset(
    {"untrusted_cert", "expired_cert", "wrong_name_cert", "moved_to_bad_cert"}
)
# The cookie wall's cookie, set by a redirect to the same URL.
COOKIE_WALL_COOKIE = ("consent", "yes")
MARKUP_TITLE = "Deals [red]x[/] [bold]today[/bold] \x1b[31mALERT\x07 | Markup Mart"
MARKUP_H1 = "[bold]Big[/bold] [red]x[/] sale \x1b[31mnow\x07"
CP1252_SPECIAL = "Unsere “Spezialität”: Crème brûlée für 3,50 € \N{EN DASH} täglich frisch."
