"""The headless command as a user runs it: a real process, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_line_error, free_port, run_cli
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.store import Store


async def test_only_invalid_lines_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    code, _out, err = await run_cli(
        "crawl", "--db", str(db), "-f", "-", stdin=b"not a domain!\nftp://x\nhttp://\na..b\n"
    )
    assert code == 2
    assert_one_line_error(err, "no valid domain (4 lines rejected)")
    for line in (1, 2, 3, 4):
        assert f"skipped line {line}:" in err
    assert not db.exists()  # nothing ran, nothing written


async def test_missing_file_exit_2(tmp_path: Path) -> None:
    code, _out, err = await run_cli("crawl", "-f", str(tmp_path / "nope.txt"))
    assert code == 2
    assert_one_line_error(err, "no such file")


async def test_unreachable_proxy_exit_2(tmp_path: Path) -> None:
    proxy = f"http://127.0.0.1:{free_port()}"
    code, _out, err = await run_cli(
        "crawl", "example.test", "--db", str(tmp_path / "s.json"), "--proxy", proxy
    )
    assert code == 2
    assert_one_line_error(err, f"proxy {proxy} is unreachable")


async def test_bad_proxy_url_exit_2() -> None:
    code, _out, err = await run_cli("crawl", "example.test", "--proxy", "ftp://proxy")
    assert code == 2
    assert_one_line_error(err, "must be an http:// URL")


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--concurrency", "0", "must be at least 1"),
        ("--timeout", "soon", "must be a number"),
        ("--connect-to", "nonsense", "HOST1:PORT1:HOST2:PORT2"),
    ],
)
async def test_bad_setting_exit_2(flag: str, value: str, message: str) -> None:
    code, _out, err = await run_cli("crawl", "example.test", flag, value)
    assert code == 2
    assert "Traceback" not in err
    assert message in err


async def test_corrupt_store_exit_2_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "notes.json"
    db.write_text('{"my": "own notes"}')
    code, _out, err = await run_cli("crawl", "example.test", "--db", str(db))
    assert code == 2
    assert_one_line_error(err, "is not a tui-scraper store")
    assert db.read_text() == '{"my": "own notes"}'


async def test_crawl_json_summary_and_exit_codes(demo_web: DemoWeb, tmp_path: Path) -> None:
    good = demo_web.sites_of_kind("normal")[0].host
    bad = demo_web.by_kind("start_404").host
    db = tmp_path / "store.json"
    async with DemoServer(demo_web) as server:
        rules = [arg for rule in server.connect_to for arg in ("--connect-to", rule)]
        rules += ["--ca-bundle", server.ca_path]
        code, out, err = await run_cli(
            "crawl", good, "--db", str(db), "--json", "--max-pages", "5", *rules
        )
        assert code == 0, err
        summary = json.loads(out)
        assert summary["status"] == "completed"
        assert summary["counts"]["done"] == 1
        assert summary["domain_results"][0]["pages_ok"] == 5
        assert f"{good} done" in err  # progress went to stderr

        code, out, err = await run_cli(
            "crawl", good, bad, "not a domain!", "--db", str(db), "--max-pages", "3", *rules
        )
        assert code == 3, err
        assert bad in out and "HTTP 404" in out
        assert "skipped line 3" in err

    store = Store.open(str(db))
    batches = store.all_batches()
    assert len(batches) == 2
    assert batches[1]["rejected"] == [
        {"line": 3, "input": "not a domain!", "reason": batches[1]["rejected"][0]["reason"]}
    ]
    pages = list(store.batch_pages(batches[0]["batch_id"]))
    assert len(pages) == 5


async def test_unwritable_store_location_exit_2() -> None:
    code, _out, err = await run_cli("crawl", "example.test", "--db", "/proc/tui-scraper.json")
    assert code == 2
    assert_one_line_error(err, "cannot write the store")


def test_export_to_a_terminal_escapes_control_characters() -> None:
    from tui_scraper.cli import terminal_safe

    row = {"title": "A\x1b]0;pwn\x07B \x9b31m", "status": 200, "h1": ["x"]}
    assert terminal_safe(row) == {
        "title": "A\\x1b]0;pwn\\x07B \\x9b31m",
        "status": 200,
        "h1": ["x"],
    }
