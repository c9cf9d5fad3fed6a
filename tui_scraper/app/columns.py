"""A table column's layout, shared by the app's tables and the cell formatting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A column: its key, its header, its width at 80 columns and its share of any extra."""

    key: str
    label: str
    width: int
    flex: int = 0


def fitted_widths(specs: tuple[ColumnSpec, ...], available: int, padding: int) -> list[int]:
    """Each column's width in `available` cells: its own, plus the flexible ones' share of
    what is left beyond every column's width and `padding`."""
    extra = available - sum(spec.width + padding for spec in specs)
    shares = sum(spec.flex for spec in specs)
    return [
        spec.width + (extra * spec.flex // shares if extra > 0 and shares else 0) for spec in specs
    ]
