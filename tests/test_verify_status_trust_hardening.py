"""Issue 13 §5-6: status, trust lists and endorsements are checked every time, and the verdict
says who vouches.

Every test here failed on main at 72075bf: a revocation hidden behind an unsupported status entry,
a revoked endorsement or trust list still vouching, a trust list trusted after it expired, a did:web
list "forged" because the network was off, ``--at`` rejecting every diploma, a list signed a
second after the verifier read its clock, a set bit of an unknown purpose reported as verified, a
huge ``ttl`` crashing the cache, a diploma's self-given name shown as its issuer's, unsigned
registries silently accepted next to ``--trust-anchor``, and local paths in errors.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from credkit import Resolver
from credkit.cli.verify import verify as verify_command
from credkit.fetch import NoNetwork
from credkit.jsonld.contexts import OB_EXTENSIONS, OB_V3P0, UNDEFINED_TERMS_V2, VC_V2
from credkit.status import (
    Bitstring,
    CachingFetcher,
    DirectoryFetcher,
    status_entry,
    status_list_credential,
)
from credkit.verify import Verifier
from credkit.verify.trust import (
    TrustListError,
    TrustRegistry,
    load_registry,
    load_trust_list,
    parse_json,
)
from test_verify_helpers import (
    ACCREDITOR,
    ISSUER,
    NOW,
    OTHER,
    STATUS_BASE,
    diploma,
    memory_fetcher,
    signed,
    status_setup,
    trust_of,
    verifier,
    web_issuer,
)

NOW_TEXT = "2026-11-23T12:00:00Z"

# --- builders -----------------------------------------------------------------------------------


def plain_diploma(key: Any = ISSUER, **extra: Any) -> dict[str, Any]:
    """A signed diploma without credentialSchema (OB's schema allows one credentialStatus only)."""
    doc = diploma(key.controller, **extra)
    doc.pop("credentialSchema")
    return signed(doc, key)


def write_list(
    folder: Path,
    number: int,
    key: Any,
    *,
    revoked: tuple[int, ...] = (),
    purpose: str = "revocation",
    valid_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    ttl: int | None = None,
) -> str:
    """A signed list ``{STATUS_BASE}/{number}`` in ``folder``; returns its URL."""
    url = f"{STATUS_BASE}/{number}"
    bits = Bitstring()
    for i in revoked:
        bits.set(i)
    unsigned = status_list_credential(
        url, key.controller, purpose, bits, valid_from=valid_from, ttl=ttl
    )
    (folder / str(number)).write_text(json.dumps(signed(unsigned, key)))
    return url


def fetcher_for(folder: Path) -> DirectoryFetcher:
    return DirectoryFetcher(folder, base_url=STATUS_BASE)


def endorsement(key: Any = ACCREDITOR, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0, OB_EXTENSIONS],
        "id": "urn:uuid:e0000000-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Programme accreditation",
        "issuer": {"id": key.controller, "type": ["Profile"], "name": "Accreditation Board"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://school.example/achievements/applied-crypto",
            "type": ["EndorsementSubject"],
            "endorsementComment": "An accredited programme.",
        },
    }
    doc.update(extra)
    return signed(doc, key)


def endorsed_diploma(*endorsements: dict[str, Any]) -> dict[str, Any]:
    doc = diploma(ISSUER.controller)
    doc["credentialSubject"]["achievement"]["endorsement"] = list(endorsements)
    return signed(doc)


def trust_list_doc(**extra: Any) -> dict[str, Any]:
    """The accreditor's signed IssuerTrustList naming ISSUER (docs/verification.md's shape)."""
    doc: dict[str, Any] = {
        "@context": [VC_V2, UNDEFINED_TERMS_V2],
        "id": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "IssuerTrustList"],
        "issuer": {"id": ACCREDITOR.controller, "name": "National Accreditation Board"},
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2027-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000002",
            "type": "IssuerTrustList",
            "name": "Accredited training providers 2026",
            "registry": {ISSUER.controller: {"name": "Example Training Lab"}},
        },
    }
    doc.update(extra)
    return signed(doc, ACCREDITOR)


def accredited(doc: dict[str, Any]) -> TrustRegistry:
    return TrustRegistry(
        [parse_json(doc, name="accredited.json", anchors=[ACCREDITOR.controller])]
    )


