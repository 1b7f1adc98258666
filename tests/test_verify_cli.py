"""``credkit verify`` end to end: the real entry point, real files, the exit codes employers script on."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from credkit import sign
from credkit.cli.verify import verify
from credkit.jsonld.contexts import VC_V2
from test_verify_helpers import (
    ACCREDITOR,
    HOLDER,
    ISSUER,
    STATUS_BASE,
    signed_diploma,
    status_setup,
    trust_list_vc,
)

ROOT = Path(__file__).resolve().parent.parent
CREDKIT = ROOT / ".venv" / "bin" / "credkit"
AT = ["--at", "2026-11-23T12:00:00Z"]


def write(tmp: Path, name: str, body: Any) -> str:
    path = tmp / name
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return str(path)


def trust_file(tmp: Path, *dids: str) -> str:
    return write(tmp, "trusted.txt", "\n".join(["# employer", *dids]) + "\n")


def run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    cmd = (
        [str(CREDKIT), "verify", *args]
        if CREDKIT.exists()
        else [
            sys.executable,
            "-m",
            "credkit",
            "verify",
            *args,
        ]
    )
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120, check=False)


def test_verified_diploma_exits_0_with_a_checklist(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", signed_diploma())
    proc = run([path, "--trust", trust_file(tmp_path, ISSUER.controller), *AT])
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    lines = out.strip().splitlines()
    # a plain list vouches for the DID, not for the name the diploma gives its issuer
    named = f'{ISSUER.controller} (calls itself "Example Training Lab")'
    assert lines[0] == f"Applied Cryptography — issued by {named}"
    assert any(line.startswith("✔ proof") for line in lines)
    assert any(line.startswith("– endorsements") for line in lines)
    assert lines[-1].startswith(f"verified: genuine diploma from {named}")


def test_untrusted_issuer_exits_1_and_says_why(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", signed_diploma())
    proc = run([path, "--trust", trust_file(tmp_path, "did:web:other.example"), *AT, "--json"])
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["verified"] is False and result["verdict"] == "not verified"
    assert result["summary"] == "not verified: issuer not trusted"
    by_id = {c["id"]: c for c in result["checks"]}
    assert by_id["proof"]["status"] == "passed"
    assert by_id["trusted_issuer"]["error"]["type"] == "urn:credkit:problem:ISSUER_NOT_TRUSTED"


def test_garbage_exits_2_with_one_line_on_stderr(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.json", "this is not a diploma")
    proc = run([path])
    assert proc.returncode == 2
    err = proc.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("credkit: error: input is not JSON")
    assert "Traceback" not in proc.stderr.decode() and proc.stdout == b""


def test_garbage_with_json_still_prints_a_result(tmp_path: Path) -> None:
    proc = run(["-", "--json"], stdin=b"[1,2]")
    assert proc.returncode == 2
    result = json.loads(proc.stdout)
    assert result["verified"] is False and result["verdict"] == "unusable"
    assert result["errors"][0]["type"].endswith("#PARSING_ERROR")


def test_missing_file_and_oversize_input_exit_2(tmp_path: Path) -> None:
    assert run([str(tmp_path / "nope.json")]).returncode == 2
    path = write(tmp_path, "d.json", signed_diploma())
    proc = run([path, "--max-bytes", "200", "--json"])
    assert proc.returncode == 2 and "limit" in json.loads(proc.stdout)["errors"][0]["detail"]


def test_status_without_source_exits_3_and_says_how_to_finish(tmp_path: Path) -> None:
    entry, _ = status_setup(tmp_path)
    path = write(tmp_path, "d.json", signed_diploma(credentialStatus=entry))
    proc = run([path, "--trust", trust_file(tmp_path, ISSUER.controller), *AT])
    assert proc.returncode == 3
    last = proc.stdout.decode().strip().splitlines()[-1]
    assert last.startswith("inconclusive:") and "--status-dir DIR" in last


def test_status_dir_completes_the_check(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    entry, _ = status_setup(lists)
    # --status-dir reads lists by URL path: https://school.example/status/1 → DIR/status/1
    (tmp_path / "mirror" / "status").mkdir(parents=True)
    shutil.copy(lists / "1", tmp_path / "mirror" / "status" / "1")
    assert entry["statusListCredential"] == f"{STATUS_BASE}/1"
    path = write(tmp_path, "d.json", signed_diploma(credentialStatus=entry))
    proc = run(
        [
            path,
            "--trust",
            trust_file(tmp_path, ISSUER.controller),
            *AT,
            "--status-dir",
            str(tmp_path / "mirror"),
        ]
    )
    assert proc.returncode == 0, proc.stdout.decode()


def test_expired_with_at_flag(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", signed_diploma(validUntil="2026-09-01T00:00:00Z"))
    trust = trust_file(tmp_path, ISSUER.controller)
    assert run([path, "--trust", trust, *AT]).returncode == 1
    assert run([path, "--trust", trust, "--at", "2026-08-01T00:00:00Z"]).returncode == 0


def test_signed_trust_list_with_anchor(tmp_path: Path) -> None:
    body = trust_list_vc(ACCREDITOR, {ISSUER.controller: {"name": "Example Training Lab"}})
    trust = write(tmp_path, "accredited.json", body)
    path = write(tmp_path, "d.json", signed_diploma())
    proc = run([path, "--trust", trust, "--trust-anchor", ACCREDITOR.controller, *AT])
    assert proc.returncode == 0, proc.stdout.decode()
    assert "vouched for by National Accreditation Board" in proc.stdout.decode()
    assert run([path, "--trust", trust, *AT]).returncode == 1  # no anchor: list not accepted


def test_presentation_challenge_from_the_command_line(tmp_path: Path) -> None:
    vp = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [signed_diploma()],
    }
    vp = sign(vp, HOLDER, proof_purpose="authentication", challenge="abc", domain="jobs.example")
    path = write(tmp_path, "vp.json", vp)
    trust = trust_file(tmp_path, ISSUER.controller)
    ok = run([path, "--trust", trust, *AT, "--challenge", "abc", "--domain", "jobs.example"])
    assert ok.returncode == 0, ok.stdout.decode()
    assert "credential[0]" in ok.stdout.decode()
    assert run([path, "--trust", trust, *AT, "--challenge", "xyz"]).returncode == 1


def test_unreadable_trust_list_is_unusable(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", signed_diploma())
    proc = run([path, "--trust", str(tmp_path / "missing.txt")])
    assert proc.returncode == 2 and "cannot read trust list" in proc.stderr.decode()


@pytest.mark.parametrize("entry", ["runner", "module"])
def test_click_command_and_module_entry(tmp_path: Path, entry: str) -> None:
    path = write(tmp_path, "d.json", signed_diploma())
    args = [path, "--trust", trust_file(tmp_path, ISSUER.controller), *AT, "--json"]
    if entry == "runner":
        res = CliRunner().invoke(verify, args)
        code, out = res.exit_code, res.output
    else:
        proc = subprocess.run(
            [sys.executable, "-m", "credkit.cli.verify", *args],
            capture_output=True,
            timeout=120,
            check=False,
        )
        code, out = proc.returncode, proc.stdout.decode()
    assert code == 0 and json.loads(out)["verdict"] == "verified"


def test_bad_at_value_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(verify, [write(tmp_path, "d.json", {}), "--at", "yesterday"])
    assert res.exit_code == 2 and "--at" in res.output
