"""Running a batch's domain crawls on a Dask distributed cluster (`--cluster ADDRESS`).

Imported only when `--cluster` is given: without it, nothing of Dask is loaded.
"""

from tui_scraper.cluster.driver import DaskPlace

__all__ = ["DaskPlace"]
