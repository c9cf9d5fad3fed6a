"""The app's terminal when it goes away: a dropped SSH connection must not hang the app.

After a hangup every write to the terminal fails (EIO). Textual writes from a thread
that would die on the first failure, after which the app blocks for ever on its full
queue, before it could save and leave the batch interrupted. Here a failed write is
dropped instead, and the SIGCONT that follows a hangup does not restart the terminal
(Textual would), so the app's SIGHUP handling runs to the end.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from textual.driver import Driver


class HangupSafeOutput:
    """A text stream that drops what cannot be written once the terminal is gone."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self._stream.write(text)
            except OSError:  # EIO after a hangup; EPIPE
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except OSError:
                self.gone = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)  # fileno, isatty, encoding...


def terminal_driver() -> type[Driver] | None:
    """Textual's terminal driver for this system, made hangup-safe; None where there is none."""
    if sys.platform == "win32":
        return None
    from textual.drivers.linux_driver import LinuxDriver

    class HangupSafeDriver(LinuxDriver):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file = HangupSafeOutput(self._file)  # type: ignore[assignment]
            self._suspended = False

        def _sigtstp_application(self, *args: Any) -> None:
            self._suspended = True
            super()._sigtstp_application(*args)

        def _sigcont_application(self, *args: Any) -> None:
            # A hangup sends SIGCONT after SIGHUP: only a SIGCONT after our own
            # suspension (Ctrl-Z) restarts the terminal, never one on the way out.
            if self._suspended:
                self._suspended = False
                super()._sigcont_application(*args)

    return HangupSafeDriver
