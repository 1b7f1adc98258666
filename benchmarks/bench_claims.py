"""Claims per second: many graduates claiming their diplomas at once on one workspace.

Starts ``credkit serve`` on 127.0.0.1 with a fresh workspace, issues N diplomas and one claim
offer each over the service API, then C concurrent wallets (credkit.share.holder, each with its
own did:key) run the whole VC-API exchange: POST {} -> DIDAuth request, sign, POST the VP ->
the wallet copy (two proofs). Prints claims/s, p50/p95 latency of one whole claim, and checks
that every offer ended claimed exactly once by its own wallet. Not a timed test::

    python benchmarks/bench_claims.py --diplomas 200 --clients 8 [--workers 2]

The wallets sign on the same machine as the server (one Ed25519 DIDAuth each), so the figure is
a lower bound for the server alone.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

TOKEN = "bench-token-" + "x" * 24


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _diploma(n: int) -> dict[str, Any]:
    from credkit.jsonld.contexts import OB_V3P0, VC_V2

    return {
        "@context": [VC_V2, OB_V3P0],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "validFrom": "2026-06-30T00:00:00Z",
        "name": "Diploma in Film Post-production",
        "credentialSubject": {
            "id": f"did:example:graduate-{n}",  # replaced by the wallet's DID on claiming
            "type": ["AchievementSubject"],
            "name": f"Graduate {n}",
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


def _serve(tmp: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    from credkit.issuer.workspace import Workspace

    port = _port()
    url = f"http://127.0.0.1:{port}"
    ws = Workspace.create(tmp / "ws", name="Bench Lab", base_url=url, suspension=False)
    token_file = tmp / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    cmd = [sys.executable, "-m", "credkit", "serve", "--issuer-dir", str(ws.root)]
    cmd += ["--port", str(port), "--token-file", str(token_file), "--workers", str(workers)]
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    for _ in range(600):
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start: " + (tmp / "server.log").read_text())


def main() -> int:
    from credkit.identity.keys import KeyPair
    from credkit.share.holder import claim_via_exchange

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--diplomas", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="credkit serve --workers")
    parser.add_argument("--suite", default="Ed25519Signature2020", help="the wallets' DIDAuth")
    args = parser.parse_args()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with tempfile.TemporaryDirectory() as folder:
        proc, url = _serve(Path(folder), args.workers)
        try:
            with httpx.Client(timeout=60) as setup:
                offers = []
                for n in range(args.diplomas):
                    issued = setup.post(
                        url + "/credentials/issue", json={"credential": _diploma(n)}, headers=auth
                    )
                    if issued.status_code != 201:
                        raise SystemExit(f"issuing failed: {issued.text}")
                    cid = issued.json()["verifiableCredential"]["id"]
                    made = setup.post(url + "/offers", json={"credentialId": cid}, headers=auth)
                    made.raise_for_status()
                    offers.append(made.json())
            wallets = [KeyPair.generate() for _ in offers]

            def claim(i: int) -> float:
                with httpx.Client(timeout=120) as client:
                    start = time.perf_counter()
                    copy = claim_via_exchange(
                        offers[i]["exchangeUrl"], wallets[i], client, cryptosuite=args.suite
                    )
                    took = time.perf_counter() - start
                assert copy["credentialSubject"]["id"] == wallets[i].controller
                return took

            start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                latencies = list(pool.map(claim, range(len(offers))))
            wall = time.perf_counter() - start
            listed = httpx.get(url + "/offers", headers=auth, timeout=60).json()["offers"]
            holders = {o["id"]: o["holder"] for o in listed if o["status"] == "claimed"}
            expected = {o["id"]: w.controller for o, w in zip(offers, wallets, strict=True)}
            ok = holders == expected
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"{len(offers)} claims by {args.clients} concurrent wallets, serve --workers "
        f"{args.workers}: {len(offers) / wall:.1f} claims/s, p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
        f"every offer claimed once by its own wallet: {'yes' if ok else 'NO'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
