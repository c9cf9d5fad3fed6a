"""The one batch service: the CLI and the app wire a batch the same way, through it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.app import SIZE, finished, wait_for
from tests.helpers.cli import run_cli
from tui_scraper.app import make_app
from tui_scraper.demo import build_demo_web
from tui_scraper.engine.events import BatchStatus, FetchStarted
from tui_scraper.service import BatchService, NothingToResume
from tui_scraper.settings import Settings
from tui_scraper.store import Store
from tui_scraper.targets import parse_targets

FAST = {"max_pages": 2, "timeout": 1.0, "retries": 0, "concurrency": 20}
# What may differ between two runs of the same batch
PER_RUN = {"batch_id", "created_at", "finished_at", "counts"}


def stored_batch(db: Path) -> dict[str, Any]:
    with Store.open(str(db)) as store:
        [batch] = store.all_batches()
    return batch


async def test_the_cli_and_the_app_store_the_same_demo_batch(tmp_path: Path) -> None:
    cli_db, app_db = tmp_path / "cli.json", tmp_path / "app.json"
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in FAST.items()]
    code, _out, err = await run_cli("demo", "--headless", "--db", str(cli_db), *flags)
    assert code == 3, err  # the demo web's failing sites fail
    web = build_demo_web(seed=7)
    app = make_app(
        settings=Settings(**FAST),  # type: ignore[arg-type]
        db_path=str(app_db),
        domains_text="\n".join(web.demo_domains()),
        demo_web=web,
        autostart=True,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: finished(app), timeout=90)
        await pilot.press("q")
    from_cli, from_app = stored_batch(cli_db), stored_batch(app_db)
    assert set(from_cli) == set(from_app)
    for field in sorted(set(from_cli) - PER_RUN):
        assert from_cli[field] == from_app[field], field
    # Neither stored the demo web's address, DNS server or CA: those are this run's alone.
    assert from_cli["settings"]["connect_to"] == []
    assert from_cli["settings"]["ca_bundle"] is None
    assert from_cli["demo_seed"] == 7


async def test_a_demo_batch_resumes_against_its_own_web(tmp_path: Path) -> None:
    db = str(tmp_path / "store.json")
    web = build_demo_web(seed=7)
    hanging = web.by_kind("hanging").host
    with Store.open(db, write=True) as store:
        async with BatchService(store, demo_web=web, demo_latency=0.0) as service:
            batch = service.new_batch(Settings(timeout=30.0), parse_targets(hanging))
            started = asyncio.Event()
            run = asyncio.create_task(
                batch.run(lambda event: started.set() if isinstance(event, FetchStarted) else None)
            )
            await asyncio.wait_for(started.wait(), timeout=10)
            run.cancel()  # as Ctrl-C does: the batch is left interrupted
            with pytest.raises(asyncio.CancelledError):
                await run
        assert store.batch(batch.batch_id)["status"] == "interrupted"  # type: ignore[index]
    with Store.open(db, write=True) as store:
        # A service with no demo of its own serves the batch's web again, from its seed.
        async with BatchService(store) as service:
            resumed = await service.resume_batch(batch.batch_id[:8], Settings(timeout=0.5))
            assert resumed.labels == {"demo_seed": 7}
            assert await resumed.run() == BatchStatus.COMPLETED
            assert service.demo_server is not None
            with pytest.raises(NothingToResume):
                await service.resume_batch(batch.batch_id)
        [record] = store.batch_domains(batch.batch_id)
    # It reached the demo web (a hanging site), not a name that resolves nowhere.
    assert record["error"] == f"timeout after 0.5s, 3 tries ({hanging})"
