"""Every numeric setting has a documented range; proxy credentials are used, never kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_line_error, free_port, run_cli
from tui_scraper.cli import build_parser
from tui_scraper.engine.crawl import DomainJob, new_domain_record
from tui_scraper.engine.events import BatchStarted
from tui_scraper.settings import (
    Setting,
    SettingError,
    Settings,
    parse_setting,
    settings_schema,
)
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

NUMERIC = [spec for spec in settings_schema() if spec.kind in (int, float)]
SECRET = "s3cret-pw"


@pytest.mark.parametrize("spec", NUMERIC, ids=[spec.name for spec in NUMERIC])
def test_every_numeric_setting_has_a_documented_maximum(spec: Setting) -> None:
    assert spec.maximum is not None
    too_big = int(spec.maximum) * 10 + 1
    with pytest.raises(SettingError, match=f"{spec.flag} must be at most"):
        parse_setting(spec.name, str(too_big))
    with pytest.raises(SettingError, match="must be at most"):
        Settings.from_dict({spec.name: too_big})  # a stored batch is checked the same way
    crawl_help = " ".join(_command_help("crawl").split())  # argparse wraps lines
    assert f"{spec.flag} " in crawl_help
    assert f"; {spec.range_text})" in crawl_help


def _command_help(command: str) -> str:
    parser = build_parser()
    subparsers = next(
        action for action in parser._actions if action.__class__.__name__ == "_SubParsersAction"
    )
    return subparsers.choices[command].format_help()  # type: ignore[attr-defined]


async def test_a_million_per_domain_is_refused_at_once(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    code, _out, err = await run_cli(
        "crawl", f"127.0.0.1:{free_port()}", "--per-domain", "1000000", "--db", str(db)
    )
    assert code == 2
    assert err == "tui-scraper: error: --per-domain must be at most 64\n"  # one line
    assert not db.exists()


@pytest.mark.parametrize("value", ["bot\r\nX-Evil: 1", "bot\nx", "bot\x1b[2J"])
async def test_user_agent_with_control_characters_is_refused_when_parsed(
    value: str, tmp_path: Path
) -> None:
    db = tmp_path / "store.json"
    code, _out, err = await run_cli("crawl", "example.test", "--user-agent", value, "--db", str(db))
    assert code == 2
    assert_one_line_error(err, "--user-agent must not contain control characters")


def test_nul_in_a_setting_is_refused_when_parsed() -> None:
    with pytest.raises(SettingError, match="must not contain control characters"):
        parse_setting("user_agent", "bot\x00x")
    with pytest.raises(SettingError, match="must not contain control characters"):
        Settings(connect_to=["a:1:b\r\n:2"]).validate()


def test_mask_credentials() -> None:
    from tui_scraper.settings import mask_credentials

    assert mask_credentials("http://user:pw@proxy.test:3128/") == "http://***@proxy.test:3128/"
    assert mask_credentials("http://u@p@h:1") == "http://***@h:1"
    assert mask_credentials("http://proxy.test:3128") == "http://proxy.test:3128"
    assert Settings(proxy="http://a:b@h:1").to_dict()["proxy"] == "http://***@h:1"


@pytest.fixture
async def dead_end_proxy() -> AsyncIterator[int]:
    """A listening 'proxy' that hangs up on every request."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1000)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_proxy_credentials_never_stored_printed_or_shown(
    dead_end_proxy: int, tmp_path: Path
) -> None:
    db = tmp_path / "store.json"
    proxy = f"http://user:{SECRET}@127.0.0.1:{dead_end_proxy}"
    code, out, err = await run_cli(
        "crawl",
        "http://example.test/",
        "--proxy",
        proxy,
        "--retries",
        "0",
        "--db",
        str(db),
        "--json",
    )
    assert code == 3, err
    assert SECRET not in out and SECRET not in err
    code, out, err = await run_cli("batches", "--json", "--db", str(db))
    assert code == 0
    assert SECRET not in out and "user:" not in out
    (batch,) = json.loads(out)
    assert batch["settings"]["proxy"] == f"http://***@127.0.0.1:{dead_end_proxy}"
    for path in [db, *db.with_name(db.name + ".batches").rglob("*")]:
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()


async def test_resume_of_a_proxy_batch_needs_the_proxy_again(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    target = parse_targets("example.test").targets[0]
    job = DomainJob("d" * 8 + "-0000-4000-8000-" + "0" * 12, "job-1", target)
    settings = Settings(proxy=f"http://user:{SECRET}@127.0.0.1:9").to_dict()
    with Store.open(str(db), write=True) as store:  # left running: interrupted on the next open
        writer = StoreWriter(store)
        writer(BatchStarted(job.batch_id, settings, [new_domain_record(job)]))
        writer.close()
    code, _out, err = await run_cli("resume", job.batch_id, "--db", str(db))
    assert code == 2
    assert_one_line_error(err, "give --proxy URL again")
    closed = f"http://user:{SECRET}@127.0.0.1:{free_port()}"
    code, _out, err = await run_cli("resume", job.batch_id, "--proxy", closed, "--db", str(db))
    assert code == 2
    assert_one_line_error(err, "is unreachable")  # past the refusal: the proxy given is used
    assert SECRET not in err
