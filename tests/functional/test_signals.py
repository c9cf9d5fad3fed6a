"""The app under a real pseudo-terminal: signals leave the batch resumable, the terminal restored.

These run `python -m tui_scraper` as a user's shell would: its own session, the
pseudo-terminal as its controlling terminal, and keys typed into the terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from tests.helpers.watching import until_files
from tui_scraper.store import Store, StoreError

CLI = [sys.executable, "-m", "tui_scraper"]
ENTER_ALT_SCREEN = b"\x1b[?1049h"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
CTRL_Q = b"\x11"


def _take_terminal() -> None:
    """In the child, after setsid: make the pseudo-terminal (stdout) the controlling one."""
    fcntl.ioctl(1, termios.TIOCSCTTY, 0)


class PtyProcess:
    """A CLI process on a pseudo-terminal of 100x30; all it writes is collected."""

    def __init__(self, args: list[str], *, stdin: bytes | None = None) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.output = bytearray()
        self._changed = threading.Condition()
        self._hung_up = threading.Event()
        env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
        self.process = subprocess.Popen(
            [*CLI, *args],
            stdin=subprocess.PIPE if stdin is not None else slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=_take_terminal,
            env=env,
        )
        os.close(slave)
        if stdin is not None:
            assert self.process.stdin is not None
            self.process.stdin.write(stdin)
            self.process.stdin.close()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            if self._hung_up.is_set():
                return
            if not select.select([self.master], [], [], 0.2)[0]:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the process and its children closed the terminal
                data = b""
            with self._changed:
                self.output.extend(data)
                self._changed.notify_all()
            if not data:
                return

    def wait_for_output(self, needle: bytes, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: needle in self.output, timeout):
                raise TimeoutError(f"{needle!r} not written within {timeout}s: {self.tail()!r}")

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code

    def tail(self) -> bytes:
        return bytes(self.output[-600:])

    def hang_up(self) -> None:
        """Close the terminal's far end, as a dropped SSH connection does: the kernel
        sends SIGHUP, and the terminal can no longer be written."""
        self._hung_up.set()
        self._reader.join(10)
        os.close(self.master)
        self.master = -1

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.master >= 0:
            self._hung_up.set()
            self._reader.join(10)
            os.close(self.master)

    def left_alternate_screen(self) -> bool:
        """Whether the last entry into the alternate screen was followed by leaving it."""
        entered = self.output.rfind(ENTER_ALT_SCREEN)
        return entered >= 0 and self.output.find(LEAVE_ALT_SCREEN, entered) > entered


def stored_pages(db: Path) -> int:
    try:
        with Store.open(str(db)) as store:
            return sum(
                1 for batch in store.all_batches() for _ in store.batch_pages(batch["batch_id"])
            )
    except StoreError:
        return 0


def batches_json(db: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        [*CLI, "batches", "--json", "--db", str(db)], capture_output=True, check=True, timeout=60
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_hangup_and_terminate_leave_the_batch_resumable_and_the_terminal_restored(
    tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "store.json"
    app = PtyProcess(["demo", "--db", str(db), "--max-pages", "6"])
    try:
        app.wait_for_output(ENTER_ALT_SCREEN, 60)
        until_files(
            db.parent, lambda: stored_pages(db) > 0, 60, "the demo batch's first pages on disk"
        )
        app.process.send_signal(signum)
        code = app.wait(60)
    finally:
        app.close()
    assert code == 130, app.tail()
    assert app.left_alternate_screen(), app.tail()
    (batch,) = batches_json(db)
    assert batch["status"] == "interrupted"
    resumed = subprocess.run(
        [*CLI, "resume", str(batch["batch_id"]), "--db", str(db), "--timeout", "1"],
        capture_output=True,
        timeout=300,
    )
    assert resumed.returncode in (0, 3), resumed.stderr.decode()
    (batch,) = batches_json(db)
    assert batch["status"] == "completed"


def test_a_dropped_connection_leaves_the_batch_resumable(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    app = PtyProcess(["demo", "--db", str(db), "--max-pages", "6"])
    try:
        app.wait_for_output(ENTER_ALT_SCREEN, 60)
        until_files(
            db.parent, lambda: stored_pages(db) > 0, 60, "the demo batch's first pages on disk"
        )
        app.hang_up()
        code = app.process.wait(60)
    finally:
        app.close()
    assert code == 130
    (batch,) = batches_json(db)
    assert batch["status"] == "interrupted"


def test_sigint_from_outside_is_the_quit_key(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    app = PtyProcess(["demo", "--db", str(db), "--max-pages", "6"])
    try:
        app.wait_for_output(ENTER_ALT_SCREEN, 60)
        until_files(
            db.parent, lambda: stored_pages(db) > 0, 60, "the demo batch's first pages on disk"
        )
        app.process.send_signal(signal.SIGINT)
        app.wait_for_output(b"Quit now?", 30)  # the quit question, as the key asks it
        app.process.send_signal(signal.SIGINT)  # asked again: quit
        code = app.wait(60)
    finally:
        app.close()
    assert code == 130, app.tail()
    assert app.left_alternate_screen()
    (batch,) = batches_json(db)
    assert batch["status"] == "interrupted"


def test_domain_list_on_stdin_then_the_keyboard_from_the_terminal(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    app = PtyProcess(["-f", "-", "--db", str(db)], stdin=b"alpha-list.test\nbeta-list.test\n")
    try:
        app.wait_for_output(b"alpha-list.test", 60)  # the list was read and shown
        code = None
        for _ in range(20):  # typed until the app has set the terminal up to read keys
            app.type(CTRL_Q)
            try:
                code = app.wait(1)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        app.close()
    assert code == 0, app.tail()
    assert app.left_alternate_screen()


def test_domain_list_on_stdin_without_a_terminal_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "-f", "-", "--db", str(tmp_path / "store.json")],
        input=b"alpha-list.test\n",
        capture_output=True,
        start_new_session=True,  # no controlling terminal: no /dev/tty
        timeout=60,
    )
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert "tui-scraper: error: the app needs a terminal for its keyboard" in err
