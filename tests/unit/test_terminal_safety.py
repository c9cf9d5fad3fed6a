"""One escaping function covers every class of dangerous character."""

from __future__ import annotations

import json

from tests.helpers.hostile import HOSTILE


def test_one_escaping_function_covers_every_class() -> None:
    from tui_scraper.text import safe_json, safe_text, safe_value

    assert safe_text("\t\n\x00\x1b\x7f\x80\x9f\u202a\u202e\u2066\u2069\udcff") == (
        "\t\\x0a\\x00\\x1b\\x7f\\x80\\x9f\\u202a\\u202e\\u2066\\u2069\\udcff"
    )
    assert safe_text("a\nb", keep_newlines=True) == "a\nb"
    assert safe_value({"k\x1b": [["\x9b"], {"x": "\u202e"}], "n": 1}) == {
        "k\\x1b": [["\\x9b"], {"x": "\\u202e"}],
        "n": 1,
    }
    assert json.loads(safe_json(json.dumps({"t": HOSTILE}, ensure_ascii=False))) == {"t": HOSTILE}
