"""A domain's events on the wire: small msgpack-safe dicts, turned back into the typed events.

Dask's event log takes only plain types (exactly str, int, float, bool, None,
lists and dicts), so enums become their values and dataclasses dicts; the
driver rebuilds the same frozen dataclasses, so its consumers see no difference.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from tui_scraper.engine.events import (
    DomainStarted,
    Event,
    FetchStarted,
    PageFetched,
    Phase,
    PhaseChanged,
    RequestRetrying,
    UrlExcluded,
)

# The events of one domain crawl, the only ones a worker sends.
DOMAIN_EVENTS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        DomainStarted,
        PhaseChanged,
        FetchStarted,
        PageFetched,
        RequestRetrying,
        UrlExcluded,
    )
}


def plain(value: Any) -> Any:
    """`value` with only the exact builtin types msgpack (and Dask's check) accept."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    raise TypeError(f"cannot send {type(value).__name__} to the driver")


def encode(event: Event) -> dict[str, Any]:
    """One domain event as a plain dict: its type's name under "type", its fields beside."""
    name = type(event).__name__
    if name not in DOMAIN_EVENTS:
        raise TypeError(f"{name} is not a domain event")
    fields = {f.name: plain(getattr(event, f.name)) for f in dataclasses.fields(event)}  # type: ignore[arg-type]
    return {"type": name, **fields}


def decode(message: dict[str, Any]) -> Event:
    """The typed event `encode` made `message` from."""
    fields = dict(message)
    cls = DOMAIN_EVENTS[fields.pop("type")]
    if cls is PhaseChanged:
        fields["phase"] = Phase(fields["phase"])
    event: Event = cls(**fields)
    return event
