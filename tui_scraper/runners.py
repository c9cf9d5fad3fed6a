"""Where a batch's crawls run, chosen in one place: this process, or a Dask cluster.

The command line and the app get their runner here; nothing else knows which
place it crawls on.
"""

from __future__ import annotations

from tui_scraper.engine.connect import Network
from tui_scraper.engine.events import EventSink
from tui_scraper.engine.pool import BatchRunner, CrawlPlace
from tui_scraper.settings import SettingError, Settings


def make_runner(
    settings: Settings,
    sink: EventSink,
    *,
    batch_id: str | None = None,
    network: Network | None = None,
) -> BatchRunner:
    """The batch's runner: on the cluster `settings.cluster` names, else local."""
    place: CrawlPlace | None = None
    if settings.cluster is not None:
        try:
            from tui_scraper.cluster import DaskPlace
        except ImportError:
            raise SettingError(
                "--cluster needs Dask distributed: pip install 'tui-scraper[cluster]'"
            ) from None
        place = DaskPlace(settings.cluster, network)
    return BatchRunner(settings, sink, batch_id=batch_id, network=network, place=place)
