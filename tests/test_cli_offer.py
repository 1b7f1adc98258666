"""``credkit offer``: claim links per graduate, their QR codes and manifest, list and revoke."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest

from credkit.issuer.offers import secret_hash
from credkit.issuer.store import SqliteStore
from test_issuer_journey import credkit, issue, own_template, roster

ROSTER = (
    "id,name,email\nT-1,Ana Lima,ana@testlab.org\nT-2,Bo Chen,bo@testlab.org\n"
    "T-3,Cy Diaz,cy@testlab.org\n"
)
BASE = "https://testlab.org/credentials"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("offer")
    ws = tmp / "lab"
    # not a test of key encryption: a clear key spares each command its scrypt
    out = credkit("init", str(ws), "--name", "Testlab", "--base-url", BASE, "--unencrypted")
    assert out.returncode == 0, out.stderr
    (ws / "program.toml").write_text(own_template(), encoding="utf-8")
    done = issue(ws, roster(tmp, ROSTER))
    assert done.returncode == 0, done.stderr
    return ws


def offer(lab: Path, *args: str) -> tuple[int, str, str]:
    out = credkit("offer", "--issuer-dir", str(lab), *args)
    return out.returncode, out.stdout, out.stderr


def test_create_by_email_prints_a_working_claim_link(lab: Path) -> None:
    code, out, err = offer(lab, "create", "bo@testlab.org", "--expires", "2d")
    assert code == 0, err
    name, link = out.strip().split("\t")
    assert name == "Bo Chen" and link.startswith(BASE + "/claim/")
    secret = link.rsplit("/", 1)[1]
    with SqliteStore(lab / "issuer.db") as store:
        found = store.offer_by_secret(secret)
        assert found is not None and found.status() == "active"
        # only the hash is kept
        assert secret not in (lab / "issuer.db").read_bytes().decode("latin-1")
        assert secret_hash(secret) in (lab / "issuer.db").read_bytes().decode("latin-1")


def test_cohort_offers_with_qr_codes_and_a_manifest(lab: Path, tmp_path: Path) -> None:
    pytest.importorskip("zxingcpp")
    from credkit.share.qr_image import read_qr

    out_dir = tmp_path / "mail"
    code, out, err = offer(lab, "create", "--all", "--out", str(out_dir), "--json")
    assert code == 0, err
    made = json.loads(out)
    assert sorted(m["name"] for m in made) == ["Ana Lima", "Bo Chen", "Cy Diaz"]
    rows = list(csv.DictReader((out_dir / "offers.csv").open(encoding="utf-8")))
    assert [r["link"] for r in rows] == [m["link"] for m in made]
    assert json.loads((out_dir / "offers.json").read_text(encoding="utf-8")) == made
    for item in made:
        png = out_dir / item["qr"]
        assert item["qr"] == f"{item['offer_id']}.png"  # the file name is no capability
        assert read_qr(png) == item["link"]
    for name in ("offers.csv", "offers.json"):
        assert stat.S_IMODE((out_dir / name).stat().st_mode) == 0o600
    by_cohort = offer(lab, "create", "--cohort", "diplomas", "--json")
    assert by_cohort[0] == 0, by_cohort[2]
    assert len(json.loads(by_cohort[1])) == 3


def test_list_and_revoke(lab: Path) -> None:
    code, out, _ = offer(lab, "create", "T-1")
    link = out.strip().split("\t")[1]
    with SqliteStore(lab / "issuer.db") as store:
        found = store.offer_by_secret(link.rsplit("/", 1)[1])
        assert found is not None
    code, out, err = offer(lab, "list", "--json")
    assert code == 0, err
    listed = {o["id"]: o for o in json.loads(out)}
    assert listed[found.id]["status"] == "active"
    assert link.rsplit("/", 1)[1] not in out
    code, out, err = offer(lab, "revoke", found.id)
    assert code == 0 and found.id in out
    code, out, err = offer(lab, "revoke", found.id)
    assert code == 2 and err.count("\n") == 1 and "withdrawn" in err
    code, out, err = offer(lab, "list")
    assert f"{found.id}\trevoked" in out


@pytest.mark.parametrize(
    "args, says",
    [
        (("create", "nobody@testlab.org"), "no diploma"),
        (("create", "urn:uuid:never-issued"), "no diploma"),
        (("create",), "one of them"),
        (("create", "T-1", "--all"), "one of them"),
        (("create", "T-1", "--expires", "forever"), "lifetime"),
        (("create", "--cohort", "no-such-cohort"), "no diploma in cohort"),
        (("revoke", "offer-unknown"), "no such offer"),
    ],
)
def test_refusals_are_one_line_exit_2(lab: Path, args: tuple[str, ...], says: str) -> None:
    code, out, err = offer(lab, *args)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and says in err and "Traceback" not in err


def test_a_revoked_diploma_is_not_offered(lab: Path, tmp_path: Path) -> None:
    revoked = credkit("status", "--issuer-dir", str(lab), "revoke", "cy@testlab.org")
    assert revoked.returncode == 0, revoked.stderr
    code, _, err = offer(lab, "create", "cy@testlab.org")
    assert code == 2 and "revoked" in err and err.count("\n") == 1
    code, out, err = offer(lab, "create", "--all", "--json")
    assert code == 0 and "skipped 1 revoked" in err
    assert "Cy Diaz" not in out


def test_a_workspace_without_base_url_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "bare"
    assert credkit("init", str(ws), "--name", "Testlab", "--unencrypted").returncode == 0
    code, _, err = offer(ws, "create", "--all")
    assert code == 2 and "base_url" in err and err.count("\n") == 1
