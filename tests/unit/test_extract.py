"""Tests for tui_scraper.engine.extract: page fields, links, contacts and socials."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_scraper.engine.extract import Extraction, extract

PAGE = "https://example.com/dir/page.html"


def in_scope(host: str) -> bool:
    return host in {"example.com", "www.example.com"}


def run(html: str, url: str = PAGE, region: str | None = None) -> Extraction:
    return extract(html, url, in_scope, region)


# --- text fields -------------------------------------------------------------------------------


def test_title_collapses_whitespace() -> None:
    assert run("<html><head><title>  A\n B </title></head></html>").title == "A B"


def test_title_first_one_and_not_svg() -> None:
    html = (
        "<html><head><title>Main</title><title>Second</title></head>"
        "<body><svg><title>icon</title></svg></body></html>"
    )
    assert run(html).title == "Main"
    assert run("<body><svg><title>icon</title></svg></body>").title is None


@pytest.mark.parametrize("html", ["<p>no title</p>", "<title> \n </title>", ""])
def test_title_absent_or_empty_is_none(html: str) -> None:
    assert run(html).title is None


def test_meta_description_name_is_case_insensitive() -> None:
    html = (
        '<meta name="keywords" content="k">'
        '<meta NAME=" Description " content="  Hello \n  world ">'
        '<meta name="description" content="second">'
    )
    assert run(html).meta_description == "Hello world"


def test_meta_description_missing_or_empty() -> None:
    assert run('<meta name="robots" content="noindex">').meta_description is None
    assert run('<meta name="description" content="  ">').meta_description is None


def test_h1_texts_in_order_skip_empty_and_read_as_shown() -> None:
    html = (
        "<h1>Hello<br>World</h1><h1>  </h1><h1></h1>"
        "<div><h1><span>Nested <b>deep</b></span>text<!-- a comment --></h1></div>"
        "<h1>\n  Third\n  one </h1><template><h1>hidden</h1></template>"
    )
    assert run(html).h1 == ["Hello World", "Nested deeptext", "Third one"]


@pytest.mark.parametrize(
    ("heading", "shown"),
    [
        ("Open Progress<br>Why", "Open Progress Why"),
        ("Open Progress<br/>\n  Why", "Open Progress Why"),
        ("gelesen...<sup>*</sup>", "gelesen...*"),
        ("Price<small>from</small> <b>9</b><i>.99</i>", "Pricefrom 9.99"),
        ("<ruby>漢<rt>かん</rt>字<rt>じ</rt></ruby>の本", "漢かん字じの本"),
        ("<a href='/'>Home</a><span>|</span><a href='/x'>X</a>", "Home|X"),
        ("<div>Block</div><div>Another</div>tail", "Block Another tail"),
        ("<span>in</span><div>block</div><span>line</span>", "in block line"),
        ("a<!-- c -->b", "ab"),
        ("<span> spaced </span> out", "spaced out"),
    ],
)
def test_text_is_what_a_reader_sees(heading: str, shown: str) -> None:
    """Spaces at block edges and <br>, nothing between inline elements, whitespace collapsed."""
    assert run(f"<body><h1>{heading}</h1></body>").h1 == [shown]


def test_title_and_body_text_follow_the_same_rule() -> None:
    html = (
        "<title>A\n  B</title><body><p>one</p><p>two<br>three</p>"
        "<span>four</span><span>five</span><table><tr><td>six</td><td>seven</td></tr></table>"
        "</body>"
    )
    result = run(html)
    assert result.title == "A B"  # the title holds only text: no markup inside
    assert result.word_count == 6  # one, two, three, fourfive, six, seven


def test_email_split_over_inline_elements_reads_whole() -> None:
    html = "<p>Write to <span>info</span>@<span>example.com</span> today</p>"
    assert run(html).emails == ["info@example.com"]


def test_h1_excludes_script_text() -> None:
    assert run("<h1>Visible<script>var x = 1;</script></h1>").h1 == ["Visible"]


def test_lang() -> None:
    assert run('<html lang=" de-AT "><body>x</body></html>').lang == "de-AT"
    assert run("<html><body>x</body></html>").lang is None
    assert run('<html lang=""><body>x</body></html>').lang is None


def test_canonical_rel_tokens_and_resolution() -> None:
    html = (
        '<link rel="stylesheet" href="/s.css">'
        '<link rel="Alternate CANONICAL" href="../canon?x=1#frag">'
        '<link rel="canonical" href="/second">'
    )
    assert run(html).canonical == "https://example.com/canon?x=1"


def test_canonical_absent_or_not_http() -> None:
    assert run('<link rel="icon" href="/i.png">').canonical is None
    assert run('<link rel="canonical" href="javascript:void(0)">').canonical is None


def test_word_count_visible_body_text_only() -> None:
    html = (
        "<html><head><title>Not counted here</title><style>p { color: red }</style></head>"
        "<body><p>One two   three</p><script>var notCounted = 1;</script>"
        "<noscript>hidden words</noscript><template><p>template words</p></template>"
        "<p>four | five \u2013 six!</p><!-- comment words --></body></html>"
    )
    assert run(html).word_count == 6


def test_latin_text() -> None:
    html = (
        "<html lang='fr'><head><title>Café  Crème</title>"
        "<meta name='description' content='Où est la gare ?'></head>"
        "<body><h1>Élégant &amp; naïf</h1><p>Größe über Straße, ça va déjà.</p></body></html>"
    )
    result = run(html)
    assert result.title == "Café Crème"
    assert result.meta_description == "Où est la gare ?"
    assert result.h1 == ["Élégant & naïf"]
    assert result.word_count == 2 + 6  # "&" alone is not a word


# --- links ----------------------------------------------------------------------------------


def test_links_resolution_dedupe_and_order() -> None:
    html = """
    <a href="other.html">1</a>
    <a href="../up/x?q=1#frag">2</a>
    <a href="?q=2">3</a>
    <a href="#top">4</a>
    <a href="//cdn.example.org/lib.js">5</a>
    <a href="https://Example.com:443/a#x">6</a>
    <a href="other.html#again">dup</a>
    <map><area href="/area" alt=""></map>
    <a href="  /spaced\n/path  ">7</a>
    <a>no href</a>
    """
    assert run(html).links == [
        "https://example.com/dir/other.html",
        "https://example.com/up/x?q=1",
        "https://example.com/dir/page.html?q=2",
        "https://example.com/dir/page.html",
        "https://cdn.example.org/lib.js",
        "https://example.com/a",
        "https://example.com/area",
        "https://example.com/spaced/path",
    ]


def test_links_fragment_of_page_url_is_dropped() -> None:
    result = run('<a href="#section">s</a>', url="https://example.com/p#frag")
    assert result.links == ["https://example.com/p"]


def test_base_href_is_used() -> None:
    html = (
        '<head><base href="/base/dir/"></head>'
        '<body><a href="x.html">x</a><a href="/root">r</a><a href="#f">f</a></body>'
    )
    assert run(html).links == [
        "https://example.com/base/dir/x.html",
        "https://example.com/root",
        "https://example.com/base/dir/",
    ]


def test_first_base_wins_and_bad_base_is_ignored() -> None:
    html = '<base href="https://other.example/b/"><base href="/second/"><a href="x">x</a>'
    assert run(html).links == ["https://other.example/b/x"]
    assert run('<base href="javascript:0"><a href="x">x</a>').links == ["https://example.com/dir/x"]


def test_non_http_schemes_are_ignored() -> None:
    html = (
        '<a href="javascript:void(0)">j</a><a href=" JavaScript:alert(1)">j</a>'
        '<a href="mailto:a@example.com">m</a><a href="tel:+4930123456">t</a>'
        '<a href="data:text/html,hi">d</a><a href="ftp://example.com/f">f</a>'
        '<a href="whatsapp://send?text=x">w</a><a href="https://example.com/ok">ok</a>'
    )
    assert run(html).links == ["https://example.com/ok"]


def test_unparseable_hrefs_are_skipped() -> None:
    html = (
        '<a href="http://[bad/x">1</a><a href="https://example.com:99999/">2</a>'
        '<a href="https://exa mple.com/">3</a><a href="http://">4</a>'
        f'<a href="https://example.com/{"x" * 5000}">long</a><a href="/fine">5</a>'
    )
    links = run(html).links
    assert links[-1] == "https://example.com/fine"
    assert len(links) == 2
    assert links[0].startswith("https://example.com/xxxx")


def test_backslashes_are_read_as_slashes() -> None:
    assert run(r'<a href="\\evil.example\x">x</a>').links == ["https://evil.example/x"]


def test_internal_and_external_counts_are_distinct_urls() -> None:
    html = (
        '<a href="/a">1</a><a href="/a#x">1 again</a><a href="https://www.example.com/b">2</a>'
        '<a href="https://other.org/">3</a><a href="https://other.org/#top">3 again</a>'
        '<a href="http://third.net/x">4</a><a href="mailto:x@example.com">not a link</a>'
    )
    result = run(html)
    assert result.links_internal == 2
    assert result.links_external == 2


def test_is_internal_gets_lower_case_ascii_host() -> None:
    hosts: list[str] = []

    def record(host: str) -> bool:
        hosts.append(host)
        return False

    extract(
        '<a href="https://WWW.Example.COM/x">1</a><a href="https://bücher.de/">2</a>',
        PAGE,
        record,
    )
    assert hosts == ["www.example.com", "xn--bcher-kva.de"]


def test_relative_links_without_usable_page_url() -> None:
    result = extract('<a href="/rel">r</a><a href="https://ok.example/">a</a>', "", in_scope)
    assert result.links == ["https://ok.example/"]


# --- emails --------------------------------------------------------------------------------


def test_emails_from_text_and_mailto() -> None:
    html = """
    <p>Write to Info@Example.COM or sales.team+de@sub.example.co.uk.</p>
    <p>Not emails: logo@2x.png, sprite@3x.webp, user@localhost, @handle, a@b.c, pkg@1.2.3</p>
    <a href="mailto:Support%40example.com?subject=Hello%20there&amp;body=x">mail</a>
    <a href="MAILTO:one@example.com,two@example.org">both</a>
    <a href="mailto:?subject=nobody">empty</a>
    <script>var hidden = "script@example.com";</script>
    """
    assert run(html).emails == [
        "info@example.com",
        "one@example.com",
        "sales.team+de@sub.example.co.uk",
        "support@example.com",
        "two@example.org",
    ]


def test_email_length_limits() -> None:
    long_local = "a" * 65 + "@example.com"
    long_domain = "x@" + "a" * 250 + ".com"
    assert run(f"<p>{long_local} {long_domain}</p>").emails == []
    ok = "a" * 64 + "@example.com"
    assert run(f"<p>{ok}</p>").emails == [ok]


def test_emails_are_unique_and_sorted() -> None:
    html = "<p>b@example.com a@example.com B@EXAMPLE.COM</p>"
    assert run(html).emails == ["a@example.com", "b@example.com"]


# --- phones --------------------------------------------------------------------------------


def test_tel_international() -> None:
    html = '<a href="tel:+49-30-1234567">call</a><a href="tel:%2B1%20201%20555%200123">us</a>'
    assert run(html).phones == ["+12015550123", "+49301234567"]


def test_tel_national_with_region() -> None:
    assert run('<a href="tel:030 1234567">call</a>', region="DE").phones == ["+49301234567"]
    assert run('<a href="tel:030 1234567">call</a>', region="de").phones == ["+49301234567"]


def test_tel_national_without_region_keeps_digits() -> None:
    assert run('<a href="tel:030 1234567">call</a>').phones == ["0301234567"]
    assert run('<a href="tel:+(0)">call</a>').phones == ["+0"]


def test_phones_in_text_with_region() -> None:
    html = (
        "<p>Tel. 030 12345678, Fax: +49 (0)30 98765432. Order no. 1234, "
        "updated 2024-05-17, price 19,99 €, HRB 123456 B</p>"
    )
    assert run(html, region="DE").phones == ["+493012345678", "+493098765432"]


def test_phones_in_text_without_region_only_international() -> None:
    html = "<p>Call 030 12345678 or +44 20 7946 0958.</p>"
    assert run(html).phones == ["+442079460958"]


def test_phone_split_over_elements() -> None:
    html = "<p>Phone: <span>+1</span> <span>(201) 555-0123</span></p>"
    assert run(html).phones == ["+12015550123"]


def test_phones_deduplicated_between_text_and_tel() -> None:
    html = '<p><a href="tel:+4930123456">+49 30 123456</a></p>'
    assert run(html, region="DE").phones == ["+4930123456"]


# --- socials -------------------------------------------------------------------------------


def test_socials_profiles_only() -> None:
    html = """
    <a href="https://twitter.com/acme?ref=footer#x">tw</a>
    <a href="https://twitter.com/intent/tweet?text=hi">share</a>
    <a href="https://x.com/acme/status/123">post</a>
    <a href="https://www.facebook.com/acme/">fb</a>
    <a href="https://www.facebook.com/sharer.php?u=x">share</a>
    <a href="https://m.facebook.com/sharer/sharer.php?u=x">share</a>
    <a href="https://www.linkedin.com/company/acme">li</a>
    <a href="https://www.linkedin.com/shareArticle?mini=true&url=x">share</a>
    <a href="https://www.youtube.com/@acme">yt</a>
    <a href="https://www.youtube.com/watch?v=abc">video</a>
    <a href="https://youtube.com/">home</a>
    <a href="https://www.instagram.com/acme/">ig</a>
    <a href="https://www.instagram.com/p/Cxyz/">post</a>
    <a href="https://github.com/acme">gh</a>
    <a href="https://www.tiktok.com/@acme">tt</a>
    <a href="https://mastodon.social/@acme">masto</a>
    <a href="https://bsky.app/profile/acme.bsky.social">bsky</a>
    <a href="https://bsky.app/intent/compose?text=x">share</a>
    <a href="https://www.pinterest.com/pin/create/button/?url=x">pin</a>
    <a href="https://pinterest.com/acme/">pin</a>
    <a href="https://www.threads.net/@acme">threads</a>
    <a href="https://twitter.com">bare</a>
    <a href="https://notsocial.example/acme">other</a>
    """
    assert run(html).socials == [
        "https://bsky.app/profile/acme.bsky.social",
        "https://github.com/acme",
        "https://mastodon.social/@acme",
        "https://pinterest.com/acme/",
        "https://twitter.com/acme",
        "https://www.facebook.com/acme/",
        "https://www.instagram.com/acme/",
        "https://www.linkedin.com/company/acme",
        "https://www.threads.net/@acme",
        "https://www.tiktok.com/@acme",
        "https://www.youtube.com/@acme",
    ]


def test_socials_unique() -> None:
    html = '<a href="https://github.com/acme">1</a><a href="https://github.com/acme?tab=x">2</a>'
    assert run(html).socials == ["https://github.com/acme"]


# --- the whole record and robustness ----------------------------------------------------------


def test_full_page() -> None:
    html = """<!DOCTYPE html>
    <html lang="en"><head>
      <title>Acme | Home</title>
      <meta name="description" content="Widgets.">
      <link rel="canonical" href="https://www.example.com/">
    </head><body>
      <h1>Welcome</h1>
      <p>Contact info@example.com</p>
      <a href="/about">About</a> <a href="https://partner.org/">Partner</a>
      <a href="https://github.com/acme">GitHub</a>
    </body></html>"""
    assert run(html, url="https://www.example.com/") == Extraction(
        title="Acme | Home",
        meta_description="Widgets.",
        h1=["Welcome"],
        canonical="https://www.example.com/",
        lang="en",
        word_count=6,
        links=[
            "https://www.example.com/about",
            "https://partner.org/",
            "https://github.com/acme",
        ],
        links_internal=1,
        links_external=2,
        emails=["info@example.com"],
        phones=[],
        socials=["https://github.com/acme"],
    )


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "\x00",
        "<p>a\x00b</p>",
        "\ud800<p>lone surrogate</p>",
        "<!-- only a comment -->",
        "<?xml version='1.0' encoding='latin1'?><html><body><p>x</p></body></html>",
        "<<<>>><a href=<a href='",
        "<a href='" + "%" * 100_000 + "'>huge</a>",
        "<meta name=description content='" + "x " * 50_000 + "'>",
        "<p>" + "1 " * 20_000 + "</p>",
        "<p>" + "@" * 10_000 + "</p>",
    ],
)
def test_garbage_never_raises(html: str) -> None:
    result = run(html, region="DE")
    assert isinstance(result, Extraction)


def test_parses_as_html_whatever_the_first_bytes_say() -> None:
    html = '<?xml version="1.0"?><html><head><title>T</title></head><body><h1>X</h1></body></html>'
    result = run(html)
    assert result.title == "T"
    assert result.h1 == ["X"]


_MARKUP = st.sampled_from(
    [
        "<a href='",
        "<a href=",
        "'>",
        ">",
        "<area href='",
        "<base href='",
        "<h1>",
        "</h1>",
        "<title>",
        "<meta name=DESCRIPTION content='",
        "<link rel=canonical href='",
        "<script>",
        "</script>",
        "<template>",
        "<noscript>",
        "<!--",
        "<![CDATA[",
        "<svg><title>",
        "mailto:",
        "tel:",
        "javascript:",
        "http://",
        "https://",
        "//",
        "../",
        "#",
        "?",
        "\\",
        "[",
        ":",
        "%",
        "@",
        "x@y.com",
        "+49 30 1234567",
        "030 123456",
        "\x00",
        "&#0;",
        "é",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.one_of(_MARKUP, st.text(max_size=12)), max_size=40),
    page_url=st.one_of(st.sampled_from([PAGE, "", "not a url", "http://[::1]/"]), st.text()),
    region=st.sampled_from([None, "DE", "US", "XX", ""]),
)
def test_arbitrary_text_never_raises(parts: list[str], page_url: str, region: str | None) -> None:
    result = extract("".join(parts), page_url, in_scope, region)
    assert result.links_internal + result.links_external == len(result.links)
    assert len(set(result.links)) == len(result.links)
    assert all(link.startswith(("http://", "https://")) for link in result.links)
    assert all("#" not in link for link in result.links)
    assert result.emails == sorted(set(result.emails))
    assert result.phones == sorted(set(result.phones))
    assert result.socials == sorted(set(result.socials))


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_ascii_word_count_fast_path_matches_the_general_rule(text: str) -> None:
    from tui_scraper.engine.extract import _count_words, _count_words_unicode

    assert _count_words(text) == _count_words_unicode(text)


def test_headings_of_the_demo_web_read_as_its_truth_says() -> None:
    """Every inline, block, <br> and ruby heading shape the demo web writes, against its truth."""
    from tui_scraper.demo import build_demo_web

    shapes = ("<sup>", "<ruby>", "<h1><div>", "<h1><small>", "<br>")
    seen: set[str] = set()
    for site in build_demo_web(seed=7).sites.values():
        if site.kind == "big" or site.infinite:
            continue
        for page in site.pages.values():
            html = page.html()
            found = {shape for shape in shapes if shape in html}
            if not found or page.stream_bytes:
                continue
            seen |= found
            assert run(html, url=page.url).h1 == list(page.h1), page.url
    assert seen == set(shapes)
