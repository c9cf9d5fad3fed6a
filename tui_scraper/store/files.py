"""The store's files: each a TinyDB JSON file written atomically, and checked when read.

Every write goes to a temporary file in the same folder, is fsynced and renamed
over the old one, so each file is valid JSON at every instant, even after `kill -9`.
What is read is checked before anything can write to it: a file that is not a
store (or not one of its chunks) is refused and left untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from tui_scraper.store.interface import StoreError

STORE_FORMAT = "tui-scraper-store"
STORE_VERSION = 1
MAIN_TABLES = frozenset({"_meta", "batches"})


class AtomicJSONStorage(Storage):
    """TinyDB storage writing the whole file atomically: tmp file, fsync, rename."""

    def __init__(
        self, path: str | Path, check: Callable[[Path, object], None], *, empty_ok: bool
    ) -> None:
        self.path = Path(path)
        self._check = check
        self._empty_ok = empty_ok

    def read(self) -> dict[str, dict[str, Any]] | None:
        data = read_json_file(self.path, empty_ok=self._empty_ok)
        if data is None:
            return None
        self._check(self.path, data)
        return data  # type: ignore[return-value]

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        atomic_write_json(self.path, data)

    def close(self) -> None:
        pass


def read_json_file(path: Path, *, empty_ok: bool = False) -> object | None:
    """The JSON in `path`; None if there is no such file (or, if `empty_ok`, it has 0 bytes).

    Anything else that is not a JSON object (an empty chunk, `null`, torn text) is a
    StoreError naming the file: it is never taken for an empty table.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StoreError(f"{path} is a folder, not a tui-scraper store") from None
    except UnicodeDecodeError:
        raise StoreError(f"{path} is not a tui-scraper store (not UTF-8 text)") from None
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror or error}") from None
    if not text and empty_ok:
        return None
    if not text.strip():
        raise StoreError(f"{path} is empty: the store is damaged")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise StoreError(
            f"{path} is not a tui-scraper store (invalid JSON: {error.msg} at line "
            f"{error.lineno}); it was left untouched"
        ) from None
    except RecursionError:
        raise StoreError(f"{path} is not a tui-scraper store; it was left untouched") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} is not a tui-scraper store; it was left untouched")
    return data


def atomic_write_json(path: Path, data: object) -> None:
    """Write JSON so that `path` holds the old or the new content, never a mix."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # dumps, not dump: json.dump streams through the pure-Python encoder, several
            # times slower than the C one that encodes the whole text at once.
            handle.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def check_store_path(path: Path, shown: str) -> None:
    """Refuse a store path that is neither a regular file nor missing, before reading it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise StoreError(f"cannot open the store {shown}: {error.strerror or error}") from None
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISCHR: "a device",
        stat.S_ISBLK: "a device",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
    }
    for test, kind in kinds.items():
        if test(mode):
            raise StoreError(f"{shown} is {kind}, not a tui-scraper store; it was left untouched")
    if not stat.S_ISREG(mode):
        raise StoreError(f"{shown} is not a regular file; it was left untouched")


def check_writable_folder(folder: Path, shown: str) -> None:
    """Refuse a store whose folder cannot take new files, before a batch starts."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".write-check.", suffix=".tmp")
    except OSError as error:
        raise StoreError(
            f"cannot write the store {shown}: {folder}: {error.strerror or error}"
        ) from None
    os.close(fd)
    os.unlink(name)


def check_main_file(path: Path, data: object) -> None:
    """Refuse a JSON file that is not a tui-scraper store, before anything writes to it."""
    foreign = StoreError(f"{path} is not a tui-scraper store; it was left untouched")
    if not isinstance(data, dict) or not data:
        raise foreign
    if not set(data) <= MAIN_TABLES or not all(_is_table(t) for t in data.values()):
        raise foreign
    marker = next(iter(data.get("_meta", {}).values()), None)
    if not isinstance(marker, dict) or marker.get("format") != STORE_FORMAT:
        raise foreign
    if marker.get("version", STORE_VERSION) > STORE_VERSION:
        raise StoreError(f"{path} was written by a newer tui-scraper; it was left untouched")


def chunk_check(table: str) -> Callable[[Path, object], None]:
    """The check of a chunk file of `table`: that table only, holding documents."""

    def check(path: Path, data: object) -> None:
        if not isinstance(data, dict) or set(data) - {table}:
            raise StoreError(f"{path} is not a tui-scraper {table} file; it was left untouched")
        if not _is_table(data.get(table, {})):
            raise StoreError(f"{path} is damaged: its {table} are not documents")

    return check


def _is_table(docs: object) -> bool:
    """Whether `docs` is a TinyDB table as stored: {"doc id": {document}}."""
    return isinstance(docs, dict) and all(
        isinstance(key, str) and key.isdigit() and isinstance(doc, dict)
        for key, doc in docs.items()
    )
