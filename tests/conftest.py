"""Shared fixtures: the demo web, and the demo server on 127.0.0.1 serving it.

The helpers that run batches against it live in tests/helpers/demo.py; they are
re-exported here for tests written against their old home.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.demo import (  # noqa: F401  (re-exported)
    DEMO_SEED,
    BatchRun,
    demo_network,
    demo_settings,
    run_batch,
)
from tui_scraper.demo import DemoServer, DemoWeb, build_demo_web


@pytest.fixture(scope="session")
def demo_web() -> DemoWeb:
    return build_demo_web(seed=DEMO_SEED)


@pytest.fixture
async def demo_server(demo_web: DemoWeb) -> Any:
    async with DemoServer(demo_web, slow_delay=0.2) as server:
        yield server
