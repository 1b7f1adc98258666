"""Free TCP ports on 127.0.0.1 for test servers, disjoint between pytest-xdist workers.

``bind(0)`` hands out a port that is free now; the server binds it a moment later. Between the
two, another worker's ``bind(0)`` could be handed the same port, and its server's health check
could then be answered by ours. Each worker therefore takes only ports whose number modulo the
worker count is its own index, so no two workers ever pick the same one (and a process never
hands out one port twice). Without xdist every free port qualifies.
"""

from __future__ import annotations

import os
import socket

_given: set[int] = set()


def _slot() -> tuple[int, int]:
    """(index, count) of this xdist worker; (0, 1) outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    try:
        count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    except ValueError:
        return 0, 1
    return (index % count, count) if count > 1 else (0, 1)


def free_port() -> int:
    index, count = _slot()
    for _ in range(1000):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port % count == index and port not in _given:
            _given.add(port)
            return port
    raise RuntimeError(f"no free port for worker {index} of {count} after 1000 tries")
