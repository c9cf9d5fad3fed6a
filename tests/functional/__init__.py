"""Everything else: tests that start the demo server, the app or a process, or open a
socket, and the slow in-process ones (property runs of hundreds of examples, bounds on
the memory of 100,000-page batches, the whole demo web read page by page), which would
take `pytest tests/unit` past its 20 s.
"""
