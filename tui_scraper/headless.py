"""The headless consumer: progress on stderr, a per-domain summary at the end."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tui_scraper.engine.events import (
    BatchFinished,
    DomainFinished,
    DomainRecord,
    DomainStarted,
    DomainStatus,
    Event,
    PageFetched,
    RequestRetrying,
)
from tui_scraper.text import safe_text

REDRAW_INTERVAL_S = 0.2


class ProgressReporter:
    """Shows a batch's progress: a live line on a terminal, plain lines otherwise."""

    def __init__(self, total_domains: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.total = total_domains
        self.finished = 0
        self.failed = 0
        self.pages = 0
        self.running: dict[str, str] = {}
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._line_width = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, PageFetched):
            self.pages += 1
            if self.live:
                self._draw()
        elif isinstance(event, DomainStarted):
            self.running[event.job_id] = event.domain
        elif isinstance(event, DomainFinished):
            self.running.pop(event.job_id, None)
            self.finished += 1
            if event.record["status"] == DomainStatus.FAILED:
                self.failed += 1
            self._line(self._domain_line(event.record))
        elif isinstance(event, RequestRetrying) and not self.live:
            self._line(
                f"  retry {event.attempt} of {safe_text(event.url, 100)} in "
                f"{event.wait_s:.1f}s ({safe_text(event.reason)})"
            )
        elif isinstance(event, BatchFinished):
            self._clear()
            elapsed = time.monotonic() - self.started
            self.stream.write(
                f"batch {event.status.value}: {self.finished}/{self.total} domains, "
                f"{self.failed} failed, {self.pages} pages in {elapsed:.1f}s\n"
            )
            self.stream.flush()

    def _domain_line(self, record: DomainRecord) -> str:
        pages = record["pages_ok"] + record["pages_failed"]
        reason = record["stop_reason"] or ""
        error = f": {safe_text(record['error'], 120)}" if record["error"] else ""
        return (
            f"[{self.finished}/{self.total}] {safe_text(record['domain'])} "
            f"{safe_text(record['status'])} ({safe_text(reason)}{error}), {pages} pages"
        )

    def _line(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        if self.live:
            self._draw(force=True)
        self.stream.flush()

    def _clear(self) -> None:
        if self.live and self._line_width:
            self.stream.write("\r" + " " * self._line_width + "\r")
            self._line_width = 0

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < REDRAW_INTERVAL_S:
            return
        self._last_draw = now
        elapsed = max(now - self.started, 1e-6)
        width = 20
        filled = int(width * self.finished / max(self.total, 1))
        names = ", ".join(safe_text(name, 30) for name in list(self.running.values())[:3])
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {self.finished}/{self.total} domains "
            f"{self.pages} pages {self.pages / elapsed:.1f}/s  {names}"
        )[:110]
        self._clear()
        self.stream.write(line)
        self._line_width = len(line)
        self.stream.flush()


def summary_table(records: list[DomainRecord]) -> str:
    """The final per-domain summary as an aligned plain-text table."""
    header = ("domain", "status", "pages", "failed", "stop reason", "error")
    rows = [
        (
            safe_text(r["domain"], 40),
            safe_text(r["status"]),
            str(r["pages_ok"]),
            str(r["pages_failed"]),
            safe_text(r["stop_reason"] or ""),
            safe_text(r["error"] or "", 60),
        )
        for r in records
    ]
    return plain_table(header, rows)


def plain_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Rows as aligned plain-text columns under a header, every cell terminal-safe."""
    header = tuple(safe_text(cell) for cell in header)
    rows = [tuple(safe_text(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    )


def summary_json(batch: dict[str, Any], records: list[DomainRecord]) -> dict[str, Any]:
    """The batch summary printed by `--json`."""
    return {**batch, "domain_results": records}
