"""Custom fields (`--field NAME=SELECTOR`): parsed and checked once, read on every page,
stored as `fields`, exported as one CSV column each; against demo pages with known values."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tests.helpers.fields import CANONICAL, DESCRIPTION, PAGE
from tui_scraper.cli import main
from tui_scraper.engine.extract import extract
from tui_scraper.engine.fields import FieldSpec, parse_field_spec, parse_field_specs
from tui_scraper.settings import SettingError, Settings


def test_css_and_xpath_specs() -> None:
    price = parse_field_spec("price=css:.price::text")
    links = parse_field_spec(" links = xpath: //a/@href ")
    assert price == FieldSpec("price", "css", ".price::text")
    assert links == FieldSpec("links", "xpath", "//a/@href")
    result = extract(PAGE, "https://shop.test/", lambda host: True, None, (price, links))
    assert result.fields == {"price": ["12.50", "9.99"], "links": ["/a", "/b"]}


def test_no_match_is_an_empty_list_and_non_text_results_are_strings() -> None:
    specs = parse_field_specs(["none=css:.missing", "count=xpath:count(//a)"])
    result = extract(PAGE, "https://shop.test/", lambda host: True, None, specs)
    assert result.fields == {"none": [], "count": ["2.0"]}


def test_specs_pickle_for_the_process_pool() -> None:
    specs = parse_field_specs([CANONICAL, DESCRIPTION])
    assert pickle.loads(pickle.dumps(specs)) == specs


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("price=css:.price[", "SelectorSyntaxError"),
        ("price=xpath://p[", "XPath error"),
        ("price=css:", "the selector is empty"),
        ("price=jq:.price", "must start with css: or xpath:"),
        ("price", "expected NAME=css:SELECTOR"),
        ("my price=css:p", "the name must be"),
    ],
)
def test_bad_field_refused_when_parsed(value: str, reason: str) -> None:
    with pytest.raises(SettingError, match=reason):
        Settings(field=[value]).validate()


def test_same_name_twice_refused() -> None:
    with pytest.raises(SettingError, match="given twice"):
        Settings(field=["a=css:p", "a=xpath://p"]).validate()


def test_bad_selector_exits_2_with_parsels_error_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["crawl", "a.test", "--db", str(tmp_path / "s.json"), "--field", "p=css:a[b"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("tui-scraper: error: --field 'p=css:a[b': SelectorSyntaxError")
    assert not (tmp_path / "s.json").exists()  # refused before anything started
