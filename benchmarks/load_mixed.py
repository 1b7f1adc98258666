"""Mixed load (issue 14): verify + issue traffic with heavy and slow requests, on loopback only.

Starts its own ``credkit serve`` on 127.0.0.1 (a fresh workspace in a temporary folder, a
throwaway token), then for ``--duration`` seconds runs:

* **normal** clients: keep-alive httpx clients that verify a diploma the server issued (so the
  status check runs against the server's own list) or issue a new one (``--issue-share``);
* **heavy** requests: a genuinely signed, schema-valid diploma with ``--heavy-entries`` array
  entries (tags, alignments, evidence: the biggest shape the verifier's per-array limit of 256
  entries and 5,000 JSON values still accepts; JSON-LD processing grows faster than linearly in
  it), posted to ``/credentials/verify`` a few times, evenly spread over the run;
* **slow** clients: raw connections that announce a normal verify body and send it one byte
  every ``--slow-interval`` seconds (a slow-loris body), until the server answers or closes.

It prints one table: p50/p99/max latency of the normal requests (the figure that matters: a heavy
or slow peer must not hurt them), and what happened to the heavy and slow ones. Bounded: at most
``--max-requests`` normal requests and ``--duration`` seconds (capped at 300) plus a short grace;
every socket it opens is to 127.0.0.1. Exit code 1 when a normal request failed.

    .venv/bin/python benchmarks/load_mixed.py --duration 20 --clients 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"  # loopback only: there is deliberately no --url option
MAX_DURATION = 300.0
TOKEN = "load-" + secrets.token_hex(16)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


PER_ARRAY = 250  # under the verifier's 256-entry limit per array (credkit.verify.checks)


def diploma(name: str = "Ananya Sharma", entries: int = 0) -> dict[str, Any]:
    """An unsigned OB 3.0 diploma without issuer (the server fills in its own).

    ``entries`` adds that many legal array entries, at most :data:`PER_ARRAY` per array: the
    achievement's ``tag`` strings, then its ``alignment`` objects (OB 3.0 Alignment: type,
    targetName, targetUrl), then the credential's ``evidence`` objects.
    """
    from credkit.jsonld.contexts import OB_V3P0, VC_V2

    achievement: dict[str, Any] = {
        "id": "https://reelbridge.example/achievements/post",
        "type": ["Achievement"],
        "achievementType": "Diploma",
        "name": "Film Post-production",
        "description": "A one-year programme in editing, colour and sound.",
        "criteria": {"narrative": "Passed every module and the graduation film."},
    }
    doc: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "validFrom": "2026-06-30T00:00:00Z",
        "name": "Diploma in Film Post-production",
        "credentialSubject": {
            "id": f"did:example:{secrets.token_hex(6)}",
            "type": ["AchievementSubject"],
            "name": name,
            "achievement": achievement,
        },
    }
    tags = min(entries, PER_ARRAY)
    aligned = min(entries - tags, PER_ARRAY)
    evidence = min(entries - tags - aligned, PER_ARRAY)
    if tags:
        achievement["tag"] = [f"module-{i:05d}" for i in range(tags)]
    if aligned:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": f"Competence {i}",
                "targetUrl": f"https://framework.example/c/{i}",
            }
            for i in range(aligned)
        ]
    if evidence:
        doc["evidence"] = [
            {
                "id": f"https://reelbridge.example/work/{i}",
                "type": ["Evidence"],
                "name": f"Reel {i}",
            }
            for i in range(evidence)
        ]
    return doc


def attack_credential(strings: int) -> dict[str, Any]:
    """The issue's attack: a signed diploma with ``strings`` tags added in one array afterwards.

    Its signature no longer matches, but a verifier learns that only after the JSON-LD work;
    5,000 strings (about 40 KB) took 11-12 s at 72075bf, while the event loop answered nothing.
    """
    doc = heavy_credential(0)
    doc["credentialSubject"]["achievement"]["tag"] = [f"s{i}" for i in range(strings)]
    return doc


def heavy_credential(entries: int) -> dict[str, Any]:
    """A large-but-legal diploma signed by a throwaway did:key (verify needs no issuing)."""
    from credkit import KeyPair, sign

    key = KeyPair.generate()
    doc = diploma(entries=entries)
    doc["issuer"] = {"id": key.controller, "type": ["Profile"], "name": "Load Test Lab"}
    signed: dict[str, Any] = sign(doc, key)
    return signed


class Service:
    """``credkit serve`` in a subprocess on a free loopback port, with a fresh workspace."""

    def __init__(self, root: Path) -> None:
        from credkit.issuer.workspace import Workspace

        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        ws = Workspace.create(
            root / "ws", name="Load Lab", base_url=self.url, did_web_domain=None, suspension=False
        )
        token_file = root / "token"
        token_file.write_text(TOKEN + "\n", encoding="utf-8")
        os.chmod(token_file, 0o600)
        cmd = [sys.executable, "-m", "credkit.cli.serve", "serve", "--host", HOST]
        cmd += ["--port", str(self.port), "--issuer-dir", str(ws.root)]
        cmd += ["--token-file", str(token_file), "--log-level", "warning"]
        env = {k: v for k, v in os.environ.items() if k != "CREDKIT_API_TOKEN"}
        self.log = (root / "server.log").open("wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((root / "server.log").read_text(errors="replace"))
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("credkit serve did not start within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}
        self.outcomes: dict[str, Counter[str]] = {}
        self.errors: list[str] = []

    def add(self, kind: str, seconds: float, outcome: str) -> None:
        self.latency.setdefault(kind, []).append(seconds)
        self.outcomes.setdefault(kind, Counter())[outcome] += 1


async def normal_client(
    http: httpx.AsyncClient,
    verify_body: bytes,
    issue_share: float,
    stop: float,
    budget: list[int],
    tally: Tally,
    seed: int,
) -> None:
    import random

    rng = random.Random(seed)
    headers = {"Content-Type": "application/json"}
    auth = {**headers, "Authorization": f"Bearer {TOKEN}"}
    while time.monotonic() < stop and budget[0] > 0:
        budget[0] -= 1
        issuing = rng.random() < issue_share
        start = time.perf_counter()
        try:
            if issuing:
                body = json.dumps({"credential": diploma(), "options": {}}).encode()
                answer = await http.post("/credentials/issue", content=body, headers=auth)
                ok = answer.status_code == 201
            else:
                answer = await http.post(
                    "/credentials/verify", content=verify_body, headers=headers
                )
                ok = answer.status_code == 200 and answer.json().get("verified") is True
            outcome = str(answer.status_code)
            if not ok:
                tally.errors.append(f"HTTP {answer.status_code}: {answer.text[:200]}")
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
            tally.errors.append(f"{outcome}: {exc}")
        kind = "normal issue" if issuing else "normal verify"
        tally.add(kind, time.perf_counter() - start, outcome)


async def heavy_sender(
    url: str, body: bytes, count: int, duration: float, started: float, tally: Tally
) -> None:
    """``count`` heavy verifies, spread evenly over the run (each on its own connection)."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        for i in range(count):
            await asyncio.sleep(max(0.0, started + duration * (i + 0.5) / count - time.monotonic()))
            start = time.perf_counter()
            try:
                answer = await http.post(
                    "/credentials/verify",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                outcome = str(answer.status_code)
                if answer.status_code == 200:
                    outcome += " verified" if answer.json().get("verified") else " not verified"
                else:  # the error code says which limit answered (e.g. a work bound)
                    outcome += f" {_code(answer)}"
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            tally.add("heavy verify", time.perf_counter() - start, outcome)


async def slow_sender(port: int, body: bytes, interval: float, stop: float, tally: Tally) -> None:
    """A slow-loris body: announce ``len(body)`` bytes, send one every ``interval`` seconds."""
    start = time.perf_counter()
    outcome = "still open at the end"
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(
            (
                f"POST /credentials/verify HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode("latin-1")
        )
        await writer.drain()
        for i in range(len(body)):
            if time.monotonic() >= stop:
                break
            writer.write(body[i : i + 1])
            await writer.drain()
            try:  # an answer (408/400) or a close before the body is complete ends the client
                head = await asyncio.wait_for(reader.read(64), timeout=interval)
            except TimeoutError:
                continue
            outcome = head.split(b"\r\n", 1)[0].decode("latin-1") if head else "closed by server"
            break
    except (OSError, asyncio.IncompleteReadError) as exc:
        outcome = f"closed by server ({type(exc).__name__})"
    finally:
        writer.close()
    tally.add("slow body", time.perf_counter() - start, outcome)


def _code(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


def _ms(values: list[float], q: int) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0] * 1000:.0f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1] * 1000:.0f}"


