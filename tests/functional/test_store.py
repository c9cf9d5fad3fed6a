"""The store: durable after kill -9 at any point, resumable, readable, exportable."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
import time
from pathlib import Path

import pytest

from tests.helpers.cli import CLI, assert_one_line_error, crawl_args, run_cli, start_cli
from tests.helpers.store import FINISHED, batch_domains_of, check_store, page_record, write_batch
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.demo.sites import (
    MISBEHAVING_HOSTS,
    PRIVATE_REDIRECT_KINDS,
    TLS_FAILING_KINDS,
)
from tui_scraper.export import PAGE_FIELDS
from tui_scraper.store import Store

KILLS = 12


async def test_sigkill_at_many_points_then_resume(demo_web: DemoWeb, tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    kills = 0
    async with DemoServer(demo_web, latency=0.02) as server:
        args = crawl_args(server, db)
        process = await start_cli("crawl", *batch_domains_of(demo_web), *args)
        previous_pages: set[tuple[str, str]] = set()
        previous_done: set[str] = set()
        while kills < KILLS:
            base = server.stats.total_requests
            try:
                await server.wait_until(lambda s, b=base: s.total_requests >= b + 25, 30)
            except TimeoutError:
                break  # the batch finished before this kill point
            if process.returncode is not None:
                break
            process.kill()  # SIGKILL: no cleanup at all
            await process.wait()
            kills += 1
            state = check_store(db)
            # Nothing a finished domain had on disk is ever lost.
            pages_now = {(p["job_id"], p["url"]) for p in state["pages"]}
            kept = {key for key in previous_pages if key[0] in previous_done}
            assert kept <= pages_now
            previous_pages = pages_now
            previous_done = {d["job_id"] for d in state["domains"] if d["status"] in FINISHED}
            batch_id = state["batch"]["batch_id"]
            # A crash found on the next open: the batch reads as interrupted.
            assert state["batch"]["status"] == "interrupted"
            process = await start_cli("resume", batch_id, *args)
        code = await process.wait()
    assert kills == KILLS
    assert code == 0
    final = check_store(db)
    assert final["batch"]["status"] == "completed"
    assert all(d["status"] in FINISHED for d in final["domains"])
    assert final["batch"]["counts"]["pages"] == len(final["pages"])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_signal_interrupts_saves_and_resumes(
    demo_web: DemoWeb, tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "store.json"
    async with DemoServer(demo_web, latency=0.05) as server:
        args = crawl_args(server, db)
        process = await start_cli("crawl", *batch_domains_of(demo_web), *args, capture=True)
        await server.wait_until(lambda s: s.total_requests >= 40, 30)
        process.send_signal(signum)
        sent = time.monotonic()
        async with asyncio.timeout(10):
            code = await process.wait()
        stopped_in = time.monotonic() - sent
        assert code == 130, (await process.stderr.read()).decode()  # type: ignore[union-attr]
        state = check_store(db)
        assert state["batch"]["status"] == "interrupted"
        assert state["pages"]
        unfinished = [d for d in state["domains"] if d["status"] not in FINISHED]
        assert unfinished
        code, _out, err = await run_cli("resume", state["batch"]["batch_id"][:8], *args)
        assert code == 0, err
    final = check_store(db)
    assert final["batch"]["status"] == "completed"
    assert all(d["status"] in FINISHED for d in final["domains"])
    print(f"stopped {stopped_in:.2f}s after signal {signum}")


FOREIGN_FILES = {
    "invalid JSON": b'{"batches": {',
    "a JSON list": b"[1, 2, 3]",
    "another TinyDB app": b'{"_default": {"1": {"name": "x"}}}',
    "unmarked tables": b'{"batches": {}}',
    "binary": bytes(range(256)),
}


@pytest.mark.parametrize("content", FOREIGN_FILES.values(), ids=FOREIGN_FILES.keys())
async def test_foreign_or_corrupt_file_is_refused_and_untouched(
    tmp_path: Path, content: bytes
) -> None:
    db = tmp_path / "other.json"
    db.write_bytes(content)
    for args in (["crawl", "example.test"], ["batches"], ["resume", "abc"]):
        code, _out, err = await run_cli(*args, "--db", str(db))
        assert code == 2
        assert_one_line_error(err, "is not a tui-scraper store")
        assert db.read_bytes() == content
    assert not db.with_name(db.name + ".batches").exists()


async def test_unknown_batch_id_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    Store.open(str(db), write=True).close()
    for command in (["show", "nope"], ["export", "nope", "--format", "csv"], ["resume", "nope"]):
        code, _out, err = await run_cli(*command, "--db", str(db))
        assert code == 2
        assert_one_line_error(err, "no batch 'nope'")


async def test_export_jsonl_round_trips_every_field(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    pages = [page_record("x", "job-1", n, title=f"Page {n}") for n in range(1200)]
    batch_id = write_batch(
        db, [{**p, "batch_id": "b" * 8 + "-0000-4000-8000-" + "0" * 12} for p in pages]
    )
    out = tmp_path / "pages.jsonl"
    code, _out, err = await run_cli(
        "export", batch_id, "--format", "jsonl", "-o", str(out), "--db", str(db)
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1200
    assert [list(row) for row in rows[:1]] == [list(PAGE_FIELDS)]
    expected = [{**p, "batch_id": batch_id} for p in pages]
    assert rows == expected


async def test_export_csv_neutralizes_formulas(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    titles = ['=HYPERLINK("http://x")', "+1 555", "-2+3", "@SUM(A1)", "\tTab", "Plain"]
    batch_id = write_batch(
        db, [page_record("x", "job-1", n, title=title) for n, title in enumerate(titles)]
    )
    code, out, err = await run_cli("export", batch_id, "--format", "csv", "--db", str(db))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["title"] for row in rows] == [
        '\'=HYPERLINK("http://x")',
        "'+1 555",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab",
        "Plain",
    ]
    assert list(rows[0]) == list(PAGE_FIELDS)
    assert json.loads(rows[0]["h1"]) == ["Hello", "World"]
    assert rows[0]["status"] == "200"

    code, out, _err = await run_cli(
        "export", batch_id, "--format", "csv", "--domains", "--db", str(db)
    )
    assert code == 0
    domain_rows = list(csv.DictReader(io.StringIO(out)))
    assert domain_rows[0]["domain"] == "example.test"
    assert domain_rows[0]["pages_ok"] == str(len(titles))


async def test_batches_and_show_list_the_store(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    batch_id = write_batch(db, [page_record("x", "job-1", 1)])
    code, out, _err = await run_cli("batches", "--json", "--db", str(db))
    assert code == 0
    docs = json.loads(out)
    assert [d["batch_id"] for d in docs] == [batch_id]
    assert docs[0]["status"] == "completed"
    assert docs[0]["counts"] == {"domains": 1, "done": 1, "failed": 0, "cancelled": 0, "pages": 1}
    code, out, _err = await run_cli("batches", "--db", str(db))
    assert batch_id in out and "completed" in out
    code, out, _err = await run_cli("show", batch_id[:6], "--db", str(db))
    assert code == 0
    assert "example.test" in out and "done" in out


async def test_interrupted_demo_batch_resumes_against_a_fresh_demo_web(tmp_path: Path) -> None:
    """The demo server's address is not stored: resume serves the demo web again."""
    db = tmp_path / "store.json"
    fast = ["--db", str(db), "--max-pages", "3", "--timeout", "1"]
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "demo",
        "--headless",
        *fast,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    async with asyncio.timeout(60):
        while b"[5/" not in await process.stderr.readline():  # five domains finished
            pass
    process.send_signal(signal.SIGINT)
    assert await process.wait() == 130
    with Store.open(str(db)) as store:
        [batch] = store.all_batches()
    assert batch["demo_seed"] == 7
    assert not any(":443:127.0.0.1" in rule for rule in batch["settings"]["connect_to"])
    code, _out, err = await run_cli("resume", batch["batch_id"], *fast)
    assert code == 3, err  # the demo web's misbehaving sites fail by design
    state = check_store(db)
    assert state["batch"]["status"] == "completed"
    failed = {d["domain"] for d in state["domains"] if d["status"] == "failed"}
    assert failed <= {
        "hanging-server.test",
        "redirect-loop.test",
        "start-404.test",
        "robots-5xx.test",
        "silent-dns.test",
        *(MISBEHAVING_HOSTS[kind] for kind in TLS_FAILING_KINDS | PRIVATE_REDIRECT_KINDS),
    }, failed
