"""An employer in a real browser: headless Chromium opens /verify, submits diplomas, reads.

Needs Debian's ``chromium`` and the ``playwright`` Python package (its own browser download is
not used: ``executable_path`` points at /usr/bin/chromium). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_server_helpers import TOKEN, Server, diploma, serve_workspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser test needs playwright: pip install playwright (no `playwright install`)",
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        "browser test needs Chromium: apt-get update && apt-get install -y chromium",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("browser"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 1100, "height": 1400}
        )
        yield context.new_page()
        context.close()
        browser.close()


def _submit(page: Any, server: Server, file: Path) -> None:
    page.goto(server.url + "/verify")
    page.set_input_files("#file", str(file))
    page.click("button[type=submit]")
    page.wait_for_selector("#verdict")


def test_employer_verifies_a_diploma_then_sees_why_a_revoked_one_fails(
    server: Server, page: Any, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    good = server.issue(diploma("अनन्या शर्मा"))
    good_file = tmp_path / "good.json"
    good_file.write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    _submit(page, server, good_file)
    assert page.inner_text("#verdict") == "Verified"
    assert page.get_attribute("#result", "data-verdict") == "verified"
    name = page.locator("dd.name")
    assert name.inner_text() == "अनन्या शर्मा" and name.get_attribute("lang") == "und-Deva"
    page.screenshot(path=str(ARTIFACTS / "verify-verified.png"), full_page=True)

    revoked = server.issue(diploma("Somchai Jaidee"))
    answer = server(
        "POST",
        "/credentials/status",
        {"credentialId": revoked["id"], "credentialStatus": [{"status": "revoked"}]},
        token=TOKEN,
    )
    assert answer.status == 200
    bad_file = tmp_path / "revoked.json"
    bad_file.write_text(json.dumps(revoked), encoding="utf-8")
    _submit(page, server, bad_file)
    assert page.inner_text("#verdict") == "Not verified"
    row = page.locator('tr[data-check="status"]')
    assert row.get_attribute("data-status") == "failed"
    assert "revoked" in row.inner_text()
    assert "revoked" in page.inner_text(".summary")
    page.screenshot(path=str(ARTIFACTS / "verify-revoked.png"), full_page=True)


def test_pasted_json_works_without_javascript(server: Server, page: Any) -> None:
    vc = server.issue(diploma())
    page.goto(server.url + "/verify")
    page.fill("#credential", json.dumps(vc))
    page.click("button[type=submit]")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict") == "Verified"
