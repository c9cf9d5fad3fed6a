"""The batch service is the one place a batch is wired."""

from __future__ import annotations

from pathlib import Path


def test_no_front_end_wires_a_batch_itself() -> None:
    """The runner and the store writer are made in the service alone (and the runner factory)."""
    package = Path(__file__).resolve().parents[2] / "tui_scraper"
    makers = {
        "StoreWriter(": {"service.py"},
        "BatchRunner(": {"runners.py"},
    }
    for needle, allowed in makers.items():
        found = {
            path.name
            for path in package.rglob("*.py")
            if needle in path.read_text(encoding="utf-8")
            and f"class {needle[:-1]}" not in path.read_text(encoding="utf-8")
        }
        assert found == allowed, (needle, found)
