"""Running a batch on the demo web on 127.0.0.1 through the real client path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.demo.sites import DemoSite
from tui_scraper.engine.connect import Network
from tui_scraper.engine.events import (
    BatchStatus,
    DomainFinished,
    DomainRecord,
    Event,
    PageFetched,
    PageRecord,
)
from tui_scraper.engine.parse import InlineParser, PageParser
from tui_scraper.engine.pool import BatchRunner, make_jobs
from tui_scraper.settings import Settings
from tui_scraper.targets import parse_targets

DEMO_SEED = 7


def demo_settings(server: DemoServer, **changes: Any) -> Settings:
    """Settings for a test batch on the demo web: short timeouts, every request to loopback."""
    base = Settings(
        timeout=2.0,
        retries=2,
        max_bytes=1_000_000,
        connect_to=list(server.connect_to),
        ca_bundle=server.ca_path,
    )
    return base.replace(**changes)


def demo_network(server: DemoServer) -> Network:
    """How the `demo` command reaches the demo web: its DNS server, its CA, port rules."""
    return Network.from_facts(server.network_facts())


@dataclass
class BatchRun:
    """Everything a finished test batch produced."""

    status: BatchStatus
    events: list[Event] = field(default_factory=list)
    records: dict[str, DomainRecord] = field(default_factory=dict)
    pages: dict[str, list[PageRecord]] = field(default_factory=dict)
    runner: BatchRunner | None = None

    def record(self, domain: str) -> DomainRecord:
        return self.records[domain]


async def run_batch(
    settings: Settings,
    domains: Sequence[str],
    *,
    during: Callable[[BatchRunner], Awaitable[None]] | None = None,
    timeout: float = 60.0,
    parser: PageParser | None = None,
    network: Network | None = None,
) -> BatchRun:
    """Run a batch on the demo web, collecting every event; `during` runs beside it."""
    parsed = parse_targets("\n".join(domains))
    assert not parsed.rejected, parsed.rejected
    events: list[Event] = []
    runner = BatchRunner(settings, events.append, parser=parser or InlineParser(), network=network)
    jobs = make_jobs(runner.batch_id, parsed.targets)
    async with asyncio.timeout(timeout):
        batch = asyncio.create_task(runner.run(jobs))
        if during is not None:
            await during(runner)
        status = await batch
    run = BatchRun(status=status, events=events, runner=runner)
    for event in events:
        if isinstance(event, DomainFinished):
            run.records[event.domain] = event.record
        elif isinstance(event, PageFetched):
            run.pages.setdefault(event.domain, []).append(event.page)
    return run


def trick_sites(web: DemoWeb) -> dict[str, DemoSite]:
    """The business site of each contact trick, by trick."""
    sites = (s for s in web.sites.values() if s.kind in ("normal", "www_redirect"))
    by_trick = {_trick_of(site): site for site in sites}
    by_trick.pop("", None)
    return by_trick


def _trick_of(site: DemoSite) -> str:
    html = site.pages["/contact"].html()
    if "data-cfemail" in html:
        return "cloudflare_span"
    if "/cdn-cgi/l/email-protection#" in html:
        return "cloudflare_link"
    if "[at]" in html:
        return "spelled_brackets"
    if "(at)" in html:
        return "spelled_parens"
    if "logo@2x.png" in html:
        return "asset_names"
    return ""
