"""tests/ports.py: xdist workers never pick the same port for their test servers."""

from __future__ import annotations

import socket

import pytest

import ports


@pytest.mark.parametrize(("worker", "count"), [("gw0", 2), ("gw1", 2), ("gw2", 3)])
def test_each_worker_takes_only_its_own_free_ports_below_the_ephemeral_range(
    worker: str, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(count))
    index = int(worker[2:])
    taken = [ports.free_port() for _ in range(20)]
    assert len(set(taken)) == 20  # a process never gets one port twice
    assert all(port % count == index for port in taken), taken
    assert all(1024 <= port < ports._ephemeral_low() for port in taken), taken
    with socket.socket() as sock:  # and it is free: a server can bind it
        sock.bind(("127.0.0.1", taken[-1]))


def test_a_port_in_use_is_not_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    monkeypatch.setattr(ports, "_SPAN", 40)  # 20 ports of worker 0 to hold, not 6000
    high = ports._ephemeral_low()
    held = []
    try:
        for port in range(max(1024, high - ports._SPAN), high, 2):  # every port of worker 0
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        with pytest.raises(RuntimeError, match="no free port for worker 0 of 2"):
            ports.free_port()
    finally:
        for sock in held:
            sock.close()


def test_outside_xdist_any_free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    port = ports.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
