"""Add and verify Data Integrity proofs: single proofs, proof sets and proof chains.

Follows VC Data Integrity 1.0 §4.2 (Add Proof), §4.3 (Add Proof Set/Chain), §4.4 (Verify Proof) and
§4.5 (Verify Proof Sets and Chains). Verification collects one result per proof instead of stopping
at the first failure, so a caller can say which proof failed and why.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from credkit.errors import (
    CredkitError,
    InvalidChallengeError,
    InvalidDomainError,
    MalformedProofError,
    MalformedValueError,
    MismatchedProofPurposeError,
    NetworkDisabledError,
    ParsingError,
    ProofGenerationError,
    ProofVerificationError,
    RetiredKeyError,
)
from credkit.identity.did import Resolver, VerificationMethod
from credkit.identity.signer import Signer
from credkit.jsonld import shapes
from credkit.jsonld.contexts import DEFAULT_LOADER, ED25519_2020_V1, DocumentLoader
from credkit.jsonld.jsonview import json_view_problems
from credkit.proofs.suites import DEFAULT_SUITE, by_name, for_proof
from credkit.proofs.suites.base import DATETIME, json_copy
from credkit.proofs.suites.ed25519_signature_2020 import has_suite_context

OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_datetime(value: datetime | str) -> str:
    """An XML Schema dateTimeStamp in UTC with ``Z`` (what the spec examples use)."""
    if isinstance(value, str):
        if not DATETIME.match(value):
            raise ProofGenerationError(f"{value!r} is not an XML Schema dateTimeStamp")
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str) -> datetime:
    """Parse a dateTimeStamp; values without an offset are UTC (VC DM 2.0 §4.10)."""
    if not isinstance(value, str) or not DATETIME.match(value):
        raise ValueError(f"{value!r} is not an XML Schema dateTimeStamp")
    text = value.replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if "T24:00:00" in text:  # XSD allows 24:00:00 = midnight of the next day
        base = datetime.fromisoformat(text.replace("T24:00:00", "T00:00:00").split(".")[0])
        from datetime import timedelta

        parsed = base + timedelta(days=1)
    else:
        # Python accepts at most 6 fractional digits
        head, dot, rest = text.partition(".")
        if dot:
            digits = "".join(c for c in rest if c.isdigit())
            text = head + "." + digits[:6].ljust(6, "0") + rest[len(digits) :]
        parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (``proof`` may be one object or a set)."""
    value = document.get("proof")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise ParsingError("every proof must be a JSON object (VC DI §4.4 step 1)")
    return items