def run_cli(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(verify_command, args)
    return result.exit_code, result.output


# --- §5: every status entry is checked ---------------------------------------------------------


def test_an_unsupported_status_entry_does_not_hide_a_revocation_after_it(tmp_path: Path) -> None:
    revoked, fetcher = status_setup(tmp_path, revoked=(7,))
    unsupported = {"id": "https://x.example/revocations#1", "type": "1EdTechRevocationList"}
    doc = plain_diploma(credentialStatus=[unsupported, revoked])
    for strict in (False, True):
        result = verifier(status_fetcher=fetcher, strict=strict).verify_credential(doc)
        check = result.check("status")
        assert check.status == "failed" and check.reason == "revoked", check
        assert result.summary == "not verified: revoked"
    # the command line gives the same verdict (exit 1, "revoked")
    mirror = tmp_path / "mirror" / "status"
    mirror.mkdir(parents=True)
    shutil.copy(tmp_path / "1", mirror / "1")
    path = tmp_path / "d.json"
    path.write_text(json.dumps(doc))
    trust = tmp_path / "trusted.txt"
    trust.write_text(ISSUER.controller + "\n")
    code, out = run_cli(
        [str(path), "--status-dir", str(tmp_path / "mirror"), "--trust", str(trust), "--json"]
    )
    assert code == 1 and json.loads(out)["summary"] == "not verified: revoked"


def test_a_revocation_decides_over_a_list_that_could_not_be_had(tmp_path: Path) -> None:
    revoked, fetcher = status_setup(tmp_path, revoked=(7,))
    missing = status_entry(f"{STATUS_BASE}/9", 3, "suspension")  # no such file
    doc = plain_diploma(credentialStatus=[missing, revoked])
    check = verifier(status_fetcher=fetcher).verify_credential(doc).check("status")
    assert check.status == "failed" and check.reason == "revoked", check


def test_a_list_that_cannot_be_had_still_fails_when_nothing_is_revoked(tmp_path: Path) -> None:
    fine, fetcher = status_setup(tmp_path)
    missing = status_entry(f"{STATUS_BASE}/9", 3, "suspension")
    doc = plain_diploma(credentialStatus=[fine, missing])
    check = verifier(status_fetcher=fetcher).verify_credential(doc).check("status")
    assert check.status == "failed" and check.reason == "status not confirmed"
    assert check.error["type"].endswith("#STATUS_RETRIEVAL_ERROR")


@pytest.mark.parametrize("purpose", ["message", "audit-flag"])
def test_a_set_bit_of_a_purpose_credkit_cannot_act_on_is_never_plainly_verified(
    tmp_path: Path, purpose: str
) -> None:
    entry, fetcher = status_setup(tmp_path, revoked=(7,), purpose=purpose)
    doc = plain_diploma(credentialStatus=entry)
    lenient = verifier(status_fetcher=fetcher).verify_credential(doc)
    check = lenient.check("status")
    assert check.status == "warning" and purpose in check.message, check
    assert any(purpose in w for w in lenient.all_warnings)
    strict = verifier(status_fetcher=fetcher, strict=True).verify_credential(doc)
    assert strict.check("status").status == "skipped" and strict.verdict == "inconclusive"
    # a clear bit of the same purpose says nothing: verified
    clear, fetcher = status_setup(tmp_path, purpose=purpose)
    assert verifier(status_fetcher=fetcher, strict=True).verify_credential(
        plain_diploma(credentialStatus=clear)
    ).verified


# --- §5: did:web status lists offline, unresolvable keys ---------------------------------------


def test_did_web_status_list_offline_is_could_not_check_not_forged(tmp_path: Path) -> None:
    key, _ = web_issuer()
    entry, fetcher = status_setup(tmp_path, issuer=key)
    doc = plain_diploma(key, credentialStatus=entry)
    result = verifier(
        resolver=Resolver(fetcher=NoNetwork()),
        status_fetcher=fetcher,
        trust=trust_of(key.controller),
    ).verify_credential(doc)
    check = result.check("status")
    assert check.status == "skipped" and not check.conclusive, check
    assert "--allow-network" in check.message and "proof invalid" not in check.message
    assert result.verdict == "inconclusive"


def test_did_web_status_list_whose_key_cannot_be_resolved_says_so(tmp_path: Path) -> None:
    key, docs = web_issuer()
    entry, fetcher = status_setup(tmp_path, issuer=key)
    doc = plain_diploma(key, credentialStatus=entry)
    # the diploma's key resolves once, then the host is gone when the list is checked
    served = dict(docs)
    calls: list[str] = []

    def flaky(url: str) -> bytes:
        calls.append(url)
        if len(calls) > 1:
            served.clear()
        return memory_fetcher(served)(url)

    result = verifier(
        resolver=Resolver(fetcher=flaky), status_fetcher=fetcher, trust=trust_of(key.controller)
    ).verify_credential(doc)
    check = result.check("status")
    assert check.status == "failed" and check.reason == "status not confirmed", check
    assert "could not be resolved" in check.message and "proof invalid" not in check.message


def test_status_list_signed_by_someone_else_names_the_signer(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path, issuer=OTHER)
    check = verifier(status_fetcher=fetcher).verify_credential(
        plain_diploma(credentialStatus=entry)
    ).check("status")
    assert check.status == "failed" and OTHER.controller in check.message


# --- §5: list dates describe the list, judged now, with the reference's clock skew -------------


def test_at_before_a_lists_valid_from_still_uses_the_list(tmp_path: Path) -> None:
    lists = tmp_path / "mirror" / "status"
    lists.mkdir(parents=True)
    url = write_list(lists, 1, ISSUER)  # published 2026-01-01
    doc = plain_diploma(
        validFrom="2025-06-01T00:00:00Z", credentialStatus=status_entry(url, 7, "revocation")
    )
    path = tmp_path / "d.json"
    path.write_text(json.dumps(doc))
    trust = tmp_path / "trusted.txt"
    trust.write_text(ISSUER.controller + "\n")
    args = [str(path), "--status-dir", str(tmp_path / "mirror"), "--trust", str(trust)]
    code, out = run_cli([*args, "--at", "2025-09-01T00:00:00Z", "--json"])
    assert code == 0, out
    assert json.loads(out)["verdict"] == "verified"
    # a revocation in a list published later is still a revocation
    write_list(lists, 1, ISSUER, revoked=(7,))
    code, out = run_cli([*args, "--at", "2025-09-01T00:00:00Z", "--json"])
    assert code == 1 and json.loads(out)["summary"] == "not verified: revoked"


def test_a_list_signed_moments_after_the_verifiers_clock_is_accepted(tmp_path: Path) -> None:
    # the reference (@digitalbazaar/vc) tolerates 300 s of clock skew on validFrom/validUntil
    url = write_list(tmp_path, 1, ISSUER, valid_from=NOW + timedelta(seconds=60))
    doc = plain_diploma(credentialStatus=status_entry(url, 7, "revocation"))
    fetcher = fetcher_for(tmp_path)
    assert verifier(status_fetcher=fetcher).verify_credential(doc).check("status").status == (
        "passed"
    )
    write_list(tmp_path, 1, ISSUER, valid_from=NOW + timedelta(minutes=10))
    check = verifier(status_fetcher=fetcher).verify_credential(doc).check("status")
    assert check.status == "failed" and "not valid yet" in check.message


def test_credential_dates_tolerate_the_references_clock_skew() -> None:
    soon = (NOW + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    just_ended = (NOW - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert verifier().verify_credential(plain_diploma(validFrom=soon)).verified
    ended = plain_diploma(validFrom="2026-01-01T00:00:00Z", validUntil=just_ended)
    assert verifier().verify_credential(ended).verified
    later = (NOW + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert verifier().verify_credential(plain_diploma(validFrom=later)).summary == (
        "not verified: not yet valid"
    )


@pytest.mark.interop
def test_clock_skew_agrees_with_the_reference_verifier() -> None:
    from interop.jsref import (
        JsReference,
        ReferenceUnavailableError,
        interop_must_run,
        skip_requested,
    )

    if skip_requested():
        pytest.skip("CREDKIT_SKIP_INTEROP is set")
    try:
        js = JsReference.setup()
    except ReferenceUnavailableError as exc:
        if interop_must_run():
            pytest.fail(f"interop reference unavailable in CI (CI=true): {exc}", pytrace=False)
        pytest.skip(f"interop reference unavailable: {exc}")
    start = datetime(2026, 6, 30, tzinfo=UTC)
    credential = signed(
        {
            "@context": [VC_V2],
            "type": ["VerifiableCredential"],
            "issuer": ISSUER.controller,
            "validFrom": "2026-06-30T00:00:00Z",
            "validUntil": "2026-07-30T00:00:00Z",
            "credentialSubject": {"id": "did:example:graduate"},
        }
    )
    end = datetime(2026, 7, 30, tzinfo=UTC)
    for when in (
        start - timedelta(seconds=299),
        start - timedelta(seconds=301),
        end + timedelta(seconds=299),
        end + timedelta(seconds=301),
    ):
        theirs = js.verify(credential, now=when.isoformat().replace("+00:00", "Z"))["verified"]
        ours = Verifier(clock=lambda w=when: w).verify_credential(credential)  # type: ignore[misc]
        assert ours.verified == theirs, (when, ours.check("validity"), theirs)


# --- §5: the issuer does not stamp a list later than the change it records ---------------------


def test_published_list_is_valid_from_its_last_change_not_later(tmp_path: Path) -> None:
    from credkit.issuer.store import SqliteStore
    from credkit.proofs import sign
    from credkit.status import publish

    store = SqliteStore(tmp_path / "s.db", base_url="https://school.example")
    store.issue(
        "urn:a",
        ["revocation"],
        lambda entries: sign(
            {
                "@context": [VC_V2],
                "id": "urn:a",
                "type": ["VerifiableCredential"],
                "issuer": ISSUER.controller,
                "credentialSubject": {"id": "did:example:a"},
                "credentialStatus": entries,
            },
            ISSUER,
        ),
    )
    store.set_status("urn:a", "revocation", 1)
    changed = datetime.fromisoformat(store.lists()[0].updated_at.replace("Z", "+00:00"))
    publish(store, ISSUER, tmp_path / "site", "https://school.example", now=changed + timedelta(1))
    listed = json.loads((tmp_path / "site" / "status" / "1").read_text())
    valid_from = datetime.fromisoformat(listed["validFrom"].replace("Z", "+00:00"))
    assert valid_from <= changed
    store.close()


def test_caching_fetcher_clamps_a_huge_ttl() -> None:
    clock = [NOW]
    calls: list[str] = []
    ttl: list[int] = [2**53 - 1]

    def inner(url: str) -> dict[str, Any]:
        calls.append(url)
        return {"credentialSubject": {"ttl": ttl[0]}}

    cache = CachingFetcher(inner, clock=lambda: clock[0])
    cache("https://school.example/status/1")  # 285,000 years: overflowed datetime before
    clock[0] += timedelta(hours=23)
    cache("https://school.example/status/1")
    assert len(calls) == 1
    clock[0] += timedelta(hours=2)
    cache("https://school.example/status/1")
    assert len(calls) == 2
    ttl[0] = 10**400  # legal JSON, too large for a float
    cache.clear()
    cache("https://school.example/status/1")
    assert len(calls) == 3


# --- §5: endorsements: status and dates ----------------------------------------------------------


def test_revoked_endorsement_fails_and_is_not_shown_as_endorsing(tmp_path: Path) -> None:
    # OB 3.0 §9.2 "check the status" of each endorsement; §9.1: verified only if all steps pass
    entry, fetcher = status_setup(tmp_path, issuer=ACCREDITOR, revoked=(7,))
    doc = endorsed_diploma(endorsement(credentialStatus=entry))
    result = verifier(status_fetcher=fetcher).verify_credential(doc)
    check = result.check("endorsements")
    assert check.status == "failed" and check.reason == "endorsement revoked", check
    assert check.message.startswith("no valid endorsement")
    assert "endorsed by" not in check.message and "revoked by its endorser" in check.message
    assert result.summary == "not verified: endorsement revoked"


def test_endorsement_whose_status_cannot_be_checked_is_not_confirmed(tmp_path: Path) -> None:
    entry, _ = status_setup(tmp_path, issuer=ACCREDITOR)
    doc = endorsed_diploma(endorsement(credentialStatus=entry))
    result = verifier().verify_credential(doc)
    check = result.check("endorsements")
    assert check.status == "skipped" and not check.conclusive, check
    assert "endorsed by" not in check.message and "could not be confirmed" in check.message
    assert result.verdict == "inconclusive"


def test_expired_and_valid_endorsements_are_told_apart() -> None:
    stale = endorsement(OTHER, validUntil="2026-02-01T00:00:00Z")
    doc = endorsed_diploma(stale, endorsement())
    check = verifier().verify_credential(doc).check("endorsements")
    assert check.status == "failed" and check.reason == "endorsement expired"
    endorsed, _, rest = check.message.partition("; ")
    assert ACCREDITOR.controller in endorsed and OTHER.controller not in endorsed
    assert OTHER.controller in rest and "expired" in rest


# --- §5: trust lists: status, dates at every verification, cached proof only -------------------


def test_revoked_trust_list_vouches_for_nobody(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path, issuer=ACCREDITOR, revoked=(7,))
    trust = accredited(trust_list_doc(credentialStatus=entry))
    result = verifier(trust=trust, status_fetcher=fetcher).verify_credential(plain_diploma())
    check = result.check("trusted_issuer")
    assert check.status == "failed", check
    assert "was ignored" in check.message and "revoked" in check.message
    assert result.summary == "not verified: issuer not trusted"


def test_trust_list_whose_status_cannot_be_checked_is_not_vouching(tmp_path: Path) -> None:
    entry, _ = status_setup(tmp_path, issuer=ACCREDITOR)
    trust = accredited(trust_list_doc(credentialStatus=entry))
    result = verifier(trust=trust).verify_credential(plain_diploma())
    check = result.check("trusted_issuer")
    assert check.status == "skipped" and not check.conclusive, check
    assert "could not be confirmed" in check.message and "--status-dir" in check.message
    assert result.verdict == "inconclusive"
    assert "vouched" not in result.summary


def test_a_long_lived_verifier_stops_trusting_a_list_when_it_expires() -> None:
    clock = [datetime(2026, 12, 31, 23, 0, tzinfo=UTC)]
    server_like = Verifier(clock=lambda: clock[0], trust=accredited(trust_list_doc()))
    assert server_like.verify_credential(plain_diploma()).check("trusted_issuer").status == (
        "passed"
    )
    clock[0] = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # the list expired an hour ago
    check = server_like.verify_credential(plain_diploma()).check("trusted_issuer")
    assert check.status == "failed" and "expired" in check.message


def test_trust_list_changed_in_memory_after_a_check_is_checked_again() -> None:
    doc = trust_list_doc()
    trust = accredited(doc)
    v = verifier(trust=trust)
    assert v.verify_credential(plain_diploma()).check("trusted_issuer").status == "passed"
    doc["validUntil"] = "2030-01-01T00:00:00Z"  # the signature no longer covers this
    trust.lists[0].document = doc
    check = v.verify_credential(plain_diploma()).check("trusted_issuer")
    assert check.status == "failed" and "signature" in check.message


def test_trust_list_signature_is_verified_once_while_its_bytes_stay_the_same() -> None:
    v = verifier(trust=accredited(trust_list_doc()))
    seen: list[str] = []
    original = v.proof

    def counting(document: dict[str, Any], now: datetime, **kw: Any) -> Any:
        seen.append("list" if "IssuerTrustList" in document.get("type", []) else "diploma")
        return original(document, now, **kw)

    v.proof = counting  # type: ignore[method-assign]
    for _ in range(3):
        assert v.verify_credential(plain_diploma()).check("trusted_issuer").status == "passed"
    assert seen.count("list") == 1 and seen.count("diploma") == 3


# --- §6: who vouches, plainly --------------------------------------------------------------------


def registry_file(tmp: Path, body: Any, name: str = "r.json") -> Path:
    path = tmp / name
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def test_issuer_is_named_by_its_trust_list_not_by_itself(tmp_path: Path) -> None:
    doc = diploma(ISSUER.controller)
    doc["issuer"]["name"] = "Harvard University"
    doc = signed(doc)
    body = {
        "meta": {"name": "State registry"},
        "registry": {ISSUER.controller: {"name": "Example Training Lab"}},
    }
    path = registry_file(tmp_path, body)
    result = verifier(trust=load_registry([path])).verify_credential(doc)
    assert result.verified
    assert result.issuer_label == f"Example Training Lab ({ISSUER.controller})"
    assert "Harvard" not in result.summary
    out = result.to_json()["issuer"]
    assert out["name"] == "Example Training Lab" and out["selfDescribedName"] == "Harvard University"
    assert out["vouched"] is True and out["list"] == "State registry"
    # the command line prints the same name
    file = tmp_path / "d.json"
    file.write_text(json.dumps(doc))
    code, text = run_cli([str(file), "--trust", str(path), "--at", "2026-11-23T12:00:00Z"])
    assert code == 0
    first = text.splitlines()[0]
    assert first == f"Applied Cryptography — issued by Example Training Lab ({ISSUER.controller})"


def test_a_name_nobody_vouches_for_is_shown_as_self_described() -> None:
    doc = diploma(OTHER.controller)
    doc["issuer"]["name"] = "Harvard University"
    result = verifier(trust=None).verify_credential(signed(doc, OTHER))
    assert result.issuer_label == f'{OTHER.controller} (calls itself "Harvard University")'
    assert result.to_json()["issuer"]["name"] is None
    assert not result.issuer_vouched and "no trust list" in result.summary
    untrusted = verifier(trust=trust_of(ISSUER.controller)).verify_credential(signed(doc, OTHER))
    assert untrusted.issuer_label.startswith(OTHER.controller)


def test_endorsers_are_shown_by_did_and_by_the_name_a_trust_list_gives(tmp_path: Path) -> None:
    body = {
        "meta": {"name": "State registry"},
        "registry": {
            ISSUER.controller: {"name": "Example Training Lab"},
            ACCREDITOR.controller: {"name": "National Accreditation Board"},
        },
    }
    trust = load_registry([registry_file(tmp_path, body)])
    doc = endorsed_diploma(endorsement(), endorsement(OTHER, id="urn:uuid:e2"))
    check = verifier(trust=trust).verify_credential(doc).check("endorsements")
    assert check.status == "passed", check
    known = f"National Accreditation Board ({ACCREDITOR.controller}, listed in 'State registry')"
    unknown = f'{OTHER.controller} (self-described as "Accreditation Board")'
    assert check.message == f"endorsed by {known}, {unknown}"


def test_unsigned_registry_next_to_a_trust_anchor_is_flagged(tmp_path: Path) -> None:
    plain = registry_file(tmp_path, f"{ISSUER.controller}\n", "local.txt")
    trust = load_registry([plain], anchors=[ACCREDITOR.controller])
    lenient = verifier(trust=trust).verify_credential(plain_diploma())
    assert lenient.verified
    assert any("'local.txt' is not signed" in w for w in lenient.warnings)
    strict = verifier(trust=trust, strict=True).verify_credential(plain_diploma())
    check = strict.check("trusted_issuer")
    assert check.status == "failed" and "not signed" in check.message
    # the signed list of the anchor still counts in strict mode
    signed_list = registry_file(tmp_path, trust_list_doc(), "accredited.json")
    both = load_registry([plain, signed_list], anchors=[ACCREDITOR.controller])
    assert verifier(trust=both, strict=True).verify_credential(plain_diploma()).verified
    # and the command line shows the warning
    file = tmp_path / "d.json"
    file.write_text(json.dumps(plain_diploma()))
    code, text = run_cli(
        [str(file), "--trust", str(plain), "--trust-anchor", ACCREDITOR.controller, *["--at", NOW_TEXT]]
    )
    assert code == 0 and "'local.txt' is not signed" in text


def test_results_and_errors_carry_no_local_paths(tmp_path: Path) -> None:
    secret = tmp_path / "private-folder"
    secret.mkdir()
    entry, fetcher = status_setup(secret)
    (secret / "1").unlink()
    check = verifier(status_fetcher=fetcher).verify_credential(
        plain_diploma(credentialStatus=entry)
    ).check("status")
    assert check.status == "failed" and str(secret) not in json.dumps(check.to_json())
    outside = DirectoryFetcher(secret)
    with pytest.raises(Exception) as caught:
        outside.path_for("https://school.example/%2e%2e/%2e%2e/etc/passwd")
    assert str(secret) not in str(caught.value)
    with pytest.raises(TrustListError) as missing:
        load_trust_list(secret / "missing.json")
    assert str(secret) not in missing.value.message and "missing.json" in missing.value.message
    good = registry_file(secret, f"{ISSUER.controller}\n", "ok.txt")
    assert load_trust_list(good).source == "ok.txt"
    code, out = run_cli([str(secret / "nope.json"), "--json"])
    assert code == 2 and str(secret) not in out and "nope.json" in out
