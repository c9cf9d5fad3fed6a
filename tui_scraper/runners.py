"""Where a batch's crawls run, chosen in one place: this process, or a Dask cluster.

The command line and the app get their runner here; nothing else knows which
place it crawls on.
"""

from __future__ import annotations

import weakref
from typing import Any

from tui_scraper.engine.connect import Network
from tui_scraper.engine.events import EventSink
from tui_scraper.engine.pool import BatchRunner, CrawlPlace
from tui_scraper.settings import SettingError, Settings

# The cluster places kept open between their runner's runs, until `close_runner`.
_KEPT: weakref.WeakKeyDictionary[BatchRunner, Any] = weakref.WeakKeyDictionary()


def make_runner(
    settings: Settings,
    sink: EventSink,
    *,
    batch_id: str | None = None,
    network: Network | None = None,
    keep_cluster: bool = False,
) -> BatchRunner:
    """The batch's runner: on the cluster `settings.cluster` names, else local.

    `keep_cluster`: a cluster (a local one's processes, or the client of a real one)
    outlives each run, so the batch's reruns (retries) reuse it; `close_runner` ends it.
    """
    place: CrawlPlace | None = None
    if settings.cluster is not None:
        try:
            from tui_scraper.cluster import DaskPlace
        except ImportError:
            raise SettingError(
                "--cluster needs Dask distributed: pip install 'tui-scraper[cluster]'"
            ) from None
        place = DaskPlace(settings.cluster, network, keep_open=keep_cluster)
    runner = BatchRunner(settings, sink, batch_id=batch_id, network=network, place=place)
    if keep_cluster and place is not None:
        _KEPT[runner] = place
    return runner


async def close_runner(runner: BatchRunner) -> None:
    """End what the runner kept open between its runs (a cluster); nothing for a local one."""
    place = _KEPT.pop(runner, None)
    if place is not None:
        await place.shutdown()
