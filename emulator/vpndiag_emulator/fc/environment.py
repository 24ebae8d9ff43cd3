"""A function's environment variables, visible in ``os.environ`` while its invocation runs.

FC gives each instance its own process environment. The emulator runs every function in one
process, so the variables are set for the duration of an invocation and restored afterwards
(removed if they were unset). Thread-safety limit: ``os.environ`` is process-wide, so two
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


@contextmanager
def overlay(variables: Mapping[str, str]) -> Iterator[None]:
    """Set ``variables`` in ``os.environ`` for the block, then put back what was there."""
    if not variables:
        yield
        return
    with _lock:
        previous = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
    try:
        yield
    finally:
        with _lock:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
