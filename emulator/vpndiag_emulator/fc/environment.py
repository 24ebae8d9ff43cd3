"""A function's environment variables, visible in ``os.environ`` while its invocation runs.

FC gives each instance its own process environment. The emulator runs every function in one
process, so the variables are set for the duration of an invocation and restored afterwards
(removed if they were unset) once no invocation runs. Thread-safety limit: ``os.environ`` is process-wide, so two
invocations running at the same time on different threads (``drain(workers=N)``, or a function
invoked from another through the loopback server) see each other's variables while they overlap.
Runs in one thread (the default ``drain()``, synchronous invocations through ``cloud.mock()``,
nested calls included) are exact.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

_lock = threading.Lock()


class _Overlays:
    """How many invocations hold variables now, and what the process had before the first of
    them set anything: put back when the last ends, so overlapping runs leave nothing behind."""

    active = 0
    original: dict[str, str | None] = {}  # noqa: RUF012 - one process-wide record, by design


@contextmanager
def overlay(variables: Mapping[str, str]) -> Iterator[None]:
    """Set ``variables`` in ``os.environ`` for the block; when no invocation runs any more, the
    process's own values are back (removed where they were unset)."""
    if not variables:
        yield
        return
    with _lock:
        _Overlays.active += 1
        for name in variables:
            _Overlays.original.setdefault(name, os.environ.get(name))
        os.environ.update(variables)
    try:
        yield
    finally:
        with _lock:
            _Overlays.active -= 1
            if _Overlays.active == 0:
                for name, value in _Overlays.original.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
                _Overlays.original.clear()
