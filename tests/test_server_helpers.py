"""The server tests' harness: a real ``credkit serve`` process on 127.0.0.1, and a plain client.

No test here; the server test modules import from it (as test_verify_helpers is used).
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

for _module in ("fastapi", "uvicorn", "multipart"):
    pytest.importorskip(_module, reason="the server tests need: pip install 'credkit[server]'")

from credkit.issuer.workspace import Workspace  # noqa: E402
from credkit.jsonld.contexts import OB_V3P0, VC_V1, VC_V2  # noqa: E402
from ports import free_port  # noqa: E402  (the server tests import it from here)

TOKEN = "test-token-" + "x" * 24


def make_workspace(
    root: Path, base_url: str | None, *, did_web: str | None = None, name: str = "Reelbridge Lab"
) -> Workspace:
    return Workspace.create(
        root, name=name, base_url=base_url, did_web_domain=did_web, suspension=False
    )


def diploma(name: str = "Ananya Sharma", **extra: Any) -> dict[str, Any]:
    """An unsigned OB 3.0 diploma without issuer (the server fills in its own)."""
    doc: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "validFrom": "2026-06-30T00:00:00Z",
        "name": "Diploma in Film Post-production",
        "credentialSubject": {
            "id": f"did:example:{secrets.token_hex(4)}",
            "type": ["AchievementSubject"],
            "name": name,
            "achievement": {
                "id": "https://reelbridge.example/achievements/post",
                "type": ["Achievement"],
                "achievementType": "Diploma",
                "name": "Film Post-production",
                "description": "A one-year programme in editing, colour and sound.",
                "criteria": {"narrative": "Passed every module and the graduation film."},
            },
        },
    }
    doc.update(extra)
    return doc


def vc11(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [VC_V1],
        "type": ["VerifiableCredential"],
        "issuanceDate": "2026-06-30T00:00:00Z",
        "credentialSubject": {"id": "did:example:alumnus"},
    }
    doc.update(extra)
    return doc


class Answer:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def __repr__(self) -> str:
        return f"<{self.status} {self.body[:300]!r}>"


def call(
    method: str,
    url: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    context: ssl.SSLContext | None = None,
    token: str | None = None,
    timeout: float = 60,
) -> Answer:
    """One HTTP request over a real socket; HTTP errors are answers, not exceptions."""
    head = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        head.setdefault("Content-Type", "application/json")
    if token:
        head["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=head)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read())


def serve_workspace(tmp: Path, **workspace_options: Any) -> Server:
    """``credkit serve`` for a fresh workspace (``make_workspace``) whose base URL is the
    server's own address on 127.0.0.1; the workspace is ``server.workspace``."""
    port = free_port()
    ws = make_workspace(tmp / "ws", f"http://127.0.0.1:{port}", **workspace_options)
    return Server(tmp, workspace=ws, port=port)


class Server:
    """``python -m credkit.cli.serve serve`` in a subprocess, on a free port of 127.0.0.1."""

    def __init__(
        self,
        tmp: Path,
        *,
        workspace: Workspace | None = None,
        port: int | None = None,
        token: str | None = TOKEN,
        args: tuple[str, ...] = (),
        tls: tuple[Path, Path] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.port = port or free_port()
        self.workspace = workspace
        self.tls = tls
        self.context = ssl.create_default_context(cafile=str(tls[0])) if tls else None
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        cmd = [sys.executable, "-m", "credkit.cli.serve", "serve", "--port", str(self.port)]
        if workspace is not None:
            cmd += ["--issuer-dir", str(workspace.root)]
        if token is not None:
            token_file = tmp / f"token-{self.port}"
            token_file.write_text(f"# API tokens\n{token}\n", encoding="utf-8")
            cmd += ["--token-file", str(token_file)]
        if tls:
            cmd += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        cmd += list(args)
        env = {k: v for k, v in os.environ.items() if k != "CREDKIT_API_TOKEN"}
        self.log = tmp / f"server-{self.port}.log"
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=str(tmp)
        )
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')}")
            try:
                if (
                    call("GET", self.url + "/healthz", context=self.context, timeout=5).status
                    == 200
                ):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text(errors='replace')}")

    def __call__(self, method: str, path: str, body: Any = None, **kw: Any) -> Answer:
        kw.setdefault("context", self.context)
        return call(method, self.url + path, body, **kw)

    def issue(self, credential: dict[str, Any], options: dict[str, Any] | None = None) -> Any:
        answer = self(
            "POST",
            "/credentials/issue",
            {"credential": credential, "options": options or {}},
            token=TOKEN,
        )
        assert answer.status == 201, answer
        return answer.json()["verifiableCredential"]

    def verify(self, credential: dict[str, Any], **options: Any) -> Answer:
        return self(
            "POST", "/credentials/verify", {"verifiableCredential": credential, "options": options}
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
