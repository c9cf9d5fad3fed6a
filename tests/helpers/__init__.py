"""What the tests share: running batches on the demo web, the CLI, the app, the store.

Test modules import helpers from here (and fixtures come from tests/conftest.py);
no test module imports another.
"""