def _without_proof(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


# --- signing ---------------------------------------------------------------------------------


def sign(
    document: dict[str, Any],
    key: Signer,
    *,
    cryptosuite: str = DEFAULT_SUITE,
    proof_purpose: str = "assertionMethod",
    created: datetime | str | None = None,
    expires: datetime | str | None = None,
    challenge: str | None = None,
    domain: str | list[str] | None = None,
    nonce: str | None = None,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    loader: DocumentLoader | None = None,
    proof_as_list: bool | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with one more proof (VC DI §4.2, §4.3).

    Existing proofs stay: without ``previous_proof`` the new proof joins a proof set (it signs the
    document without any proof); with it, the named proofs are signed too (a proof chain).
    ``proof`` is emitted as a list when there are several, when asked, or for Open Badges 3.0
    credentials (the OB 3.0 schema wants an array); otherwise as a single object.
    """
    if not isinstance(document, dict):
        raise ProofGenerationError("only a JSON object can be signed")
    suite = by_name(cryptosuite)
    loader = loader or DEFAULT_LOADER
    existing = proofs_of(document)
    unsecured = json_copy(_without_proof(document))
    if suite.proof_type == "Ed25519Signature2020" and not has_suite_context(unsecured):
        # the 2020 suite's terms are not in the VC contexts; add its context (as the JS suite does)
        ctx = unsecured.get("@context", [])
        unsecured["@context"] = [*(ctx if isinstance(ctx, list) else [ctx]), ED25519_2020_V1]
    options: dict[str, Any] = {"type": suite.proof_type}
    if proof_id is not None:
        options["id"] = proof_id
    if suite.cryptosuite is not None:
        options["cryptosuite"] = suite.cryptosuite
    options["created"] = format_datetime(created if created is not None else now_utc())
    if expires is not None:
        options["expires"] = format_datetime(expires)
    options["verificationMethod"] = key.id
    options["proofPurpose"] = proof_purpose
    for name, value in (("challenge", challenge), ("domain", domain), ("nonce", nonce)):
        if value is not None:
            options[name] = value
    if not proof_purpose or not key.id:
        raise ProofGenerationError("proofPurpose and verificationMethod are required (DI §4.2)")

    signing_input = unsecured
    if previous_proof is not None:
        options["previousProof"] = previous_proof
        wanted = [previous_proof] if isinstance(previous_proof, str) else list(previous_proof)
        matching = [p for p in existing if p.get("id") in wanted]
        if len(matching) != len(wanted):
            raise ProofGenerationError(f"previousProof {wanted} names a proof the document lacks")
        signing_input = {**unsecured, "proof": copy.deepcopy(matching)}

    shapes.signed_shape(None)  # forget any shape an earlier call left
    proof = suite.create(signing_input, options, key, loader)
    if suite.name in RDF_SUITES:  # after create: its safe mode names an undefined term first
        _refuse_hidden_statements(unsecured, shapes.signed_shape(unsecured))
    secured = dict(unsecured)
    all_proofs = [*json_copy(existing), proof]
    if proof_as_list is None:
        ctx = unsecured.get("@context")
        ctx_list = ctx if isinstance(ctx, list) else [ctx]
        proof_as_list = isinstance(document.get("proof"), list) or any(
            isinstance(c, str) and c.startswith(OB_CONTEXT_PREFIX) for c in ctx_list
        )
    secured["proof"] = all_proofs if (proof_as_list or len(all_proofs) > 1) else proof
    return secured


def _refuse_hidden_statements(unsecured: dict[str, Any], shape: Any = None) -> None:
    """Sign only JSON that says what its RDF says: the verifier's compacted-form rule, up front.

    An RDF proof signs what the document expands to. A full-IRI key
    (``"https://www.w3.org/2018/credentials#issuer"``), an inline alias or prefix of a VC term, or
    ``@graph`` / ``@included`` / ``@reverse`` would put a second issuer or a foreign status entry
    into the signed data where a JSON reader does not look. :func:`verify` fails such a proof
    (``_check_json_view``, VC DM 2.0 §4.1/§7.1); an issuer must not make it in the first place
    (VC DM 2.0 §4: a conforming issuer signs only conforming documents).

    ``shape`` is the compiled shape (credkit.jsonld.shapes) the signature was made from, if any: the
    verdict depends only on what its key holds, so a cohort walks each shape once.
    """
    if shape is not None and shape.view_clean:
        return
    problems = json_view_problems(unsecured)
    if not problems:
        if shape is not None:
            shape.view_clean = True
        return
    shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    raise ProofGenerationError(
        "refusing to sign: the JSON is not written the way its contexts define (compacted "
        f"JSON-LD), so it would not say what the proof signs: {shown}"
    )


# --- verifying -------------------------------------------------------------------------------


@dataclass
class ProofResult:
    """The outcome for one proof: what it claimed, and whether that held."""

    proof: dict[str, Any]
    verified: bool = False
    suite: str | None = None
    verification_method: str | None = None
    controller: str | None = None
    error: CredkitError | None = None
    # where the proof stands in the document's ``proof`` (1-based): copies are counted once
    number: int = 0
    # the proof names a previousProof but signed the document without it (see verify)
    unbound_chain: bool = False


@dataclass
class ProofSetResult:
    """All proofs of a document; ``verified`` only when there is one and every one verified.

    VC DI 1.0 §4.5: every proof of a set or chain is verified, and one that fails, or that credkit
    cannot check (unknown type or cryptosuite, a key it cannot have), keeps the whole from being
    verified. ``inconclusive`` is the one softer outcome: nothing failed, but some key is
    published online and the network was off, so the answer could still go either way.
    """

    results: list[ProofResult] = field(default_factory=list)
    # (copy, original): proof numbers of byte-identical copies that were counted once
    copies: list[tuple[int, int]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """What a reader should know although nothing failed: copies, unbound chain links."""
        notes = [
            f"proof {copy} is an exact copy of proof {original}: counted once "
            "(a proof set holds each proof once, VC Data Integrity 1.0 §2.1)"
            for copy, original in self.copies
        ]
        notes.extend(
            f"proof {r.number} names previousProof {r.proof.get('previousProof')!r} but signed "
            "the document without it: the chain order is not signed (VC Data Integrity 1.0 "
            "§4.3 includes the previous proofs; some implementations do not)"
            for r in self.results
            if r.verified and r.unbound_chain
        )
        return notes

    @property
    def verified(self) -> bool:
        return bool(self.results) and all(r.verified for r in self.results)

    @property
    def offline(self) -> list[ProofResult]:
        """Proofs whose key could not be fetched because the network is off."""
        return [r for r in self.results if isinstance(r.error, NetworkDisabledError)]

    @property
    def inconclusive(self) -> bool:
        """Not verified only because some keys are online: nothing failed, nothing is unknown."""
        return bool(self.offline) and all(
            r.verified or isinstance(r.error, NetworkDisabledError) for r in self.results
        )

    @property
    def errors(self) -> list[CredkitError]:
        return [r.error for r in self.results if r.error is not None]

    @property
    def controllers(self) -> set[str]:
        return {r.controller for r in self.results if r.verified and r.controller}


def _as_set(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_proof_shape(
    proof: dict[str, Any],
    expected_purpose: str | None,
    challenge: str | None,
    domain: str | Iterable[str] | None,
    now: datetime,
) -> None:
    # DI §4.4 step 2: type, verificationMethod and proofPurpose are required strings
    for name in ("type", "verificationMethod", "proofPurpose"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            raise MalformedProofError(f"proof has no {name}")
    if expected_purpose is not None and proof["proofPurpose"] != expected_purpose:
        raise MismatchedProofPurposeError(
            f"proof purpose is {proof['proofPurpose']!r}, expected {expected_purpose!r}"
        )
    if domain is not None:
        wanted = {domain} if isinstance(domain, str) else set(domain)
        got = proof.get("domain")
        if got is None or not all(isinstance(d, str) for d in _as_set(got)):
            raise InvalidDomainError("proof has no domain, but one was expected")
        if set(_as_set(got)) != wanted:
            raise InvalidDomainError(f"proof domain {got!r} is not the expected {sorted(wanted)}")
    if challenge is not None and proof.get("challenge") != challenge:
        raise InvalidChallengeError("proof challenge does not match the expected challenge")
    for name in ("created", "expires"):
        value = proof.get(name)
        if value is not None and (not isinstance(value, str) or not DATETIME.match(value)):
            raise MalformedProofError(f"proof {name} {value!r} is not an XML Schema dateTimeStamp")
    if proof.get("expires") is not None and parse_datetime(proof["expires"]) < now:
        raise ProofVerificationError(f"proof expired at {proof['expires']}")


def verify(
    document: dict[str, Any],
    *,
    resolver: Resolver | None = None,
    loader: DocumentLoader | None = None,
    expected_proof_purpose: str | None = "assertionMethod",
    challenge: str | None = None,
    domain: str | Iterable[str] | None = None,
    now: datetime | None = None,
) -> ProofSetResult:
    """Verify every proof of ``document`` (VC DI §4.4, §4.5).

    A proof with ``previousProof`` is checked against the document plus the proofs it names
    (a proof chain); each named proof must be in the set, verify, and not lead back to the proof.
    Byte-identical copies of a proof count once (:attr:`ProofSetResult.copies`).

    Raises :class:`ParsingError` for a document that is not a JSON object (or whose proofs are not
    objects, or share an id) and :class:`MalformedProofError` for one with no proof at all; every
    other failure is recorded on that proof's :class:`ProofResult`.
    """
    if not isinstance(document, dict):
        raise ParsingError("a secured document must be a JSON object")
    if "proof" not in document:
        raise MalformedProofError("the document has no proof")
    proofs = proofs_of(document)
    if not proofs:
        raise MalformedProofError("the document's proof set is empty")
    resolver = resolver or Resolver()
    loader = loader or DEFAULT_LOADER
    now = now or datetime.now(UTC)
    unsecured = _without_proof(document)
    result = ProofSetResult()
    kept = _distinct(proofs, result.copies)
    by_id: dict[str, dict[str, Any]] = {}
    for _, proof in kept:
        pid = proof.get("id")
        if isinstance(pid, str):
            if pid in by_id:
                raise ParsingError(f"two proofs share the id {pid} (DI §2.1.2 proof chains)")
            by_id[pid] = proof
    all_proofs = [proof for _, proof in kept]

    for number, proof in kept:
        outcome = ProofResult(proof=proof, number=number)
        result.results.append(outcome)
        try:
            _check_proof_shape(proof, expected_proof_purpose, challenge, domain, now)
            suite = for_proof(proof)
            outcome.suite = suite.name
            wanted = _previous_ids(proof, by_id)
            method = resolver.resolve_verification_method(
                proof["verificationMethod"], proof["proofPurpose"]
            )
            outcome.verification_method = method.id
            outcome.controller = method.controller
            _check_method_validity(proof, method, now)
            if not wanted:
                suite.verify(unsecured, proof, method.public_key, loader)
            else:
                # DI §4.5 step 3: the chained proof signed the document plus the full proofs it
                # names, in the order of allProofs (as §4.3 and :func:`sign` build them)
                matching = [p for p in all_proofs if p.get("id") in wanted]
                try:
                    suite.verify({**unsecured, "proof": matching}, proof, method.public_key, loader)
                except ProofVerificationError as exc:
                    if type(exc) is not ProofVerificationError:
                        raise  # malformed, not merely another signed text: no second reading
                    # The JavaScript libraries (@digitalbazaar/data-integrity 2.x, which the W3C
                    # suites sign with) sign a chained proof over the document alone, as the
                    # cryptosuites' Verify Proof (eddsa §3.x.2 step 1) reads it. Accept that
                    # reading too, flagged: the named proofs must still exist and verify.
                    try:
                        suite.verify(unsecured, proof, method.public_key, loader)
                    except CredkitError:
                        raise exc from None
                    outcome.unbound_chain = True
            outcome.verified = True
        except CredkitError as exc:
            outcome.error = exc
        except RecursionError:
            outcome.error = ProofVerificationError("the document is nested too deeply to verify")
        except Exception as exc:  # never let an unexpected failure read as anything but "no"
            outcome.error = ProofVerificationError(
                f"proof could not be verified ({type(exc).__name__}: {exc})"
            )
    _settle_chains(result.results)
    _check_json_view(document, result)
    return result


def _check_method_validity(
    proof: dict[str, Any], method: VerificationMethod, now: datetime | None = None
) -> None:
    """A proof made when its key was retired or revoked fails (CID 1.0 §2.2).

    ``expires``: "systems depending on the value are expected to not verify any proofs
    associated with the verification method at or after the time of expiration"; ``revoked``
    likewise ("at or after the time of revocation"). The time of a proof is its ``created``
    (VC DI 1.0 §2.1); a proof without one cannot show it was made before, so it fails. Nothing
    said in the document: nothing to check. ``created`` is the signer's word: this guards
    against using a retired key by mistake, not against a thief, which is why a stolen key is
    removed from the document instead (docs/keys-and-dids.md).

    A ``revoked`` time that has passed (now, or at ``now``, the verification's clock) fails
    every proof by the key, whatever its ``created`` says: a revoked key may be in a thief's
    hands, and the reference libraries (jsonld-signatures' suites) refuse any revoked method
    outright.
    """
    if method.revoked is not None:
        try:
            revoked_at = parse_datetime(method.revoked)
        except ValueError as exc:
            raise RetiredKeyError(f"key {method.id}: cannot compare dates: {exc}") from None
        # judged now as well as at the verification's clock: like a status list, a revocation
        # is what is known now (``credkit verify --at`` moves only the diploma's time)
        latest = max(now, datetime.now(UTC)) if now is not None else datetime.now(UTC)
        if revoked_at <= latest:
            raise RetiredKeyError(
                f"key {method.id} was revoked at {method.revoked}: no proof by it verifies "
                "after that, whenever it says it was made"
            )
    limits = [
        (name, value)
        for name, value in (("revoked", method.revoked), ("expires", method.expires))
        if value is not None
    ]
    if not limits:
        return
    created = proof.get("created")
    if not isinstance(created, str):
        name, value = limits[0]
        raise RetiredKeyError(
            f"key {method.id} is {'revoked' if name == 'revoked' else 'retired'} from {value}, "
            "and this proof has no created time to show it was made before"
        )
    try:
        made = parse_datetime(created)
        stops = [(name, value, parse_datetime(value)) for name, value in limits]
    except ValueError as exc:
        raise RetiredKeyError(f"key {method.id}: cannot compare dates: {exc}") from None
    for name, value, when in stops:
        if made >= when:
            what = "revoked" if name == "revoked" else "retired (expires)"
            raise RetiredKeyError(
                f"key {method.id} was {what} at {value}, and this proof was created at "
                f"{created}: the issuer's DID document says the key no longer signed then"
            )


def _distinct(
    proofs: list[dict[str, Any]], copies: list[tuple[int, int]]
) -> list[tuple[int, dict[str, Any]]]:
    """The proofs with byte-identical copies counted once, each with its number in the set.

    Two identical proofs are one signature said twice (a signer that made two proofs in the same
    second with a deterministic signature does exactly that): no second signer, nothing forged.
    Keeping the first copy gives the same verdict whatever the order; ``copies`` gets
    ``(copy, original)`` for each one dropped.
    """
    first_seen: dict[str, int] = {}
    kept: list[tuple[int, dict[str, Any]]] = []
    for number, proof in enumerate(proofs, 1):
        if len(proofs) > 1:
            try:
                text = json.dumps(proof, sort_keys=True, ensure_ascii=False)
            except (TypeError, ValueError, RecursionError):
                text = None  # not plain JSON: the proof fails its own checks
            if text is not None:
                if text in first_seen:
                    copies.append((number, first_seen[text]))
                    continue
                first_seen[text] = number
        kept.append((number, proof))
    return kept


def _previous_ids(proof: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[str]:
    """The proof ids ``previousProof`` names, each one present in the set (DI §2.1.2, §4.5)."""
    previous = proof.get("previousProof")
    if previous is None:
        return []
    wanted = _as_set(previous)
    if not wanted or not all(isinstance(w, str) and w for w in wanted):
        raise MalformedProofError(
            f"previousProof {previous!r} must be a proof id or a non-empty list of proof ids"
        )
    missing = [w for w in wanted if w not in by_id]
    if missing:
        # DI §4.5 step 3.2: PROOF_VERIFICATION_ERROR when a named proof is not in allProofs
        raise ProofVerificationError(
            f"previousProof names {', '.join(missing)}, which is not a proof of this document"
        )
    return list(dict.fromkeys(wanted))


def _settle_chains(results: list[ProofResult]) -> None:
    """A chained proof holds only if every proof it names holds, and no chain is a cycle.

    DI §2.1.2: each previousProof "MUST verify before the current proof is processed"; the
    verification note on proof chains asks verifiers to detect cycles. A cycle cannot be signed
    with the previous proofs included, but the unbound reading (see :func:`verify`) allows one,
    so it is refused here. At most ``MAX_PROOFS`` proofs: the loops are small.
    """
    by_id = {r.proof["id"]: r for r in results if isinstance(r.proof.get("id"), str)}
    edges: dict[int, list[ProofResult]] = {}
    for r in results:
        previous = r.proof.get("previousProof")
        names = _as_set(previous) if previous is not None else []
        edges[id(r)] = [by_id[n] for n in names if isinstance(n, str) and n in by_id]
    for r in results:
        if not edges[id(r)] or r.error is not None:
            continue
        seen: set[int] = set()
        stack = list(edges[id(r)])
        while stack:
            nxt = stack.pop()
            if nxt is r:
                r.verified = False
                r.error = ProofVerificationError(
                    f"proof {r.number}'s previousProof chain leads back to itself (a cycle)"
                )
                break
            if id(nxt) not in seen:
                seen.add(id(nxt))
                stack.extend(edges[id(nxt)])
    changed = True
    while changed:  # a failure travels down the chain: at most one pass per proof
        changed = False
        for r in results:
            if not r.verified:
                continue
            for prior in edges[id(r)]:
                if not prior.verified and not isinstance(prior.error, NetworkDisabledError):
                    r.verified = False
                    r.error = ProofVerificationError(
                        f"previousProof {prior.proof.get('id')} (proof {prior.number}) did not "
                        "verify, and every proof a chained proof names must (VC DI 1.0 §2.1.2)"
                    )
                    changed = True
                    break


# Suites that sign the RDF a document expands to, not its JSON.
RDF_SUITES = ("eddsa-rdfc-2022", "Ed25519Signature2020")


def _check_json_view(document: dict[str, Any], result: ProofSetResult) -> None:
    """An RDF proof holds only if the JSON a reader sees says what was signed (VC DM 2.0 §7.1).

    JSON-LD can spell one RDF statement many ways (``@nest``, full-IRI keys, ``@id`` for ``id``,
    inline aliases), so a signed ``validUntil`` or ``credentialStatus`` could be moved where a JSON
    reader does not look; see :mod:`credkit.jsonld.jsonview`. Such a document is not the compacted
    form
    VC DM 2.0 §4.1 requires: the proof counts as failed, with MALFORMED_VALUE_ERROR.
    """
    rdf = [r for r in result.results if r.verified and r.suite in RDF_SUITES]
    if not rdf:
        return
    problems = json_view_problems(document)
    if not problems:
        return
    shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    error = MalformedValueError(
        "the JSON is not written the way its contexts define (compacted JSON-LD), so it may not "
        f"say what the proof signed: {shown}"
    )
    for outcome in rdf:
        outcome.verified = False
        outcome.error = error
