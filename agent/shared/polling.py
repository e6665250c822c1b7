"""Waiting for a condition with a deadline (links, emulators, take-off and landing)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(cond: Callable[[], bool], timeout_s: float, poll_s: float = 0.01,
               abort: Callable[[], bool] | None = None, on_poll: Callable[[], None] | None = None) -> bool:
    """Poll ``cond`` every ``poll_s`` seconds until it holds (True) or ``timeout_s`` seconds of monotonic time
    pass, or ``abort()`` holds (False). ``on_poll`` runs between polls (e.g. a keep-alive command)."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline or (abort is not None and abort()):
            return False
        if on_poll is not None:
            on_poll()
        time.sleep(poll_s)
    return True
