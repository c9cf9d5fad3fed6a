"""Custom fields (`--field NAME=SELECTOR`): parsed and checked once, read on every page,
stored as `fields`, exported as one CSV column each; against demo pages with known values."""

from __future__ import annotations

import csv
import io
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.demo import demo_settings, run_batch
from tests.helpers.store import store_batch
from tui_scraper.cli import main
from tui_scraper.demo import DemoWeb
from tui_scraper.engine.extract import extract
from tui_scraper.engine.fields import FieldSpec, parse_field_spec, parse_field_specs
from tui_scraper.engine.parse import ProcessPageParser
from tui_scraper.export import PAGE_FIELDS
from tui_scraper.settings import SettingError, Settings

CANONICAL = "canonical=css:link[rel=canonical]::attr(href)"
LOWER = "translate(@name, 'DESCRIPTION', 'description')"
DESCRIPTION = f"desc=xpath://meta[{LOWER}='description'][1]/@content"
MAILTO = "mailto=css:a[href^='mailto:']::attr(href)"
PAGE = """<html><body>
<p class="price"> 12.50 </p><p class="price">9.99</p><p class="price">  </p>
<a href="/a">A</a><a href="/b">B</a>
</body></html>"""


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


async def test_fields_read_in_a_worker_process() -> None:
    parser = ProcessPageParser(processes=1, pool_above_pages_per_s=0)
    specs = parse_field_specs(["price=css:.price::text"])
    try:
        first = await parser.parse(PAGE.encode(), "text/html", "http://a.test/", "a.test", None)
        result = await parser.parse(
            PAGE.encode(), "text/html", "http://a.test/", "a.test", None, specs
        )
        assert parser._pool is not None
    finally:
        await parser.close()
    assert first.fields == {}
    assert result.fields == {"price": ["12.50", "9.99"]}


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


async def test_demo_pages_get_their_known_values(
    demo_server: Any, demo_web: DemoWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = demo_web.sites_of_kind("normal")[0]
    settings = demo_settings(demo_server, max_pages=8, field=[CANONICAL, DESCRIPTION, MAILTO])
    run = await run_batch(settings, [site.host])
    pages = run.pages[site.host]
    assert len(pages) == 8
    for page in pages:
        truth = site.page(site.path_of(page["final_url"]) or "")
        assert truth is not None
        if truth.status != 200:
            assert page["fields"] == {}
            continue
        mailtos = page["fields"]["mailto"]
        assert page["fields"]["canonical"] == ([truth.canonical] if truth.canonical else [])
        description = truth.meta_description
        assert page["fields"]["desc"] == ([description] if description else [])
        assert {m.removeprefix("mailto:").split("?")[0] for m in mailtos} <= set(truth.emails)

    db = str(tmp_path / "store.json")
    batch_id = store_batch(db, run)
    assert main(["export", batch_id, "--db", db, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 8
    header = list(rows[0])
    assert header.index("fields.canonical") + 2 == header.index("fields.mailto")
    assert header[: -len(["canonical", "desc", "mailto"])] == list(PAGE_FIELDS)
    by_url = {page["url"]: page for page in pages}
    for row in rows:
        fields = by_url[row["url"]]["fields"]
        for name in ("canonical", "desc", "mailto"):
            values = fields.get(name) or []
            if not values:
                assert row[f"fields.{name}"] == ""
            elif len(values) == 1:
                assert row[f"fields.{name}"] == values[0]
            else:
                assert json.loads(row[f"fields.{name}"]) == values

    assert main(["export", batch_id, "--db", db, "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {line["url"]: line["fields"] for line in lines} == {
        url: page["fields"] for url, page in by_url.items()
    }


async def test_the_domain_screen_shows_a_pages_custom_fields() -> None:
    from textual.app import App
    from textual.widgets import Static

    from tui_scraper.app.screens.domain import DomainScreen
    from tui_scraper.app.state import DomainRow, PageRow

    row = DomainRow(job_id="j", domain="shop.test", start_url="https://shop.test/")
    fields = {"price": ["12.50", "9.99"], "sku": [f"A{n}" for n in range(8)], "none": []}
    row.page_rows.append(
        PageRow("https://shop.test/", 200, "Shop", ["Shop"], [], None, 0.1, fields=fields)
    )

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(DomainScreen(row, live=False, max_pages=5, clock=lambda: 0.0))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        detail = str(app.screen.query_one("#page-detail", Static).render())
    assert "price 12.50, 9.99" in detail
    assert "sku A0, A1, A2, A3, A4 (+3 more)" in detail