def table(tally: Tally) -> list[str]:
    rows = [
        "| requests | count | p50 ms | p99 ms | max ms | answers |",
        "|---|---:|---:|---:|---:|---|",
    ]
    normal = tally.latency.get("normal verify", []) + tally.latency.get("normal issue", [])
    kinds = ["normal verify", "normal issue", "heavy verify", "slow body"]
    for kind in kinds:
        values = tally.latency.get(kind, [])
        if not values:
            continue
        answers = ", ".join(f"{k}: {n}" for k, n in sorted(tally.outcomes[kind].items()))
        rows.append(
            f"| {kind} | {len(values)} | {_ms(values, 50)} | {_ms(values, 99)} | "
            f"{max(values) * 1000:.0f} | {answers} |"
        )
    rows.append(
        f"| **all normal** | {len(normal)} | {_ms(normal, 50)} | {_ms(normal, 99)} | "
        f"{(max(normal) if normal else 0) * 1000:.0f} | errors: {len(tally.errors)} |"
    )
    return rows


async def run(args: argparse.Namespace, service: Service) -> int:
    duration = min(args.duration, MAX_DURATION)
    async with httpx.AsyncClient(base_url=service.url, timeout=60) as http:
        issued = await http.post(
            "/credentials/issue",
            json={"credential": diploma(), "options": {}},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        if issued.status_code != 201:
            print(f"issuing failed: HTTP {issued.status_code} {issued.text[:300]}", file=sys.stderr)
            return 1
        verify_body = json.dumps(
            {"verifiableCredential": issued.json()["verifiableCredential"]}
        ).encode()
    t0 = time.perf_counter()
    heavy_doc = (
        attack_credential(args.attack_strings)
        if args.attack_strings
        else heavy_credential(args.heavy_entries)
    )
    heavy_body = json.dumps({"verifiableCredential": heavy_doc}).encode()
    sign_s = time.perf_counter() - t0
    tally = Tally()
    budget = [args.max_requests]
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=service.url, timeout=60, limits=limits) as http:
        started = time.monotonic()
        stop = started + duration
        tasks = [
            normal_client(http, verify_body, args.issue_share, stop, budget, tally, seed)
            for seed in range(args.clients)
        ]
        tasks.append(heavy_sender(service.url, heavy_body, args.heavy, duration, started, tally))
        tasks += [
            slow_sender(service.port, verify_body, args.slow_interval, stop, tally)
            for _ in range(args.slow)
        ]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 150)
        elapsed = time.monotonic() - started
    print(f"server      credkit serve on {service.url} (1 worker, fresh workspace)")
    print(
        f"duration    {elapsed:.1f} s, {args.clients} normal clients "
        f"({args.issue_share:.0%} issue, the rest verify)"
    )
    shape = (
        f"{args.attack_strings} strings in one array, signature broken"
        if args.attack_strings
        else f"{args.heavy_entries} array entries"
    )
    print(
        f"heavy       {args.heavy} x verify of {len(heavy_body)} bytes "
        f"({shape}; signed locally in {sign_s:.1f} s)"
    )
    print(
        f"slow        {args.slow} x body of {len(verify_body)} bytes at 1 byte / "
        f"{args.slow_interval} s"
    )
    print()
    for line in table(tally):
        print(line)
    for line in sorted(set(tally.errors))[:5]:
        print(f"  error: {line}")
    return 1 if tally.errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="normal clients")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds (at most 300)")
    parser.add_argument("--max-requests", type=int, default=20000, help="normal requests at most")
    parser.add_argument("--issue-share", type=float, default=0.2, help="share of issue requests")
    parser.add_argument("--heavy", type=int, default=3, help="heavy verify requests")
    parser.add_argument(
        "--heavy-entries",
        type=int,
        default=3 * PER_ARRAY,
        help=f"array entries in the heavy one (at most {3 * PER_ARRAY}: {PER_ARRAY} per array)",
    )
    parser.add_argument(
        "--attack-strings",
        type=int,
        default=0,
        help="heavy = the issue's attack instead: this many strings in one array (e.g. 5000)",
    )
    parser.add_argument("--slow", type=int, default=3, help="slow-body clients")
    parser.add_argument("--slow-interval", type=float, default=0.5, help="seconds per byte")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="credkit-load-") as tmp:
        service = Service(Path(tmp))
        try:
            return asyncio.run(run(args, service))
        finally:
            service.stop()


if __name__ == "__main__":
    sys.exit(main())
