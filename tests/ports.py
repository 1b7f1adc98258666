"""Free TCP ports on 127.0.0.1 for test servers, disjoint between pytest-xdist workers.

``bind(0)`` hands out a port that is free now; the server binds it a moment later. Between the
two, another worker's ``bind(0)`` could be handed the same port, and its server's health check
could then be answered by ours. Under xdist each worker therefore draws its ports itself, at
random, from just below the kernel's ephemeral range (where ``bind(0)`` and outgoing connections
never land), taking only numbers whose remainder modulo the worker count is its own index: no two
workers can pick the same port. (Filtering ``bind(0)`` answers by remainder would not do: Linux
hands ``bind(0)`` ports of one parity.) Without xdist, ``bind(0)`` as before.
"""

from __future__ import annotations

import os
import random
import socket

_given: set[int] = set()
_SPAN = 12000  # ports drawn from [ephemeral low - _SPAN, ephemeral low)


def _slot() -> tuple[int, int]:
    """(index, count) of this xdist worker; (0, 1) outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    try:
        count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    except ValueError:
        return 0, 1
    return (index % count, count) if count > 1 else (0, 1)


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as fh:
            return int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    index, count = _slot()
    if count == 1:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    high = _ephemeral_low()
    low = max(1024, high - _SPAN)
    for _ in range(1000):
        port = random.randrange(low, high)
        port -= (port - index) % count  # port % count == index
        if port >= low and port not in _given and _bindable(port):
            _given.add(port)
            return port
    raise RuntimeError(f"no free port for worker {index} of {count} after 1000 tries")
