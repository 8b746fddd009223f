"""Work the window runs on pool threads: plain functions over a library path, no Qt.

Each job opens its own Store and closes it before returning an immutable payload.
"""
