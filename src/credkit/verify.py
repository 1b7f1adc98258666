"""The verifier employers use: every check named, one verdict, trusted-issuer lists.

Order follows the design's data flow and VC DM 2.0 §7.1 + Appendix A: parse → well_formed → proof
(VC DI 1.0 §4.4-4.5, key resolution per CID 1.0 §3.3, issuer binding per DI §2.6) → validity →
status (Bitstring Status List 1.0 §3.2) → schema → trusted_issuer → endorsements (OB 3.0
§verification). Everything the verifier touches is injected: loader, resolver, clock, status
fetcher, trust lists. No check ever raises; a surprise inside one is reported as that check failing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from credkit import proofs
from credkit import status as bsl
from credkit.contexts import DocumentLoader
from credkit.did import Resolver
from credkit.errors import (
    ContextError,
    CredkitError,
    DidResolutionError,
    MalformedValueError,
    NetworkDisabledError,
    ParsingError,
    ProofVerificationError,
    StatusError,
    UnknownCryptosuiteError,
)
from credkit.trust import TrustList, TrustRegistry
from credkit.verify_checks import (
    as_list,
    check_contexts,
    display,
    issuer_id,
    load_document,
    schema,
    text_of,
    types_of,
    validity,
    well_formed,
)
from credkit.verify_endorse import check_endorsements
from credkit.verify_fetch import SafeFetcher, bounded_call
from credkit.verify_result import (
    FAILED,
    PASSED,
    SKIPPED,
    VERIFIED,
    Check,
    UnusableInputError,
    VerificationResult,
    problem,
    unusable_result,
)

MAX_BYTES = 1 << 20
MAX_DEPTH = 64
# Each proof may resolve a did:web key over the network (up to the fetch timeout each): a document
# carrying hundreds of proofs would hold the verifier for hours. Real documents carry one to three.
MAX_PROOFS = 16
FINISH_STATUS = "pass --status-dir DIR (a local copy of the status list) or --allow-network"

StatusFetch = Callable[[str], dict[str, Any]]


class Verifier:
    """Checks credentials and presentations for an employer.

    ``trust`` is a :class:`TrustRegistry` (or None: the trust check is skipped with a warning);
    ``status_fetcher`` maps a status list URL to the list credential (None: revocation cannot be
    checked and the verdict is at best inconclusive). ``strict`` turns "could not check" warnings
    (unknown schemas, unknown proof types next to good ones, inline contexts, unsupported status
    types) into failures.
    """

    def __init__(
        self,
        loader: DocumentLoader | None = None,
        resolver: Resolver | None = None,
        clock: Callable[[], datetime] | None = None,
        status_fetcher: StatusFetch | None = None,
        trust: TrustRegistry | None = None,
        strict: bool = False,
        max_bytes: int = MAX_BYTES,
        max_depth: int = MAX_DEPTH,
        *,
        fetch_timeout: float = 10.0,
        status_min_length: int | None = None,
    ) -> None:
        self.loader = loader or DocumentLoader()
        resolver = resolver or Resolver()
        if type(resolver) is Resolver:  # wrap its fetcher; a subclass is trusted as given
            resolver = Resolver(
                fetcher=SafeFetcher(resolver.fetcher, fetch_timeout, 256 * 1024),
                documents=resolver.documents,
            )
        self.resolver = resolver
        self.clock = clock or (lambda: datetime.now(UTC))
        self.status_fetcher = (
            bounded_call(status_fetcher, fetch_timeout) if status_fetcher else None
        )
        self.trust = trust
        self.strict = strict
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.status_min_length = status_min_length

    # --- public ------------------------------------------------------------------------------

    def verify_credential(self, doc_or_bytes: Any) -> VerificationResult:
        """Every check on one credential; never raises."""
        try:
            document = self.load(doc_or_bytes)
            return self._credential(document, self.clock())
        except UnusableInputError as exc:
            return unusable_result(exc.error)

    def verify_presentation(
        self, vp: Any, challenge: str | None = None, domain: str | None = None
    ) -> VerificationResult:
        """The holder's proof (purpose authentication, challenge, domain), then each credential."""
        try:
            document = self.load(vp)
        except UnusableInputError as exc:
            return unusable_result(exc.error)
        from credkit.verify_vp import presentation

        return presentation(self, document, challenge, domain)

    # --- steps -------------------------------------------------------------------------------

    def load(self, source: Any) -> dict[str, Any]:
        try:
            document = load_document(source, max_bytes=self.max_bytes, max_depth=self.max_depth)
            inline = check_contexts(document, self.loader)
        except (ParsingError, ContextError) as exc:
            raise UnusableInputError(exc) from None
        if inline and self.strict:
            raise UnusableInputError(
                ContextError(f"inline @context objects at {', '.join(inline)}")
            )
        return document

    def _run(self, check_id: str, step: Callable[[], Check]) -> Check:
        """One check, with anything unexpected turned into a failure of that check."""
        try:
            return step()
        except UnusableInputError:
            raise
        except CredkitError as exc:
            return Check.failed(check_id, f"could not be checked: {exc.message}", exc)
        except Exception as exc:  # a bug or hostile input reaching a library: never "verified"
            err = problem("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
            return Check.failed(check_id, f"could not be checked ({err.message})", err)

    def core_checks(self, document: dict[str, Any], now: datetime) -> list[Check]:
        """well_formed, proof, validity: what makes any credential (diploma, endorsement, list)."""
        return [
            self._run("well_formed", lambda: well_formed(document)),
            self._run("proof", lambda: self.proof(document, now)),
            self._run("validity", lambda: validity(document, now)),
        ]

    def _credential(self, document: dict[str, Any], now: datetime) -> VerificationResult:
        result = VerificationResult()
        for name, value in display(document).items():
            setattr(result, name, value)
        result.checks = self.core_checks(document, now)
        result.checks.append(self._run("status", lambda: self.status(document, now)))
        result.checks.append(self._run("schema", lambda: schema(document, strict=self.strict)))
        result.checks.append(self._run("trusted_issuer", lambda: self.trusted_issuer(document)))
        result.checks.append(self._run("endorsements", lambda: self.endorsements(document, now)))
        trust = result.check("trusted_issuer")
        if trust is not None and trust.status == SKIPPED:
            result.warnings.append("no trust list given: the issuer's identity was not vetted")
        return result

    # --- proof -------------------------------------------------------------------------------

    def proof(
        self,
        document: dict[str, Any],
        now: datetime,
        *,
        owner: str | None = None,
        purpose: str = "assertionMethod",
        challenge: str | None = None,
        domain: str | None = None,
        check_id: str = "proof",
        whose: str = "issuer",
        bind_owner: bool = True,
    ) -> Check:
        """Every proof verifies, and each key belongs to ``owner`` (the issuer by default)."""
        err: CredkitError
        if "proof" not in document or document["proof"] in (None, [], {}):
            if check_id == "proof":
                raise UnusableInputError(
                    ParsingError("the credential has no proof: it is not signed")
                )
            err = ProofVerificationError(f"the presentation is not signed by its {whose}")
            return Check.failed(check_id, err.message, err, "not signed")
        owner = owner if owner is not None else issuer_id(document)
        raw = as_list(document["proof"])
        if len(raw) > MAX_PROOFS:
            err = ProofVerificationError(f"{len(raw)} proofs; credkit checks at most {MAX_PROOFS}")
            return Check.failed(check_id, err.message, err, "too many proofs")
        seen = [json.dumps(p, sort_keys=True) for p in raw]
        if len(set(seen)) != len(seen):
            err = ProofVerificationError("the same proof appears twice")
            return Check.failed(check_id, err.message, err, "invalid signature")
        outcome = proofs.verify(
            document,
            resolver=self.resolver,
            loader=self.loader,
            expected_proof_purpose=purpose,
            challenge=challenge,
            domain=domain,
            now=now,
        )
        unknown = [r for r in outcome.results if isinstance(r.error, UnknownCryptosuiteError)]
        offline = [r for r in outcome.results if isinstance(r.error, NetworkDisabledError)]
        failed = [r for r in outcome.results if r.error and r not in unknown and r not in offline]
        good = [r for r in outcome.results if r.verified]
        if len(unknown) == len(outcome.results) and check_id == "proof":
            raise UnusableInputError(
                unknown[0].error or UnknownCryptosuiteError("unknown cryptosuite")
            )
        if failed:
            err = failed[0].error or ProofVerificationError("proof failed")
            if isinstance(err, DidResolutionError):
                return Check.failed(
                    check_id,
                    f"the signing key could not be confirmed as the {whose}'s: {err.message}",
                    err,
                    "signing key not confirmed",
                )
            if isinstance(err, MalformedValueError):  # signed, but not the JSON it claims to be
                return Check.failed(check_id, err.message, err, "malformed")
            return Check.failed(
                check_id, f"signature not valid: {err.message}", err, "invalid signature"
            )
        strangers = [r for r in good if bind_owner and r.controller != owner]
        if strangers:
            r = strangers[0]
            err = ProofVerificationError(
                f"signed by a key that does not belong to the {whose}: {r.verification_method} "
                f"is controlled by {r.controller}, but the {whose} is {owner}",
                code="INVALID_VERIFICATION_METHOD",
            )
            return Check.failed(
                check_id, err.message, err, f"signed by someone other than the {whose}"
            )
        if offline:
            where = offline[0].proof.get("verificationMethod")
            return Check.skipped(
                check_id,
                f"the {whose}'s key {where} is published online; pass --allow-network to fetch it",
                conclusive=False,
            )
        if unknown:
            names = ", ".join(
                str(r.proof.get("cryptosuite") or r.proof.get("type")) for r in unknown
            )
            message = f"{len(good)} proof(s) valid; ignored proof(s) of unknown type {names}"
            if self.strict:
                err = unknown[0].error or UnknownCryptosuiteError(names)
                return Check.failed(check_id, message, err, "unknown proof type")
            return Check.warning(check_id, message)
        suites = ", ".join(sorted({r.suite or "?" for r in good}))
        methods = ", ".join(
            sorted({(r.verification_method or "?").removeprefix(owner or "\0") for r in good})
        )
        party = f"the {whose} {owner}" if owner else f"the {whose}"
        return Check.passed(
            check_id, f"signature valid ({suites}): signed with key {methods} of {party}"
        )

    # --- status ------------------------------------------------------------------------------

    def status(self, document: dict[str, Any], now: datetime) -> Check:
        """Bitstring Status List 1.0 §3.2 per entry; fails closed when a list cannot be had."""
        err: CredkitError
        entries = as_list(document.get("credentialStatus"))
        if not entries:
            return Check.passed("status", "no status information: cannot be revoked")
        if self.status_fetcher is None:
            urls = [e.get("statusListCredential") for e in entries if isinstance(e, dict)]
            where = ", ".join(str(u) for u in urls if u) or "its status service"
            return Check.skipped(
                "status",
                f"revocation not checked (status list {where}): {FINISH_STATUS} to finish",
                conclusive=False,
            )
        fetch = self.status_fetcher
        owner = issuer_id(document)
        kwargs: dict[str, Any] = {}
        if self.status_min_length is not None:
            kwargs["min_length"] = self.status_min_length

        def verify_list(listed: dict[str, Any]) -> bool:
            return self._list_ok(listed, owner, now)

        notes: list[str] = []
        for entry in entries:
            kinds = types_of(entry)
            if "BitstringStatusListEntry" not in kinds:
                message = (
                    f"status type {', '.join(kinds) or '?'} is not supported: revocation unknown"
                )
                if self.strict or not isinstance(entry, dict):
                    err = MalformedValueError(message)
                    return Check.failed("status", message, err, "status not checkable")
                return Check.skipped("status", message, conclusive=False)
            try:
                found = bsl.check_status(
                    entry,
                    fetch,
                    verify_list=verify_list,
                    now=now,
                    **kwargs,
                )
            except (StatusError, MalformedValueError) as exc:
                return Check.failed(
                    "status",
                    f"status could not be confirmed: {exc.message}",
                    exc,
                    "status not confirmed",
                )
            where = f"{found.list_url} #{found.index}"
            if not found.valid and found.purpose in ("revocation", "suspension"):
                word = "revoked" if found.purpose == "revocation" else "suspended"
                err = problem(f"CREDENTIAL_{word.upper()}", f"{word} ({where})")
                return Check.failed(
                    "status", f"the issuer has {word} this credential ({where})", err, word
                )
            notes.append(f"{found.message or found.purpose} ({where})")
        return Check.passed("status", "; ".join(notes))

    def _list_ok(self, listed: dict[str, Any], owner: str | None, now: datetime) -> bool:
        """A status list counts only if signed by the credential's own issuer (BSL §3.2 step 4)."""
        outcome = proofs.verify(listed, resolver=self.resolver, loader=self.loader, now=now)
        return outcome.verified and outcome.controllers == {owner}

    # --- trust -------------------------------------------------------------------------------

    def trusted_issuer(self, document: dict[str, Any]) -> Check:
        issuer = issuer_id(document)
        if self.trust is None or not len(self.trust):
            return Check.skipped(
                "trusted_issuer",
                f"no trust list given: credkit cannot say whether {issuer} is an accredited "
                "issuer (pass --trust LIST)",
            )
        match = self.trust.lookup(issuer or "", self.check_trust_list)
        rejected = self.trust.rejected()
        ignored = "".join(f"; list '{t.name}' was ignored: {t.problem}" for t in rejected)
        if match is None:
            names = ", ".join(f"'{t.name}'" for t in self.trust.lists)
            err = problem("ISSUER_NOT_TRUSTED", f"{issuer} is on none of: {names}")
            return Check.failed(
                "trusted_issuer",
                f"issuer {issuer} is not on your trust lists ({names}){ignored}",
                err,
                "issuer not trusted",
            )
        label = f" as '{match.issuer.name}'" if match.issuer.name else ""
        by = f", vouched for by {match.vouched_by}" if match.vouched_by else ""
        return Check.passed("trusted_issuer", f"issuer listed in '{match.list_name}'{label}{by}")

    def check_trust_list(self, trust_list: TrustList) -> tuple[bool, str]:
        """Accept a signed trust list only if it verifies and a trust anchor issued it."""
        document = trust_list.document
        if document is None:
            return False, "no credential"
        try:
            document = self.load(document)
        except UnusableInputError as exc:
            return False, exc.error.message
        checks = self.core_checks(document, self.clock())
        bad = [
            c for c in checks if c.status == FAILED or (c.status == SKIPPED and not c.conclusive)
        ]
        if bad:
            return False, f"{bad[0].id}: {bad[0].message}"
        signer = issuer_id(document)
        if signer not in trust_list.anchors:
            return (
                False,
                f"issued by {signer}, which is not one of your trust anchors (--trust-anchor)",
            )
        issuer = document.get("issuer")
        name = text_of(issuer.get("name")) if isinstance(issuer, dict) else None
        trust_list.vouched_by = f"{name} ({signer})" if name else signer
        return True, ""

    # --- endorsements (OB 3.0 EndorsementCredential) -----------------------------------------

    # --- endorsements ------------------------------------------------------------------------

    def endorsements(self, document: dict[str, Any], now: datetime) -> Check:
        """Each embedded EndorsementCredential must itself verify (OB 3.0 §verification 6)."""
        return check_endorsements(self, document, now)


__all__ = ["PASSED", "VERIFIED", "Check", "VerificationResult", "Verifier"]
