"""Making untrusted text from the web safe to print on a terminal."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, except tab: a terminal would act on them.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def safe_text(text: object, limit: int | None = None) -> str:
    """`text` with terminal control characters shown as escapes, cut to `limit` chars."""
    value = "" if text is None else str(text)
    value = _CONTROL.sub(lambda match: repr(match.group())[1:-1], value)
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)] + "…"
    return value
