"""Custom fields on crawled demo pages, in a worker process and on the domain screen."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.demo import demo_settings, run_batch
from tests.helpers.fields import CANONICAL, DESCRIPTION, PAGE
from tests.helpers.store import store_batch
from tui_scraper.cli import main
from tui_scraper.demo import DemoWeb
from tui_scraper.engine.fields import parse_field_specs
from tui_scraper.engine.parse import ProcessPageParser
from tui_scraper.export import PAGE_FIELDS

MAILTO = "mailto=css:a[href^='mailto:']::attr(href)"


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
