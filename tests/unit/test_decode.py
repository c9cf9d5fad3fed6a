"""Tests for tui_scraper.engine.decode: browser-like encoding sniffing."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_scraper.engine.decode import decode_html, is_html


def test_bom_beats_header_and_meta() -> None:
    body = codecs.BOM_UTF8 + b'<meta charset="koi8-r"><p>h\xc3\xa9</p>'
    text, encoding = decode_html(body, "text/html; charset=iso-8859-1")
    assert encoding == "utf-8"
    assert text == '<meta charset="koi8-r"><p>hé</p>'  # BOM stripped


def test_utf16_boms() -> None:
    le = codecs.BOM_UTF16_LE + "<p>ü</p>".encode("utf-16-le")
    be = codecs.BOM_UTF16_BE + "<p>ü</p>".encode("utf-16-be")
    assert decode_html(le, "text/html; charset=utf-8") == ("<p>ü</p>", "utf-16-le")
    assert decode_html(be, None) == ("<p>ü</p>", "utf-16-be")


def test_header_beats_meta() -> None:
    body = b'<meta charset="utf-8"><p>\xe9t\xe9</p>'
    text, encoding = decode_html(body, "text/html; charset=ISO-8859-15")
    assert encoding == "iso8859-15"
    assert "été" in text


def test_meta_used_without_header_charset() -> None:
    body = b'<html><head><meta charset="windows-1251"></head><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>'
    text, encoding = decode_html(body, "text/html")
    assert encoding == "cp1251"
    assert "Привет" in text


def test_meta_http_equiv() -> None:
    body = (
        b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
        b"<p>\xf0\xd2\xc9\xd7\xc5\xd4</p>"
    )
    text, encoding = decode_html(body, None)
    assert encoding == "koi8-r"
    assert "Привет" in text


def test_meta_beyond_first_1024_bytes_is_ignored() -> None:
    body = b"<!-- " + b"x" * 1100 + b' --><meta charset="koi8-r"><p>caf\xc3\xa9</p>'
    text, encoding = decode_html(body, None)
    assert encoding == "utf-8"
    assert "café" in text


def test_unknown_header_label_falls_through_to_meta() -> None:
    body = b'<meta charset="windows-1252"><p>\x80</p>'
    assert decode_html(body, "text/html; charset=no-such-charset") == (
        '<meta charset="windows-1252"><p>€</p>',
        "cp1252",
    )


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "latin1", "ascii", "us-ascii"])
def test_latin1_labels_mean_windows_1252(label: str) -> None:
    text, encoding = decode_html(b"<p>\x80 \x93q\x94</p>", f"text/html; charset={label}")
    assert encoding == "cp1252"
    assert text == "<p>€ “q”</p>"


def test_latin1_meta_means_windows_1252() -> None:
    text, _ = decode_html(b"<meta charset=iso-8859-1><p>\x80</p>", None)
    assert text.endswith("<p>€</p>")


def test_meta_utf16_means_utf8() -> None:
    # A page that can declare its charset in ASCII is not UTF-16 (WHATWG prescan rule).
    text, encoding = decode_html(b'<meta charset="utf-16"><p>\xc3\xa9</p>', None)
    assert encoding == "utf-8"
    assert text.endswith("<p>é</p>")


def test_header_utf16_means_little_endian() -> None:
    body = "<p>hi</p>".encode("utf-16-le")
    assert decode_html(body, "text/html; charset=utf-16") == ("<p>hi</p>", "utf-16-le")


@pytest.mark.parametrize("label", ["base64", "rot13", "undefined", "utf-7", "idna"])
def test_non_web_codecs_are_not_used(label: str) -> None:
    text, encoding = decode_html(b"<p>abc+ADw-</p>", f"text/html; charset={label}")
    assert encoding == "utf-8"
    assert text == "<p>abc+ADw-</p>"


def test_detection_without_any_declaration() -> None:
    body = ("<p>Les élèves sont allés à l'école où ils ont étudié le français.</p>" * 20).encode(
        "cp1252"
    )
    text, encoding = decode_html(body, None)
    assert encoding == "cp1252"
    assert "élèves" in text


def test_detection_looks_past_an_ascii_head() -> None:
    # Kilobytes of ASCII script first: the detector must see the text that is not UTF-8.
    head = b"<html><head><script>" + b"var a = 1;" * 1000 + b"</script></head><body>"
    text_ = "<p>Привет, мир! Это тестовая страница на русском языке, мы продаём товары.</p>" * 5
    text, encoding = decode_html(head + text_.encode("cp1251"), None)
    assert encoding == "cp1251"
    assert text.endswith(text_)


def test_valid_utf8_without_declaration() -> None:
    body = "<p>Grüße, 東京</p>".encode()
    assert decode_html(body, "text/html") == ("<p>Grüße, 東京</p>", "utf-8")


def test_broken_utf8_is_replaced_not_raised() -> None:
    text, encoding = decode_html(b"<p>ok \xff\xfe\xc3 broken</p>", "text/html; charset=utf-8")
    assert encoding == "utf-8"
    assert "\ufffd" in text
    assert text.startswith("<p>ok ")


def test_empty_body() -> None:
    assert decode_html(b"", None) == ("", "utf-8")


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=2048),
    content_type=st.one_of(
        st.none(),
        st.text(max_size=60),
        st.builds(lambda label: f"text/html; charset={label}", st.text(max_size=20)),
        st.sampled_from(
            [
                "text/html; charset=utf-16",
                "text/html; charset=utf-32",
                'text/html; charset="iso-8859-1"',
                "text/html; charset=x-user-defined",
                "text/html; charset=gb2312",
            ]
        ),
    ),
)
def test_decode_never_raises(body: bytes, content_type: str | None) -> None:
    text, encoding = decode_html(body, content_type)
    assert isinstance(text, str)
    assert codecs.lookup(encoding)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, True),
        ("", True),
        ("text/html", True),
        ("TEXT/HTML; charset=utf-8", True),
        (" application/xhtml+xml ;q=1", True),
        ("application/json", False),
        ("image/png", False),
        ("text/plain; charset=utf-8", False),
        ("application/xml", False),
    ],
)
def test_is_html(content_type: str | None, expected: bool) -> None:
    assert is_html(content_type) is expected
