"""The verifier employers use: every check named, one verdict, trusted-issuer lists.

Order follows the design's data flow and VC DM 2.0 §7.1 + Appendix A: parse → well_formed → proof
(VC DI 1.0 §4.4-4.5, key resolution per CID 1.0 §3.3, issuer binding per DI §2.6) → validity →
status (Bitstring Status List 1.0 §3.2) → schema → trusted_issuer → endorsements (OB 3.0
§verification). Everything the verifier touches is injected: loader, resolver, clock, status
fetcher, trust lists. No check ever raises; a surprise inside one is reported as that check failing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from credkit import deadline, proofs
from credkit import status as bsl
from credkit.errors import (
    ContextError,
    CredkitError,
    DeadlineExceededError,
    DidResolutionError,
    KeyFormatError,
    MalformedValueError,
    NetworkDisabledError,
    ParsingError,
    StatusUnreachableError,
    StatusVerificationError,
)
from credkit.identity.did import Resolver
from credkit.jsonld.contexts import DocumentLoader
from credkit.verify.checks import (
    as_list,
    check_contexts,
    display,
    issuer_id,
    load_document,
    related_resource,
    schema,
    text_of,
    types_of,
    validity,
    well_formed,
)
from credkit.verify.endorsement import check_endorsements
from credkit.verify.fetch import SafeFetcher, bounded_call
from credkit.verify.result import (
    FAILED,
    NO_TRUST_LIST,
    PASSED,
    REQUIRED_CREDENTIAL,
    SKIPPED,
    VERIFIED,
    Check,
    UnusableInputError,
    VerificationResult,
    problem,
    unusable_result,
)
from credkit.verify.trust import ListVerdict, TrustList, TrustMatch, TrustRegistry

MAX_BYTES = 1 << 20
MAX_DEPTH = 64
# Each proof may resolve a did:web key over the network (up to the fetch timeout each): a document
# carrying hundreds of proofs would hold the verifier for hours. Real documents carry one to three.
MAX_PROOFS = 16
FINISH_STATUS = "pass --status-dir DIR (a local copy of the status list) or --allow-network"
# A signed trust list's proof verdict is kept this long (keyed on its bytes); its dates and its
# own status are judged at every verification.
TRUST_PROOF_SECONDS = 300.0

StatusFetch = Callable[[str], dict[str, Any]]


class Verifier:
    """Checks credentials and presentations for an employer.

    ``trust`` is a :class:`TrustRegistry` (or None: the trust check is skipped with a warning);
    ``status_fetcher`` maps a status list URL to the list credential (None: revocation cannot be
    checked and the verdict is at best inconclusive). ``strict`` turns "could not check" warnings
    (unknown schemas, inline contexts, unsupported status types) into failures; a proof credkit
    cannot check fails in every mode (VC DI 1.0 §4.5). ``require_holder_binding`` fails a
    presentation whose holder is not the subject of its credentials. ``list_clock`` is the
    clock status lists and trust lists must be current by (default: ``clock``): ``credkit
    verify --at`` moves only ``clock``, since a list says what holds now, and one published
    later is still evidence.
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
        list_clock: Callable[[], datetime] | None = None,
        require_holder_binding: bool = False,
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
            bounded_call(status_fetcher, fetch_timeout, "status list") if status_fetcher else None
        )
        self.trust = trust
        self.strict = strict
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.status_min_length = status_min_length
        # status lists and trust lists describe the present: they are judged against this clock
        # (default ``clock``); ``credkit verify --at`` moves only ``clock``, the diploma's time
        self.list_clock = list_clock
        # a presentation's credentials must name its holder as their subject (an employer asking
        # a wallet for the graduate's own diploma); otherwise a mismatch is only a warning
        self.require_holder_binding = require_holder_binding
        self._trust_proofs: dict[bytes, tuple[float, dict[str, Any], Check]] = {}

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
        from credkit.verify.presentation import presentation

        return presentation(self, document, challenge, domain)

    # --- steps -------------------------------------------------------------------------------

    def load(self, source: Any, *, registry: bool = False) -> dict[str, Any]:
        """Parse and bound the input. ``registry``: a trust list the employer chose, whose
        registry object legitimately names thousands of issuers (its bytes are still capped)."""
        counts = {"max_nodes": 1 << 20, "max_array": 1 << 20, "max_keys": 1 << 20}
        try:
            document = load_document(
                source,
                max_bytes=self.max_bytes,
                max_depth=self.max_depth,
                **(counts if registry else {}),
            )
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
            deadline.check()  # a caller's deadline (credkit.deadline) that passed fails the rest
            return step()
        except UnusableInputError:
            raise
        except DeadlineExceededError as exc:  # not checked: inconclusive, never verified
            return Check.skipped(check_id, f"not checked in time: {exc.message}", conclusive=False)
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
        result = VerificationResult(required=REQUIRED_CREDENTIAL)
        for name, value in display(document).items():
            setattr(result, name, value)
        result.checks = self.core_checks(document, now)
        result.checks.append(self._run("status", lambda: self.status(document, now)))
        result.checks.append(self._run("schema", lambda: schema(document, strict=self.strict)))
        if "relatedResource" in document:
            result.checks.append(
                self._run("related_resource", lambda: related_resource(document, self.strict))
            )
        matched: list[TrustMatch] = []
        result.checks.append(
            self._run("trusted_issuer", lambda: self._trusted_issuer(document, matched))
        )
        result.checks.append(self._run("endorsements", lambda: self.endorsements(document, now)))
        trust = result.check("trusted_issuer")
        if trust is not None and trust.status == PASSED and matched:
            # the name the list gives is what a person reads, not the credential's own claim
            result.issuer_listed_name = matched[0].issuer.name
            result.issuer_list = matched[0].list_name
            result.issuer_vouched_by = matched[0].vouched_by
        if trust is not None and trust.status == SKIPPED:
            if trust.message.startswith(NO_TRUST_LIST):
                result.warnings.append(f"{NO_TRUST_LIST}: the issuer's identity was not vetted")
            else:
                result.warnings.append(
                    "no trust list vouches for the issuer: its name is its own description"
                )
        result.warnings.extend(self._unsigned_list_warnings())
        return result

    def _unsigned_list_warnings(self) -> list[str]:
        """With --trust-anchor, say which lists nobody signed (anyone who can edit them adds)."""
        if self.trust is None or not self.trust.anchors:
            return []
        outcome = "refused (--strict)" if self.strict else "used, but only as a local file"
        return [
            f"trust list '{t.name}' is not signed: no trust anchor vouches for it, anyone able "
            f"to edit the file can add an issuer; {outcome}"
            for t in self.trust.unsigned()
        ]

    def _current(self, now: datetime) -> datetime:
        """When status lists and trust lists must be current: the moment of checking."""
        return self.list_clock() if self.list_clock is not None else now

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
        co_signers: bool = True,
    ) -> Check:
        """Every proof verifies (VC DI 1.0 §4.5), one at least by a key ``owner`` controls.

        ``co_signers``: whether valid proofs by others may stand beside the owner's (named).

        Nothing is skipped: an unknown proof type fails (:mod:`credkit.verify.proof`).
        """
        from credkit.verify.proof import check_proofs

        return check_proofs(
            self,
            document,
            now,
            owner=owner if owner is not None else issuer_id(document),
            purpose=purpose,
            challenge=challenge,
            domain=domain,
            check_id=check_id,
            whose=whose,
            bind_owner=bind_owner,
            max_proofs=MAX_PROOFS,
            co_signers=co_signers,
        )

    # --- status ------------------------------------------------------------------------------

    def status(self, document: dict[str, Any], now: datetime) -> Check:
        """Bitstring Status List 1.0 §3.2 for every entry; the worst outcome decides.

        Every entry is checked, so one credkit cannot read never hides a revocation in the next.
        In order: a revoked or suspended bit decides (failed); then a list that could not be
        confirmed (failed: fail closed); then what could not be checked (an unsupported status
        type, a list whose key is online while the network is off: inconclusive, and an
        unsupported type fails in strict mode); a set bit of a purpose credkit cannot act on
        (``refresh``, ``message``, anything else) is a warning, inconclusive in strict mode.
        The lists are judged current at the moment of checking (:meth:`_current`), with the
        reference's clock skew; ``now`` is when the credential itself is judged.
        """
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
        listed_at = self._current(now)
        kwargs: dict[str, Any] = {}
        if self.status_min_length is not None:
            kwargs["min_length"] = self.status_min_length

        def verify_list(listed: dict[str, Any]) -> bool:
            return self._list_ok(listed, owner, listed_at)

        decided: list[tuple[str, str]] = []  # (revoked|suspended, where)
        failures: list[CredkitError] = []
        unsupported: list[str] = []
        unchecked: list[str] = []
        notices: list[str] = []
        notes: list[str] = []
        for entry in entries:
            if not isinstance(entry, dict):
                failures.append(MalformedValueError("a credentialStatus entry is not an object"))
                continue
            kinds = types_of(entry)
            if "BitstringStatusListEntry" not in kinds:
                unsupported.append(", ".join(kinds) or "?")
                continue
            try:
                found = bsl.check_status(
                    entry, fetch, verify_list=verify_list, now=listed_at, **kwargs
                )
            except NetworkDisabledError as exc:
                unchecked.append(f"revocation not checked: {exc.message}")
                continue
            except StatusUnreachableError as exc:
                # nobody answered (DNS, timeout, fetch policy): could not check, which is not
                # "revoked"; a host that answers 404 or serves a bad list fails below
                unchecked.append(f"revocation not checked: {exc.message}; try again later")
                continue
            except CredkitError as exc:
                failures.append(exc)
                continue
            where = f"{found.list_url} #{found.index}"
            if found.purpose == "message" and "statusMessage" in entry:
                # §2.1 "message": the issuer committed at issuance to what each value means;
                # §3.2 step 12 returns that message. Reported, never a verdict by itself: only
                # revocation and suspension make a credential not acceptable.
                notes.append(f"status message {found.status_value:#x}: {found.message} ({where})")
            elif found.valid:
                notes.append(f"{found.message or found.purpose} ({where})")
            elif found.purpose in bsl.DECISIVE_PURPOSES:
                decided.append(("revoked" if found.purpose == "revocation" else "suspended", where))
            else:
                # §2.1: refresh and message bits, or a purpose an ecosystem defined, say something
                # credkit cannot act on; never silently "verified"
                notices.append(
                    f"status purpose {found.purpose!r} is set ({found.message}, {where}): "
                    "credkit cannot tell what it means for this credential"
                )
        if decided:
            word = "revoked" if any(w == "revoked" for w, _ in decided) else "suspended"
            said = "; ".join(f"{w} ({where})" for w, where in decided)
            err = problem(f"CREDENTIAL_{word.upper()}", said)
            message = f"the issuer has {word} this credential ({decided[0][1]})"
            if len(decided) > 1:
                message = f"the issuer has {said.replace(';', ' and')} this credential"
            return Check.failed("status", message, err, word)
        if failures:
            return Check.failed(
                "status",
                f"status could not be confirmed: {failures[0].message}",
                failures[0],
                "status not confirmed",
            )
        if unsupported:
            message = f"status type {', '.join(unsupported)} is not supported: revocation unknown"
            if self.strict:
                err = MalformedValueError(message)
                return Check.failed("status", message, err, "status not checkable")
            unchecked.append(message)
        if unchecked or (notices and self.strict):
            return Check.skipped("status", "; ".join(unchecked + notices), conclusive=False)
        if notices:
            return Check.warning("status", "; ".join(notices + notes))
        return Check.passed("status", "; ".join(notes))

    def _list_ok(self, listed: dict[str, Any], owner: str | None, now: datetime) -> bool:
        """A status list counts only if every proof verifies and the credential's own issuer
        signed it (BSL §3.2 step 4).

        False for a proof that does not verify. A list signed by someone else, or whose key
        cannot be resolved, raises :class:`StatusVerificationError` saying so; one whose key is
        published online while the network is off raises :class:`NetworkDisabledError`: it
        could not be checked, which is not a forged list.
        """
        outcome = proofs.verify(listed, resolver=self.resolver, loader=self.loader, now=now)
        if outcome.verified:
            if outcome.controllers == {owner}:
                return True
            signers = ", ".join(sorted(outcome.controllers)) or "nobody"
            raise StatusVerificationError(
                f"signed by {signers}, not by the credential's issuer {owner}"
            )
        for r in outcome.results:
            if isinstance(r.error, DeadlineExceededError):
                raise r.error  # not checked in time: inconclusive, never "proof invalid"
        offline = [r for r in outcome.results if isinstance(r.error, NetworkDisabledError)]
        broken = [r for r in outcome.results if not r.verified and r not in offline]
        if offline and not broken:
            method = str(offline[0].proof.get("verificationMethod") or "?")
            if owner is not None and method.split("#", 1)[0] == owner:
                raise NetworkDisabledError(
                    f"the status list is signed with {method}, a key published online; "
                    "pass --allow-network to fetch it"
                )
            raise StatusVerificationError(
                f"signed with {method}, which is not a key of the credential's issuer {owner}"
            )
        first = next((r.error for r in broken if r.error is not None), None)
        if isinstance(first, DidResolutionError) and not isinstance(first, KeyFormatError):
            # the key could not be had (host down, no such DID): unconfirmed, not forged
            raise StatusVerificationError(f"its signing key could not be resolved: {first.message}")
        return False  # a proof that does not verify: "does not verify (proof invalid)"

    # --- trust -------------------------------------------------------------------------------

    def trusted_issuer(self, document: dict[str, Any]) -> Check:
        """Whether one of the trust lists, judged now, vouches for the credential's issuer."""
        return self._trusted_issuer(document, [])

    def _trusted_issuer(self, document: dict[str, Any], matched: list[TrustMatch]) -> Check:
        issuer = issuer_id(document)
        if self.trust is None or not len(self.trust):
            return Check.skipped(
                "trusted_issuer",
                f"{NO_TRUST_LIST}: credkit cannot say whether {issuer} is an accredited "
                "issuer (add your accreditor's signed list with `credkit trust add URL "
                "--accreditor DID`, or pass --trust LIST)",
            )
        answer = self.trust.consult(issuer or "", self.check_trust_list)
        ignored = "".join(f"; list '{t.name}' was ignored: {v.problem}" for t, v in answer.ignored)
        match = answer.match
        if match is None:
            pending = [(t, v) for t, v in answer.ignored if not v.conclusive]
            if pending:
                t, v = pending[0]
                return Check.skipped(
                    "trusted_issuer",
                    f"issuer {issuer} is on '{t.name}', but that list could not be confirmed: "
                    f"{v.problem}",
                    conclusive=False,
                )
            names = ", ".join(f"'{t.name}'" for t in self.trust.lists)
            if not self.trust.exclusive:
                return Check.skipped(
                    "trusted_issuer",
                    f"issuer {issuer} is not vouched for: {names} vouches only for the issuers it "
                    f"names{ignored}",
                )
            err = problem("ISSUER_NOT_TRUSTED", f"{issuer} is on none of: {names}")
            return Check.failed(
                "trusted_issuer",
                f"issuer {issuer} is not on your trust lists ({names}){ignored}",
                err,
                "issuer not trusted",
            )
        matched.append(match)
        label = f" as '{match.issuer.name}'" if match.issuer.name else ""
        by = f", vouched for by {match.vouched_by}" if match.vouched_by else ""
        return Check.passed("trusted_issuer", f"issuer listed in '{match.list_name}'{label}{by}")

    def check_trust_list(self, trust_list: TrustList) -> ListVerdict:
        """Whether a list counts at this verification; asked again at every one.

        A signed list counts while it verifies, a trust anchor issued it, it is in its validity
        period and its own status (revocation, suspension) says nothing against it, all judged
        now (a long-lived server must drop a list the moment it expires or is revoked). Only the
        signature check is remembered, keyed on the list's bytes, for TRUST_PROOF_SECONDS.
        An unsigned list counts, except in strict mode when trust anchors are given.
        """
        if trust_list.kind != "signed":
            if self.strict and self.trust is not None and self.trust.anchors:
                return ListVerdict(
                    False, "it is not signed (--strict with --trust-anchor takes signed lists only)"
                )
            return ListVerdict(True)
        if trust_list.document is None and trust_list.raw is None:
            return ListVerdict(False, "no credential")
        at = self._current(self.clock())
        try:
            document, proof = self._trust_list_proof(trust_list, at)
        except UnusableInputError as exc:
            return ListVerdict(False, exc.error.message)
        signer = issuer_id(document)
        if signer not in trust_list.anchors:
            return ListVerdict(
                False,
                f"issued by {signer}, which is not one of your trust anchors (--trust-anchor)",
            )
        checks = [
            self._run("well_formed", lambda: well_formed(document)),
            proof,
            self._run("validity", lambda: validity(document, at)),
            self._run("status", lambda: self.status(document, at)),
        ]
        for c in checks:
            if c.status == FAILED:
                return ListVerdict(False, f"{c.id}: {c.message}")
        for c in checks:
            if c.status == SKIPPED and not c.conclusive:
                return ListVerdict(False, f"{c.id}: {c.message}", conclusive=False)
        issuer = document.get("issuer")
        name = text_of(issuer.get("name")) if isinstance(issuer, dict) else None
        return ListVerdict(True, vouched_by=f"{name} ({signer})" if name else signer)

    def _trust_list_proof(
        self, trust_list: TrustList, at: datetime
    ) -> tuple[dict[str, Any], Check]:
        """The list parsed afresh from its bytes, and its proof check (remembered when passed)."""
        source: Any = trust_list.raw if trust_list.raw is not None else trust_list.document
        raw = source if isinstance(source, bytes) else json.dumps(source, sort_keys=True).encode()
        key = hashlib.sha256(raw).digest()
        hit = self._trust_proofs.get(key)
        if hit is not None and time.monotonic() - hit[0] < TRUST_PROOF_SECONDS:
            return hit[1], hit[2]
        document = self.load(source, registry=True)
        proof = self._run("proof", lambda: self.proof(document, at))
        proofs_given = as_list(document.get("proof"))
        expiring = any(isinstance(p, dict) and "expires" in p for p in proofs_given)
        if proof.status == PASSED and not expiring:  # `expires` is judged against the clock
            if len(self._trust_proofs) >= 64:
                self._trust_proofs.clear()
            self._trust_proofs[key] = (time.monotonic(), document, proof)
        return document, proof

    # --- endorsements (OB 3.0 EndorsementCredential) -----------------------------------------

    # --- endorsements ------------------------------------------------------------------------

    def endorsements(self, document: dict[str, Any], now: datetime) -> Check:
        """Each embedded EndorsementCredential must itself verify (OB 3.0 §verification 6)."""
        return check_endorsements(self, document, now)


__all__ = ["PASSED", "VERIFIED", "Check", "VerificationResult", "Verifier"]
