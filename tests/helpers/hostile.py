"""Hostile text: every class of character a terminal would obey, in one string."""

from __future__ import annotations

# An OSC title change, a bell, a C1 CSI, DEL, a right-to-left override, an isolate.
HOSTILE = "A\x1b]0;pwn\x07B\x9b31m\x7f\u202eevil\u2066x\u2069\x85"
