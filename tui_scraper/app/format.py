"""How values look on screen: durations, rates, text progress bars and the table's cells.

Every string that may come from the web goes through `safe_text` and into a
`rich.text.Text`, which Textual never parses as markup.
"""

from __future__ import annotations

from rich.text import Text

from tui_scraper.app.columns import ColumnSpec
from tui_scraper.app.state import DomainRow
from tui_scraper.engine.events import Phase, StopReason
from tui_scraper.text import safe_text

BAR_WIDTH = 4
PHASE_STYLES: dict[Phase, str] = {
    Phase.QUEUED: "dim",
    Phase.STARTING: "cyan",
    Phase.ROBOTS: "cyan",
    Phase.CRAWLING: "bold cyan",
    Phase.BACKOFF: "yellow",
    Phase.PAUSED: "yellow",
    Phase.DONE: "green",
    Phase.FAILED: "bold red",
    Phase.CANCELLED: "magenta",
}
# How a stop reason reads on screen; the store keeps the machine names.
STOP_REASON_WORDS: dict[str, str] = {
    StopReason.FRONTIER_EXHAUSTED: "all pages found",
    StopReason.MAX_PAGES: "page limit reached",
    StopReason.DOMAIN_TIMEOUT: "time limit reached",
    StopReason.CANCELLED: "cancelled",
    StopReason.START_FAILED: "start page failed",
}


def stop_words(reason: str | None, error: str | None = None) -> str:
    """A domain's stop reason in words, with its error: `start page failed: HTTP 404`."""
    words = STOP_REASON_WORDS.get(reason or "", reason or "")
    if error and words:
        return f"{words}: {error}"
    return error or words


def domain_columns(max_pages: int) -> tuple[ColumnSpec, ...]:
    """The batch table's columns; at 80 columns the URL is off to the right (and below).

    The pages column fits `████ 25/25` for this batch's page budget.
    """
    pages_width = BAR_WIDTH + 1 + len(f"{max_pages}/{max_pages}")
    return (
        ColumnSpec("domain", "domain", 20, flex=1),
        # Wide enough for the longest stop reason in words: "page limit reached".
        ColumnSpec("state", "state", 22, flex=1),
        ColumnSpec("pages", "pages", max(pages_width, 6)),
        ColumnSpec("errors", "err", 4),
        ColumnSpec("elapsed", "time", 5),
        ColumnSpec("rate", "p/s", 5),
        ColumnSpec("url", "fetching", 30, flex=3),
    )


COLUMN_KEYS = tuple(spec.key for spec in domain_columns(1))


def plain(value: object, limit: int | None = None, style: str = "") -> Text:
    """Untrusted text as a Text that is displayed literally, control characters escaped."""
    return Text(safe_text(value, limit), style=style, no_wrap=True, overflow="ellipsis", end="")


def duration(seconds: float | None) -> str:
    """A short human duration: 9.2s, 1m05s, 2h03m; a dash when unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def rate(value: float | None) -> str:
    """Pages per second with one decimal, a dash when unknown."""
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """A text progress bar with its count: `███░░░ 12/25`."""
    total = max(total, 1)
    filled = min(width, round(width * min(done, total) / total))
    return f"{'█' * filled}{'░' * (width - filled)} {done}/{total}"


def state_text(row: DomainRow, paused: bool) -> tuple[str, str]:
    """The state cell's text and style: the phase, and why (backoff) or how it ended."""
    phase = row.phase
    style = PHASE_STYLES.get(phase, "")
    if paused and row.active and phase in (Phase.CRAWLING, Phase.ROBOTS, Phase.STARTING):
        return "paused", PHASE_STYLES[Phase.PAUSED]
    if row.detail == "interrupted" and not row.final:
        return "interrupted", style
    if row.final:
        record = row.record or {}
        reason = record.get("stop_reason") or row.detail or None
        if phase == Phase.CANCELLED:
            reason = StopReason.CANCELLED
        error = record.get("error") if phase == Phase.FAILED else None
        return stop_words(reason, error) or phase.value, style
    if phase == Phase.BACKOFF and row.detail:
        return f"{phase.value}: {row.detail}", style
    return phase.value, style


def row_cells(row: DomainRow, now: float, max_pages: int, paused: bool) -> tuple[Text, ...]:
    """The batch table's cells for one domain, in COLUMN_KEYS order."""
    state, style = state_text(row, paused)
    errors = str(row.errors) if row.errors else ""
    return (
        plain(row.domain),
        plain(state, 120, style),
        Text(bar(row.pages, max_pages), end=""),
        Text(errors, style="red" if row.errors else "", end=""),
        Text(duration(row.elapsed(now)) if row.started is not None else "", end=""),
        Text(rate(row.rate(now)) if row.started is not None else "", end=""),
        plain(row.url, 300, "dim"),
    )


def status_code(status: int | None) -> Text:
    """An HTTP status, coloured by class."""
    if status is None:
        return Text("-", style="red", end="")
    style = "green" if status < 300 else "yellow" if status < 400 else "red"
    return Text(str(status), style=style, end="")
