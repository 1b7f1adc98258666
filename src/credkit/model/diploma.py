"""Build and sign diplomas (OB 3.0 AchievementCredentials) and endorsements.

``build_diploma`` is pure: template + roster row → the unsigned credential dict, checked against
the official OB 3.0 schema and credkit's profile before it is returned, so a bad diploma fails
here with a readable message rather than in an employer's verifier. Re-running a cohort gives each
graduate the same credential id (derived from the graduate key), so a store can recognise
re-issues.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from credkit.errors import TemplateError
from credkit.identity.signer import Signer
from credkit.model.models import (
    OB_ENDORSEMENT_SCHEMA_URL,
    OB_EXTENSIONS_CONTEXT,
    OB_SCHEMA_URL,
    OB_V3_CONTEXT,
    VC_V2_CONTEXT,
    AchievementCredential,
    AchievementSubject,
    CredentialSchema,
    CredentialStatus,
    EndorsementCredential,
    EndorsementSubject,
    IdentityObject,
    Profile,
    Result,
    ResultDescription,
    format_datetime,
)
from credkit.model.roster import Graduate, normalize_email
from credkit.model.schema_check import (
    PROFILE_SCHEMA_URL,
    validate_diploma,
    validate_endorsement,
)
from credkit.model.template import DiplomaTemplate

# uuid5 namespace for credkit credential ids (a fixed random UUID; never change it, or re-runs
# would mint new ids for diplomas already issued).
CREDKIT_NAMESPACE = uuid.UUID("6f1c6f3e-3b1e-4c55-9a43-8f0f3d9b2a71")
DEFAULT_SUITE = "eddsa-rdfc-2022"  # the one OB 3.0 certification accepts (OB 3.0 §8.3)
# The credentialSchema type `1EdTechJsonSchemaValidator2019` is defined only by the OB extensions
# context (as in the spec's complete example); without it RDF canonicalization would drop the
# term, which credkit.proofs rightly refuses (VC DI §2.4.3 data loss).
DIPLOMA_CONTEXT = [VC_V2_CONTEXT, OB_V3_CONTEXT, OB_EXTENSIONS_CONTEXT]


def credential_id_for(graduate_key: str, achievement_id: str) -> str:
    """The deterministic ``urn:uuid`` of a graduate's diploma for one achievement."""
    return "urn:uuid:" + str(uuid.uuid5(CREDKIT_NAMESPACE, f"{achievement_id}\n{graduate_key}"))


def _salt(salt: bytes | str | None, credential_id: str) -> str:
    # The salt travels in the credential next to the hash (OB 3.0 IdentityObject); it only has to
    # differ per credential so one hash cannot be looked up across credentials. Deriving it from
    # the credential id keeps re-runs byte-identical; pass random bytes to opt out.
    if isinstance(salt, bytes):
        return salt.hex()
    if isinstance(salt, str):
        return salt
    return hashlib.sha256(f"credkit-identity-salt\n{credential_id}".encode()).hexdigest()[:32]


def _add_years(stamp: str, years: int) -> str:
    start = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February → 28 February
        end = start.replace(year=start.year + years, day=28)
    return format_datetime(end)


def _where(graduate: Graduate) -> str:
    return f"{graduate.name} (roster line {graduate.line})" if graduate.line else graduate.name


def _status(status: list[dict[str, Any]] | None) -> CredentialStatus | None:
    if not status:
        return None
    if len(status) > 1:
        # OB 3.0 §B.1.x: credentialStatus is 0..1 and its JSON Schema requires a single object.
        raise TemplateError(
            "Open Badges 3.0 allows one credentialStatus entry (its schema wants an object); "
            "pass one entry, e.g. the revocation entry"
        )
    try:
        return CredentialStatus.model_validate(status[0])
    except ValidationError as exc:
        raise TemplateError(f"credentialStatus: {exc.errors()[0]['msg']}") from None


def _grade(template: DiplomaTemplate, graduate: Graduate) -> tuple[list[Result], ResultDescription]:
    scale = template.grade or ResultDescription(
        id="urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, template.achievement.id + "#grade")),
        name="Grade",
        result_type="Result",
    )
    grade = str(graduate.grade)
    if scale.allowed_value and grade not in scale.allowed_value:
        raise TemplateError(
            f"{_where(graduate)}: grade {grade!r} is not one of "
            f"{', '.join(scale.allowed_value)} — fix the roster or [achievement.grade] "
            "allowedValues"
        )
    return [Result(value=grade, result_description=scale.id)], scale


