"""Fast tests, in one process: no demo server, no app, no subprocess, no network socket.

`pytest tests/unit` is the quick loop (well under 20 s); tests/conftest.py refuses
sockets, processes and `App.run_test` here.
"""
