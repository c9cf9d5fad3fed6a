"""Which domains the batch table lists, in which order: its sort, filter and search.

Plain Python over `BatchState`, like the state itself. The default order keeps the
running domains on top, then the ones that ended (latest first), then the queue,
so however many finish, the running ones stay on screen. It is built from the
state's running, ended and waiting sets without sorting, so it costs a list copy
even for 100,000 domains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from tui_scraper.app.state import BatchState, DomainRow, Rows
from tui_scraper.engine.events import Phase


class SortKey(StrEnum):
    """The orders the table offers, in the order `s` steps through them."""

    STATE = "state"
    DOMAIN = "domain"
    PAGES = "pages"
    ERRORS = "errors"
    ELAPSED = "elapsed"


class RowFilter(StrEnum):
    """Which domains the table lists, in the order `f` steps through them."""

    ALL = "all"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


# Sorts whose order moves as domains crawl (not only when they start or end).
LIVE_SORTS = frozenset({SortKey.PAGES, SortKey.ERRORS, SortKey.ELAPSED})
# The column that shows each sort's key, for the header's arrow.
SORT_COLUMNS = {
    SortKey.STATE: "state",
    SortKey.DOMAIN: "domain",
    SortKey.PAGES: "pages",
    SortKey.ERRORS: "errors",
    SortKey.ELAPSED: "elapsed",
}


def _next(values: list[str], current: str) -> int:
    return (values.index(current) + 1) % len(values)


@dataclass(slots=True)
class TableView:
    """The table's sort, filter and search; `rows(state)` lists the job ids to show."""

    sort: SortKey = SortKey.STATE
    descending: bool = False
    """The reverse of the sort's natural order (names A-Z, numbers largest first)."""
    filter: RowFilter = RowFilter.ALL
    search: str = ""
    _by_name: list[str] = field(default_factory=list, repr=False)
    """Every job id by domain name, made once per batch size (names never change)."""

    @property
    def narrowed(self) -> bool:
        """Whether a filter or a search hides some domains."""
        return self.filter != RowFilter.ALL or bool(self.search)

    def next_sort(self) -> None:
        """Step to the next sort, in its natural direction."""
        keys = list(SortKey)
        self.sort = keys[_next(list(keys), self.sort)]
        self.descending = False

    def next_filter(self) -> None:
        """Step to the next filter."""
        filters = list(RowFilter)
        self.filter = filters[_next(list(filters), self.filter)]

    def describe(self) -> str:
        """The view in words, for the line above the table."""
        parts = [f"sort: {self.sort.value}{' (reversed)' if self.descending else ''}"]
        if self.filter != RowFilter.ALL:
            parts.append(f"filter: {self.filter.value}")
        if self.search:
            parts.append(f"search: {self.search}")
        return " · ".join(parts)

    def rows(self, state: BatchState, now: float) -> list[str]:
        """The job ids to list, in order."""
        rows = state.rows
        running = list(state.active)
        ended = list(reversed(state.ended))
        if self.filter == RowFilter.RUNNING:
            jobs = running
        elif self.filter in (RowFilter.FAILED, RowFilter.DONE):
            phase = Phase.FAILED if self.filter == RowFilter.FAILED else Phase.DONE
            jobs = [job_id for job_id in ended if rows[job_id].phase == phase]
        else:
            jobs = [*running, *ended, *state.stopped, *state.waiting]
        if self.search:
            needle = self.search.lower()
            jobs = [job_id for job_id in jobs if needle in _name(rows, job_id)]
        if self.sort == SortKey.DOMAIN:
            jobs = self._names_order(state, jobs)
        elif self.sort != SortKey.STATE:
            # Queued domains have nothing to sort by: they keep their order, last.
            waiting = state.waiting
            if len(jobs) == len(state.order):  # the whole batch: its sets, not a scan
                started, queued = [*state.active, *state.ended, *state.stopped], list(waiting)
            else:
                started = [job_id for job_id in jobs if job_id not in waiting]
                queued = [job_id for job_id in jobs if job_id in waiting]
            started.sort(key=_sort_key(self.sort, state, now), reverse=True)
            jobs = [*started, *queued]
        if self.descending:
            jobs.reverse()
        return jobs

    def prepare(self, state: BatchState) -> None:
        """Sort the batch's names now (a thread may call this: it only reads the state)."""
        order = list(state.order)
        names = [_name_now(state.rows, job_id) for job_id in order]
        by_name = sorted(range(len(order)), key=names.__getitem__)
        self._by_name = [order[index] for index in by_name]

    def _names_order(self, state: BatchState, jobs: list[str]) -> list[str]:
        """`jobs` by domain name, read off the batch's name order (sorted once)."""
        if len(self._by_name) != len(state.order):
            self.prepare(state)
        if len(jobs) == len(state.order):
            return list(self._by_name)
        wanted = set(jobs)
        return [job_id for job_id in self._by_name if job_id in wanted]


def _name_now(rows: Rows, job_id: str) -> str:
    """A job's name, never making its row (safe beside the thread that makes rows)."""
    record = rows.pending.get(job_id)
    if record is not None:
        return record["domain"]
    row = dict.get(rows, job_id)
    return row.domain if row is not None else ""


def _name(rows: Rows, job_id: str) -> str:
    """A job's domain name without making its row (names are lower case already)."""
    pending = rows.pending.get(job_id)
    if pending is not None:
        return pending["domain"]
    return rows[job_id].domain


def _sort_key(sort: SortKey, state: BatchState, now: float) -> Callable[[str], float]:
    """The number a started domain sorts by (largest first)."""
    rows = state.rows

    def number(job_id: str) -> float:
        row: DomainRow = rows[job_id]
        if sort == SortKey.PAGES:
            return row.pages
        if sort == SortKey.ERRORS:
            return row.errors
        elapsed = row.elapsed(now)
        return -1.0 if elapsed is None else elapsed

    return number
