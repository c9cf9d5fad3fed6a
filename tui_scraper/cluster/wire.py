"""A domain's events on the wire: compact tuples in one msgpack blob, turned back into events.

A worker sends the events of all its crawls together, every few tens of
milliseconds, as one message of Dask's event log: `{"blob": bytes}`. The blob
is a msgpack list of sections, one per domain attempt that had events:
`[key, run, seq, [item, ...]]`, an item being `[code, *fields]` without the
job id and domain (the driver knows them from the attempt's key). Bytes pass
through the scheduler as they are (it neither checks nor re-encodes what is
inside), and the driver decodes a whole blob in one C call, then rebuilds the
same frozen dataclasses, so its consumers see no difference.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from enum import Enum
from typing import Any

import msgpack

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

# The events of one domain crawl, the only ones a worker sends; an event's code is its index.
DOMAIN_EVENTS: tuple[type[Any], ...] = (
    DomainStarted,
    PhaseChanged,
    FetchStarted,
    PageFetched,
    RequestRetrying,
    UrlExcluded,
)
_CODES: dict[type[Any], int] = {cls: code for code, cls in enumerate(DOMAIN_EVENTS)}


def _reader(cls: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """What reads an event's fields after job_id and domain, as a tuple, in one call."""
    names = [name for name in cls.__slots__ if name not in ("job_id", "domain")]
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda event: (one(event),)
    return operator.attrgetter(*names)


_FIELDS = {cls: _reader(cls) for cls in DOMAIN_EVENTS}
_PHASE_CHANGED = _CODES[PhaseChanged]
# The last item of a run: `[FINISHED, record]`, the attempt's domain record, after all its events.
FINISHED = len(DOMAIN_EVENTS)

Item = list[Any]
Section = list[Any]  # [key, run, seq, [item, ...]]


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


def encode(event: Event) -> Item:
    """One domain event as `[code, *fields]`, its job id and domain left out."""
    cls = type(event)
    code = _CODES.get(cls)
    if code is None:
        raise TypeError(f"{cls.__name__} is not a domain event")
    if code == _PHASE_CHANGED:
        return [code, event.phase.value, event.detail]  # type: ignore[union-attr]
    return [code, *_FIELDS[cls](event)]


def decode(item: Item, job_id: str, domain: str) -> Event:
    """The typed event `encode` made `item` from, for the attempt's job and domain."""
    code, *values = item
    if code == _PHASE_CHANGED:
        return PhaseChanged(job_id, domain, Phase(values[0]), values[1])
    event: Event = DOMAIN_EVENTS[code](job_id, domain, *values)
    return event


def pack(sections: list[Section]) -> bytes:
    """One blob of the sections of a flush."""
    blob: bytes = msgpack.packb(sections, use_bin_type=True)
    return blob


def unpack(blob: bytes) -> list[Section]:
    sections: list[Section] = msgpack.unpackb(blob, raw=False)
    return sections
