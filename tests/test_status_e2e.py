"""Revocation and suspension end to end through the command line, as an issuer and an employer."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from credkit.status import DirectoryFetcher
from credkit.verify import Verifier

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "examples" / "postproduction" / "program.toml"


def credkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def status_check(result_json: dict[str, object]) -> dict[str, str]:
    checks = result_json["checks"]
    assert isinstance(checks, list)
    return next(c for c in checks if c["id"] == "status")


def test_revoke_suspend_publish_reinstate(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init = credkit(
        "init",
        str(ws),
        "--name",
        "Reelbridge Post Lab",
        "--base-url",
        "https://reelbridge.example/credentials",
        "--suspension",
        "--unencrypted",  # not a test of key encryption: no scrypt per command
        cwd=tmp_path,
    )
    assert init.returncode == 0, init.stderr
    (ws / "program.toml").write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "email"])
        for i in range(100):
            writer.writerow([f"G{i:03d}", f"Graduate {i} ณัฐ", f"g{i}@example.com"])
    issued = credkit("issue-cohort", "--roster", str(roster), cwd=ws)
    assert issued.returncode == 0, issued.stderr
    diplomas = ws / "diplomas"
    assert len(list(diplomas.glob("*.json"))) == 100

    revoked = ["G007", "G042", "G099"]
    suspended = ["G013", "G071"]
    for gid in revoked:  # by file
        out = credkit(
            "status", "revoke", str(diplomas / f"{gid}.json"), "--reason", "issued in error", cwd=ws
        )
        assert out.returncode == 0 and "revoked" in out.stdout, out.stderr
    for gid in suspended:  # by credential id
        cid = json.loads((diplomas / f"{gid}.json").read_text(encoding="utf-8"))["id"]
        out = credkit("status", "suspend", cid, "--issuer-dir", str(ws), cwd=tmp_path)
        assert out.returncode == 0, out.stderr
    # revocation is final
    again = credkit("status", "reinstate", str(diplomas / "G007.json"), cwd=ws)
    assert again.returncode != 0 or "already" in again.stdout
    pub = tmp_path / "site"
    assert credkit("status", "publish", "--out", str(pub), cwd=ws).returncode == 0

    verifier = Verifier(status_fetcher=DirectoryFetcher(pub))
    failing = {}
    for path in sorted(diplomas.glob("*.json")):
        result = verifier.verify_credential(path.read_bytes()).to_json()
        check = status_check(result)
        if check["status"] != "passed":
            failing[path.stem] = check["message"]
        else:
            assert result["verdict"] == "verified", (path.stem, result)
    assert set(failing) == set(revoked + suspended)
    assert all("revoked" in failing[g] for g in revoked)
    assert all("suspended" in failing[g] for g in suspended)

    # the employer's command line says the same, with exit code 1 and the reason
    out = credkit(
        "verify", str(diplomas / "G042.json"), "--status-dir", str(pub), "--json", cwd=tmp_path
    )
    assert out.returncode == 1
    assert "revoked" in status_check(json.loads(out.stdout))["message"]
    ok = credkit("verify", str(diplomas / "G001.json"), "--status-dir", str(pub), cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout

    # reinstating a suspended diploma makes it pass again once the lists are republished
    assert credkit("status", "reinstate", str(diplomas / "G013.json"), cwd=ws).returncode == 0
    assert credkit("status", "publish", "--out", str(pub), cwd=ws).returncode == 0
    back = credkit("verify", str(diplomas / "G013.json"), "--status-dir", str(pub), cwd=tmp_path)
    assert back.returncode == 0, back.stdout
    still = credkit("verify", str(diplomas / "G071.json"), "--status-dir", str(pub), cwd=tmp_path)
    assert still.returncode == 1 and "suspended" in still.stdout


def test_altered_status_list_fails_the_check(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert (
        credkit(
            "init",
            str(ws),
            "--name",
            "Lab",
            "--base-url",
            "https://lab.example",
            "--unencrypted",
            cwd=tmp_path,
        ).returncode
        == 0
    )
    (ws / "program.toml").write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    roster = ROOT / "examples" / "postproduction" / "roster.csv"
    # the example lab's template in another issuer's workspace: its values are placeholders here
    issued = credkit("issue-cohort", "--roster", str(roster), "--allow-placeholders", cwd=ws)
    assert issued.returncode == 0
    pub = tmp_path / "site"
    assert credkit("status", "publish", "--out", str(pub), cwd=ws).returncode == 0
    diploma = next((ws / "diplomas").glob("*.json"))
    list_file = pub / "status" / "1"
    signed = json.loads(list_file.read_text(encoding="utf-8"))
    signed["credentialSubject"]["statusPurpose"] = "suspension"  # purpose no longer matches
    list_file.write_text(json.dumps(signed), encoding="utf-8")
    out = credkit("verify", str(diploma), "--status-dir", str(pub), "--json", cwd=tmp_path)
    assert out.returncode == 1
    assert status_check(json.loads(out.stdout))["status"] == "failed"
