"""Text at the product's edges: valid Unicode where it enters, escaped where a terminal shows it.

Two rules, one function each family:

* What reaches a record is valid Unicode (`valid_text`, `valid_value`): the lone
  surrogates that Python uses for undecodable bytes (argv, `surrogateescape`)
  become U+FFFD, so no input can stop the store's JSON encoding.
* What reaches a terminal has its control and bidirectional characters shown as
  escapes (`safe_text`, `safe_value`, `safe_json`): C0 (tab kept), DEL, C1
  U+0080-U+009F, the bidi embeddings, overrides and isolates, and surrogates.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What a terminal would act on, or what would reorder the text shown around it.
_UNSAFE = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL = re.compile(f"[\n{_UNSAFE}]")
_CONTROL_KEEP_NEWLINE = re.compile(f"[{_UNSAFE}]")
# In JSON text, the characters json.dumps leaves raw (C0 it escapes itself).
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: object, limit: int | None = None, *, keep_newlines: bool = False) -> str:
    """`text` with terminal control characters shown as escapes, cut to `limit` chars."""
    value = "" if text is None else str(text)
    pattern = _CONTROL_KEEP_NEWLINE if keep_newlines else _CONTROL
    value = pattern.sub(_escape, value)
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)] + "…"
    return value


def safe_value(value: Any) -> Any:
    """`value` with every string in it (nested lists and dicts, keys too) `safe_text`-ed."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_value(key): safe_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [safe_value(item) for item in value]
    return value


def safe_json(text: str) -> str:
    """JSON text whose characters a terminal would act on are JSON escapes (`\\u009b`).

    The result is still valid JSON and decodes to the same value: only characters
    inside strings can be unsafe, and a \\uXXXX escape means the same there.
    """
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def dumps_for(value: Any, *, terminal: bool, indent: int | None = None) -> str:
    """`value` as JSON text; escaped for a terminal when `terminal`, else kept as stored."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return safe_json(text) if terminal else valid_text(text)


def valid_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates (undecodable bytes) become U+FFFD."""
    if text.isascii() or _SURROGATE.search(text) is None:  # isascii: O(1), most text
        return text
    return _SURROGATE.sub(REPLACEMENT, text)


def valid_bytes_text(data: bytes) -> str:
    """Bytes from the user (stdin, a file) as text: UTF-8, undecodable bytes as U+FFFD."""
    return data.decode("utf-8", errors="replace")


def valid_value(value: Any) -> Any:
    """`value` as plain JSON data of valid Unicode, whatever it held.

    Strings (keys included) lose their lone surrogates; bytes are decoded; tuples and
    sets become lists; non-finite floats become None; anything else becomes its text.
    """
    kind = type(value)  # the exact built-in types first: a record is made of them
    if kind is str:
        return value if value.isascii() else valid_text(value)
    if value is None or kind is int or kind is bool:
        return value
    if kind is dict:
        return {
            key if type(key) is str and key.isascii() else _valid_key(key): valid_value(item)
            for key, item in value.items()
        }
    if kind is list:
        return [valid_value(item) for item in value]
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_valid_key(key): valid_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [valid_value(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return valid_bytes_text(bytes(value))
    return valid_text(str(value))


def is_plain_json(value: Any) -> bool:
    """Whether `value` is JSON data of valid Unicode already (tuples count as lists).

    One pass of C's encoder, a third of the time `valid_value`'s walk takes: a batch's
    100,000 new domain documents are checked, not copied, by the store writer's thread.
    A string with any surrogate, lone or paired, is left to `valid_value`. A long list is
    checked a slice at a time: one call of the C encoder holds the interpreter throughout.
    """
    parts = (
        [value[start : start + _CHECK_SLICE] for start in range(0, len(value), _CHECK_SLICE)]
        if isinstance(value, list)
        else [value]
    )
    for part in parts:
        try:
            text = json.dumps(part, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return False
        if "\\ud" in text:
            return False
    return True


_CHECK_SLICE = 200


def _valid_key(key: Any) -> str:
    if isinstance(key, str):
        return valid_text(key)
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)  # as json.dumps itself would write it
    return valid_text(str(key))
