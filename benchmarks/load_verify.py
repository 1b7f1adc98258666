"""Load check: N concurrent clients POST /credentials/verify for D seconds; not a timed test.

Prints requests/s, p50/p90/p99 latency and errors (anything but the expected answer counts).
Point it at a running server::

    credkit serve --issuer-dir WS &
    python benchmarks/load_verify.py --url http://127.0.0.1:8000 --clients 8 --duration 30

Without ``--credential FILE`` it signs a diploma with a throwaway did:key (no status entry), so
the figure measures proof verification, schema and the HTTP path. Give a credential issued by the
server to include the status check against the server's own list. Exit code 1 on any error.

The load generator shares the machine with the server, so it is kept cheap: for ``http://`` URLs
each client is a plain keep-alive HTTP/1.1 connection (request bytes built once; every answer is
still read in full and must be 200 with ``"verified": true``); ``--client httpx`` uses httpx
instead (also for ``https://``). ``--processes P`` spreads the clients over P processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httpx


def sample_credential() -> dict[str, Any]:
    from credkit import KeyPair, sign
    from credkit.jsonld.contexts import OB_V3P0, VC_V2

    key = KeyPair.generate()
    doc = {
        "@context": [VC_V2, OB_V3P0],
        "id": "urn:uuid:6a1e4c2e-0d59-4a8e-9d0b-6c1b2f9e5a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": key.controller, "type": ["Profile"], "name": "Load Test Lab"},
        "validFrom": "2026-06-30T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:graduate",
            "type": ["AchievementSubject"],
            "name": "Ananya Sharma",
            "achievement": {
                "id": "https://lab.example/a/1",
                "type": ["Achievement"],
                "achievementType": "Diploma",
                "name": "Film Post-production",
                "description": "One year.",
                "criteria": {"narrative": "Passed."},
            },
        },
    }
    signed: dict[str, Any] = sign(doc, key)
    return signed


async def client(
    http: httpx.AsyncClient, url: str, body: bytes, stop: float, out: list[float], errors: list[str]
) -> None:
    headers = {"Content-Type": "application/json"}
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            answer = await http.post(url, content=body, headers=headers)
            ok = answer.status_code == 200 and answer.json().get("verified") is True
            if not ok:
                errors.append(f"HTTP {answer.status_code}: {answer.text[:200]}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        out.append(time.perf_counter() - start)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One request on a keep-alive connection: (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def raw_client(
    url: str, body: bytes, stop: float, out: list[float], errors: list[str]
) -> None:
    """A cheap keep-alive HTTP/1.1 client: the request bytes are built once."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1") + body
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                status, answer = await _exchange(reader, writer, request)
                ok = status == 200 and json.loads(answer).get("verified") is True
                if not ok:
                    errors.append(f"HTTP {status}: {answer[:200]!r}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            out.append(time.perf_counter() - start)
    finally:
        writer.close()


async def measure(
    endpoint: str, clients: int, duration: float, body: bytes, kind: str
) -> tuple[list[float], list[str], float]:
    """Latencies, errors and elapsed seconds of ``clients`` concurrent clients."""
    latencies: list[float] = []
    errors: list[str] = []
    if kind == "raw":
        started = time.monotonic()
        stop = started + duration
        await asyncio.gather(
            *(raw_client(endpoint, body, stop, latencies, errors) for _ in range(clients))
        )
        return latencies, errors, time.monotonic() - started
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits, verify=True) as http:
        started = time.monotonic()
        stop = started + duration
        await asyncio.gather(
            *(client(http, endpoint, body, stop, latencies, errors) for _ in range(clients))
        )
        elapsed = time.monotonic() - started
    return latencies, errors, elapsed


def _worker(args: tuple[str, int, float, bytes, str]) -> tuple[list[float], list[str], float]:
    return asyncio.run(measure(*args))


async def run(
    url: str,
    clients: int,
    duration: float,
    credential: dict[str, Any],
    kind: str = "raw",
    processes: int = 1,
) -> int:
    body = json.dumps({"verifiableCredential": credential}).encode("utf-8")
    endpoint = url.rstrip("/") + "/credentials/verify"
    if not endpoint.startswith("http://"):
        kind = "httpx"
    async with httpx.AsyncClient(timeout=60, verify=True) as http:
        warm = await http.post(endpoint, content=body, headers={"Content-Type": "application/json"})
        if warm.status_code != 200:
            print(f"warm-up failed: HTTP {warm.status_code} {warm.text[:300]}", file=sys.stderr)
            return 1
    processes = max(1, min(processes, clients))
    if processes == 1:
        latencies, errors, elapsed = await measure(endpoint, clients, duration, body, kind)
    else:
        shares = [clients // processes + (i < clients % processes) for i in range(processes)]
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.map(_worker, [(endpoint, n, duration, body, kind) for n in shares])
        latencies = [x for p in parts for x in p[0]]
        errors = [x for p in parts for x in p[1]]
        elapsed = max(p[2] for p in parts)
    count = len(latencies)
    cuts = statistics.quantiles(latencies, n=100) if count >= 2 else latencies * 99
    print(f"url         {endpoint}")
    print(f"clients     {clients} ({kind} client, {processes} process(es))")
    print(f"duration    {elapsed:.1f} s")
    print(f"requests    {count}")
    print(f"throughput  {count / elapsed:.1f} requests/s")
    print(f"latency p50 {cuts[49] * 1000:.1f} ms")
    print(f"latency p90 {cuts[89] * 1000:.1f} ms")
    print(f"latency p99 {cuts[98] * 1000:.1f} ms")
    print(f"errors      {len(errors)}")
    for line in sorted(set(errors))[:5]:
        print(f"  {line}")
    return 1 if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds")
    parser.add_argument("--credential", help="a signed credential file to verify")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="HTTP client (see above)"
    )
    parser.add_argument("--processes", type=int, default=1, help="client processes")
    args = parser.parse_args()
    if args.credential:
        with open(args.credential, encoding="utf-8") as fh:
            credential = json.load(fh)
    else:
        credential = sample_credential()
    return asyncio.run(
        run(args.url, args.clients, args.duration, credential, args.client, args.processes)
    )


if __name__ == "__main__":
    sys.exit(main())