def build_diploma(
    template: DiplomaTemplate,
    graduate: Graduate,
    *,
    issuer_id: str,
    credential_id: str | None = None,
    status: list[dict[str, Any]] | None = None,
    salt: bytes | str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned OB 3.0 credential for one graduate (``issuer_id`` = the issuer's DID).

    validFrom comes from the roster row, else the template, else ``now``; validUntil likewise, or
    validFrom + ``valid_years``. Raises :class:`TemplateError` naming the roster line on bad input.
    """
    achievement_id = template.achievement.id
    cid = credential_id or credential_id_for(graduate.key(achievement_id), achievement_id)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    valid_from = graduate.valid_from or template.valid_from or format_datetime(moment)
    valid_until = graduate.valid_until or template.valid_until
    if valid_until is None and template.valid_years:
        valid_until = _add_years(valid_from, template.valid_years)
    if valid_until is not None and valid_until <= valid_from:
        raise TemplateError(
            f"{_where(graduate)}: validUntil {valid_until} is not after validFrom {valid_from}"
        )

    for_achievement: list[dict[str, Any]] = []
    for_issuer: list[dict[str, Any]] = []
    for endorsement in template.endorsements:
        target = endorsement.target or (
            "achievement"
            if endorsement.subject_id == achievement_id
            else "issuer"
            if endorsement.subject_id == issuer_id
            else None
        )
        if target is None:
            raise TemplateError(
                f"{endorsement.path.name}: endorses {endorsement.subject_id}, which is neither "
                f"the achievement ({achievement_id}) nor the issuer ({issuer_id}) — set target "
                "in its [[endorsement]] entry, or ask the endorser to endorse one of those"
            )
        (for_achievement if target == "achievement" else for_issuer).append(endorsement.credential)

    # a shallow copy: only its own fields are reassigned below (new lists), nothing nested is
    # mutated, and the credential is dumped to a fresh dict (deep-copying the endorsements was
    # ~10% of the build)
    achievement = template.achievement.model_copy()
    achievement.endorsement = for_achievement
    results: list[Result] = []
    if graduate.grade:
        results, scale = _grade(template, graduate)
        if all(rd.id != scale.id for rd in achievement.result_description):
            achievement.result_description = [*achievement.result_description, scale]

    try:
        credential = AchievementCredential(
            context=list(DIPLOMA_CONTEXT),
            id=cid,
            name=template.credential_name,
            description=template.credential_description,
            issuer=template.issuer.profile(issuer_id, for_issuer),
            valid_from=valid_from,
            valid_until=valid_until,
            awarded_date=valid_from,
            credential_subject=AchievementSubject(
                id=graduate.subject_id,
                name=graduate.name,
                identifier=[
                    IdentityObject.for_email(normalize_email(graduate.email), _salt(salt, cid))
                ],
                achievement=achievement,
                result=results,
                activity_start_date=template.activity_start_date,
                activity_end_date=template.activity_end_date,
            ),
            credential_schema=[CredentialSchema()],
            credential_status=_status(status),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TemplateError(
            f"{_where(graduate)}: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None
    document = credential.to_dict()
    # exactly validate_ob3 + validate_profile(require_proof=False), with the subtrees every
    # diploma of a cohort shares (issuer, achievement, template texts) validated once
    found = validate_diploma(document, OB_SCHEMA_URL, PROFILE_SCHEMA_URL)
    errors = found[OB_SCHEMA_URL] + [
        e for e in found[PROFILE_SCHEMA_URL] if e != "(credential): 'proof' is a required property"
    ]
    if errors:
        raise TemplateError(
            f"{_where(graduate)}: the diploma would not be valid Open Badges 3.0: "
            + "; ".join(errors[:5])
        )
    return document


# a row with only the required columns: what every diploma of a template has in common
SAMPLE_GRADUATE = Graduate(name="Sample Graduate", email="sample.graduate@example.org")


def check_template(template: DiplomaTemplate, issuer_id: str) -> None:
    """Raise :class:`TemplateError` if ``template`` cannot make a valid OB 3.0 diploma.

    Run before a cohort signs anything, so a template that fails the Open Badges schema stops the
    run with the field and the fix, instead of failing every row one by one.
    """
    try:
        build_diploma(template, SAMPLE_GRADUATE, issuer_id=issuer_id)
    except TemplateError as exc:
        detail = exc.message.removeprefix(f"{SAMPLE_GRADUATE.name}: ")
        raise TemplateError(
            f"{template.source}: the template cannot make a valid diploma, nothing was signed: "
            f"{detail}"
        ) from None


def _proof_list(signed: dict[str, Any]) -> dict[str, Any]:
    # The OB 3.0 schema wants `proof` as an array; credkit.proofs already emits one for OB
    # documents, this keeps that true whatever it decides.
    proof = signed.get("proof")
    if isinstance(proof, dict):
        signed = {**signed, "proof": [proof]}
    return signed


def issue_diploma(
    template: DiplomaTemplate,
    graduate: Graduate,
    key: Signer,
    *,
    cryptosuite: str = DEFAULT_SUITE,
    credential_id: str | None = None,
    status: list[dict[str, Any]] | None = None,
    salt: bytes | str | None = None,
    now: datetime | None = None,
    created: datetime | str | None = None,
) -> dict[str, Any]:
    """Build the diploma with ``key.controller`` as issuer and sign it (Data Integrity proof)."""
    from credkit.proofs.dataintegrity import (
        sign,  # imported late: signing pulls in the JSON-LD machinery
    )

    document = build_diploma(
        template,
        graduate,
        issuer_id=key.controller,
        credential_id=credential_id,
        status=status,
        salt=salt,
        now=now,
    )
    when = created if created is not None else now
    return _proof_list(sign(document, key, cryptosuite=cryptosuite, created=when))


def build_endorsement(
    endorser: Profile | Mapping[str, Any],
    target_id: str,
    claim_text: str,
    *,
    endorsement_id: str | None = None,
    name: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """An unsigned OB 3.0 ``EndorsementCredential``: ``endorser`` vouches for ``target_id``.

    ``target_id`` is the achievement id or the issuer's id; the endorser signs the result with
    their own key (``issue_endorsement``) and sends the JSON file to the issuer.
    """
    try:
        profile = endorser if isinstance(endorser, Profile) else Profile.model_validate(endorser)
        start = valid_from or (now or datetime.now(UTC))
        credential = EndorsementCredential(
            context=list(DIPLOMA_CONTEXT),
            id=endorsement_id or f"urn:uuid:{uuid.uuid4()}",
            name=name or f"Endorsement by {profile.name or profile.id}",
            issuer=profile,
            valid_from=format_datetime(start.replace(microsecond=0)),
            valid_until=format_datetime(valid_until) if valid_until else None,
            credential_subject=EndorsementSubject(
                id=target_id, endorsement_comment=claim_text.strip()
            ),
            credential_schema=[CredentialSchema(id=OB_ENDORSEMENT_SCHEMA_URL)],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TemplateError(
            f"endorsement: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None
    document = credential.to_dict()
    errors = validate_endorsement(document)
    if errors:
        raise TemplateError("endorsement is not valid OB 3.0: " + "; ".join(errors[:5]))
    return document


def issue_endorsement(
    endorser: Profile | Mapping[str, Any],
    target_id: str,
    claim_text: str,
    key: Signer,
    *,
    cryptosuite: str = DEFAULT_SUITE,
    created: datetime | str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Build and sign an endorsement with the *endorser's* key (its DID becomes the issuer id)."""
    from credkit.proofs.dataintegrity import sign

    fields = endorser.to_dict() if isinstance(endorser, Profile) else dict(endorser)
    if fields.setdefault("id", key.controller) != key.controller:
        raise TemplateError(
            f"endorser id {fields['id']} is not the DID of the signing key ({key.controller})"
        )
    fields.setdefault("type", ["Profile"])
    document = build_endorsement(fields, target_id, claim_text, **options)
    return _proof_list(sign(document, key, cryptosuite=cryptosuite, created=created))


__all__ = [
    "CREDKIT_NAMESPACE",
    "DIPLOMA_CONTEXT",
    "build_diploma",
    "build_endorsement",
    "check_template",
    "credential_id_for",
    "issue_diploma",
    "issue_endorsement",
]
