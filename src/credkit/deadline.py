"""A deadline for a piece of work, checked at the points where the work can grow.

A Python thread cannot be stopped from outside, so a verification the server has given up on
(``credkit.server.vcapi``: 503 after 20 s) would run to its end and keep its thread. With a
deadline set here, the loops that can take long (JSON-LD node maps and expansion, fetches) call
:func:`check`, which raises :class:`~credkit.errors.DeadlineExceededError` once it has passed:
the abandoned work ends within one step of the deadline. The deadline is a context variable, so
it holds for the thread (or task) that set it and whatever it calls, and for no one else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from credkit.errors import DeadlineExceededError

T = TypeVar("T")
_deadline: ContextVar[float | None] = ContextVar("credkit_deadline", default=None)


def check() -> None:
    """Raise DeadlineExceededError if the current deadline has passed (no deadline: nothing)."""
    at = _deadline.get()
    if at is not None and time.monotonic() > at:
        raise DeadlineExceededError("the work ran past its deadline")


def remaining() -> float | None:
    """Seconds left before the deadline (0 when past), or None without one."""
    at = _deadline.get()
    return None if at is None else max(0.0, at - time.monotonic())


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Work inside the block must end within ``seconds`` (an outer, earlier deadline stays)."""
    at = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(at if outer is None else min(at, outer))
    try:
        yield
    finally:
        _deadline.reset(token)


def run_within(seconds: float, work: Callable[[], T]) -> T:
    """``work()`` under a deadline of ``seconds``: the form a thread pool is handed."""
    with within(seconds):
        return work()
