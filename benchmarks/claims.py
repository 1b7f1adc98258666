"""Claims per second: many graduates claiming diplomas into wallets at once, by either flow.

One workspace with N issued diplomas, served by a real ``credkit serve`` on 127.0.0.1; for each
concurrency level M, one fresh offer per diploma and M wallets (each its own Ed25519 did:key)
claiming them:

- ``--flow oid4vci`` (default): the OpenID4VCI pre-authorized code flow, wallets on asyncio +
  httpx: GET the offer, POST the token, POST the nonce, POST the credential with a key proof
  (4 requests per claim);
- ``--flow vcapi``: the VC-API exchange as the Learner Credential Wallet runs it, with credkit's
  own holder code (``credkit.share.holder.claim_via_exchange``, one thread per wallet): POST {}
  -> a DIDAuthentication request, sign it, POST the VP -> the wallet copy (2 requests).

Every claim must deliver the diploma bound to that wallet's DID, and afterwards every offer must
be claimed exactly once in the store, by the wallet that claimed it::

    python benchmarks/claims.py                                  # OID4VCI, 200 diplomas, 1/4/16
    python benchmarks/claims.py --flow vcapi --diplomas 100 --clients 8 --workers 2

Latency is per claim (all its requests). The server signs each copy with two proofs
(eddsa-rdfc-2022 + Ed25519Signature2020) and claims the offer, uses the tokens and writes an
audit entry in one store transaction; the wallets sign on the same machine as the server, so the
figures are lower bounds for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from joserfc import jws
from joserfc.jwk import OKPKey

from credkit.identity.keys import KeyPair
from credkit.issuer.offers import exchange_url
from credkit.issuer.oid4vci import CONFIGURATION_ID, PRE_AUTHORIZED_GRANT, PROOF_TYP
from credkit.issuer.store import SqliteStore
from credkit.issuer.workspace import Workspace
from credkit.jsonld.contexts import OB_V3P0, VC_V2
from credkit.share.holder import ExchangeError, claim_via_exchange

FLOWS = ("oid4vci", "vcapi")
# what one level returns: elapsed seconds, per-claim latencies, errors, and which wallet DID
# claimed each offer secret (checked against the store afterwards)
Level = tuple[float, list[float], list[str], dict[str, str]]

TOKEN = "bench-token-" + secrets.token_urlsafe(24)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def diploma(n: int) -> dict[str, Any]:
    return {
        "@context": [VC_V2, OB_V3P0],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "validFrom": "2026-06-30T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": f"Graduate {n}",
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": False,
                    "identityHash": f"graduate{n}@lab.example",
                }
            ],
            "achievement": {
                "id": "https://lab.example/achievements/post",
                "type": ["Achievement"],
                "achievementType": "Diploma",
                "name": "Film Post-production",
                "description": "A one-year programme.",
                "criteria": {"narrative": "Passed every module."},
            },
        },
    }


def start_server(ws: Workspace, port: int, workers: int, tmp: Path) -> subprocess.Popen[bytes]:
    token_file = tmp / "tokens"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    cmd = [sys.executable, "-m", "credkit.cli.serve", "serve", "--port", str(port)]
    cmd += ["--issuer-dir", str(ws.root), "--token-file", str(token_file)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    log = (tmp / "server.log").open("wb")
    env = {k: v for k, v in os.environ.items() if k != "CREDKIT_API_TOKEN"}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"server did not start: {(tmp / 'server.log').read_text()}")


def issue_all(url: str, count: int) -> list[str]:
    def one(n: int) -> str:
        answer = httpx.post(
            f"{url}/credentials/issue",
            json={"credential": diploma(n)},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=120,
        )
        if answer.status_code != 201:
            raise SystemExit(f"issue failed: {answer.status_code} {answer.text[:300]}")
        return str(answer.json()["verifiableCredential"]["id"])

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def key_proof(key: KeyPair, private: OKPKey, nonce: str, aud: str) -> str:
    header = {"alg": "EdDSA", "typ": PROOF_TYP, "kid": key.id}
    claims = {"aud": aud, "iat": int(time.time()), "nonce": nonce}
    return jws.serialize_compact(header, json.dumps(claims), private, algorithms=["EdDSA"])


async def wallet(
    http: httpx.AsyncClient,
    url: str,
    todo: asyncio.Queue[str],
    latencies: list[float],
    errors: list[str],
    holders: dict[str, str],
) -> None:
    key = KeyPair.generate()
    jwk: dict[str, str | list[str]] = {**key.to_jwk(include_private=True)}
    private = OKPKey.import_key(jwk)
    while True:
        try:
            secret = todo.get_nowait()
        except asyncio.QueueEmpty:
            return
        holders[secret] = key.controller
        start = time.perf_counter()
        try:
            offer = (await http.get(f"/oid4vci/offers/{secret}")).json()
            code = offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
            form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
            access = (await http.post("/oid4vci/token", data=form)).json()["access_token"]
            nonce = (await http.post("/oid4vci/nonce")).json()["c_nonce"]
            body = {
                "credential_configuration_id": CONFIGURATION_ID,
                "proofs": {"jwt": [key_proof(key, private, nonce, url)]},
            }
            answer = await http.post(
                "/oid4vci/credential", json=body, headers={"Authorization": f"Bearer {access}"}
            )
            vc = answer.json()["credentials"][0]["credential"] if answer.status_code == 200 else {}
            if vc.get("credentialSubject", {}).get("id") != key.controller:
                errors.append(f"HTTP {answer.status_code}: {answer.text[:200]}")
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        latencies.append(time.perf_counter() - start)


async def oid4vci_level(url: str, secrets_: list[str], clients: int) -> Level:
    todo: asyncio.Queue[str] = asyncio.Queue()
    for secret in secrets_:
        todo.put_nowait(secret)
    latencies: list[float] = []
    errors: list[str] = []
    holders: dict[str, str] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(
            *(wallet(http, url, todo, latencies, errors, holders) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
    return elapsed, latencies, errors, holders


def vcapi_level(url: str, secrets_: list[str], clients: int, suite: str) -> Level:
    """``clients`` threads, each one wallet (its own did:key and connection), taking offers from
    one queue and running the whole exchange with credkit's holder code."""
    todo: queue.Queue[str] = queue.Queue()
    for secret in secrets_:
        todo.put_nowait(secret)
    latencies: list[float] = []
    errors: list[str] = []
    holders: dict[str, str] = {}
    lock = threading.Lock()

    def run_wallet() -> None:
        key = KeyPair.generate()
        with httpx.Client(timeout=120) as client:
            while True:
                try:
                    secret = todo.get_nowait()
                except queue.Empty:
                    return
                start = time.perf_counter()
                problem = None
                try:
                    copy = claim_via_exchange(
                        exchange_url(url, secret), key, client, cryptosuite=suite
                    )
                    if copy.get("credentialSubject", {}).get("id") != key.controller:
                        problem = "the copy is not bound to the wallet's DID"
                except (ExchangeError, httpx.HTTPError) as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                took = time.perf_counter() - start
                with lock:
                    holders[secret] = key.controller
                    latencies.append(took)
                    if problem:
                        errors.append(problem)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for done in [pool.submit(run_wallet) for _ in range(clients)]:
            done.result()
    return time.perf_counter() - start, latencies, errors, holders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow", choices=FLOWS, default="oid4vci", help="how wallets claim")
    parser.add_argument("--diplomas", type=int, default=200, help="diplomas issued (N)")
    parser.add_argument("--clients", default="1,4,16", help="concurrent wallets per level (M)")
    parser.add_argument("--workers", type=int, default=1, help="credkit serve --workers")
    parser.add_argument(
        "--suite",
        default="Ed25519Signature2020",
        help="the VC-API wallets' DIDAuth cryptosuite (what released LCW signs with)",
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    failed = False
    with tempfile.TemporaryDirectory(prefix="credkit-claims-") as folder:
        tmp = Path(folder)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        ws = Workspace.create(tmp / "ws", name="Claims Bench Lab", base_url=url, suspension=False)
        proc = start_server(ws, port, args.workers, tmp)
        try:
            started = time.perf_counter()
            ids = issue_all(url, args.diplomas)
            print(f"issued {len(ids)} diplomas in {time.perf_counter() - started:.1f} s")
            print(
                f"flow: {args.flow}; server: credkit serve --workers {args.workers}, 127.0.0.1; "
                f"CPUs {os.cpu_count()}"
            )
            print()
            head = f"{'wallets':>7}  {'claims':>6}  {'claims/s':>8}  {'p50 ms':>7}  {'p99 ms':>7}"
            print(head + "  errors")
            for clients in levels:
                with SqliteStore(ws.store_path, base_url=url) as store:
                    made = [store.create_offer(i, lifetime=timedelta(hours=1)) for i in ids]
                secrets_ = [s for _, s in made]
                if args.flow == "oid4vci":
                    result = asyncio.run(oid4vci_level(url, secrets_, clients))
                else:
                    result = vcapi_level(url, secrets_, clients, args.suite)
                elapsed, latencies, errors, holders = result
                with SqliteStore(ws.store_path, base_url=url) as store:
                    states = [(store.offer(o.id), secret) for o, secret in made]
                # claimed exactly once (the store's one conditional update), by its own wallet
                wrong = sum(
                    1
                    for o, secret in states
                    if o is None or o.state != "claimed" or o.holder != holders.get(secret)
                )
                cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
                print(
                    f"{clients:>7}  {len(latencies):>6}  {len(latencies) / elapsed:>8.1f}  "
                    f"{cuts[49] * 1000:>7.1f}  {cuts[98] * 1000:>7.1f}  "
                    f"{len(errors) + wrong}"
                )
                for line in sorted(set(errors))[:5]:
                    print(f"    {line}")
                failed = failed or bool(errors) or wrong > 0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
