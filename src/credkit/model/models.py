"""Pydantic models of the VC Data Model 2.0 + Open Badges 3.0 shapes credkit issues and reads.

The models serialize to the compacted JSON-LD shape of the OB 3.0 spec examples: camelCase keys,
``@context`` first, ``type`` as a JSON array where the OB JSON Schema demands one (OB 3.0 §B
"Serialization": unordered sets are arrays, nulls and empty arrays are omitted). Every model keeps
properties it does not know (``extra="allow"``), so parsing a conforming credential and dumping it
again loses nothing. Numbers keep their JSON kind (``42`` stays an integer, ``42.0`` a double):
RDF canonicalization types them differently, so a change would break a signature.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
OB_ENDORSEMENT_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
# OB 3.0 §8.1 and every spec example use this type name for credentialSchema entries.
OB_SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"

# OB 3.0 §B.1.x AchievementType enumeration, exactly as the spec and its JSON Schema list it.
ACHIEVEMENT_TYPES: frozenset[str] = frozenset(
    [
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CommunityService",
        "Competency",
        "Course",
        "CoCurricular",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    ]
)
# OB 3.0 ResultType enumeration (ResultDescription.resultType).
RESULT_TYPES: frozenset[str] = frozenset(
    [
        "GradePointAverage",
        "LetterGrade",
        "Percent",
        "PerformanceLevel",
        "PredictedScore",
        "RawScore",
        "Result",
        "RubricCriterion",
        "RubricCriterionLevel",
        "RubricScore",
        "ScaledScore",
        "Status",
    ]
)
# Extensions of OB enumerations: `ext:` + a name (the schema's own pattern, anchored here).
EXT_TERM = re.compile(r"^ext:[A-Za-z0-9._-]+$")

# XML Schema dateTimeStamp: the timezone is mandatory (OB DateTimeZ; VC DM 2.0 §4.10).
DATETIME_Z = re.compile(
    r"^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$"
)


def format_datetime(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, the form the spec examples use; naive values are UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _datetime_z(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, str) and not DATETIME_Z.match(value):
        raise ValueError(f"{value!r} is not a date-time with a timezone, e.g. 2026-11-23T00:00:00Z")
    return value


def _as_list(value: Any) -> Any:
    """A single value where the OB schema wants an array becomes a one-item array."""
    if value is None or isinstance(value, list):
        return value
    return [value]


def _index_string(value: Any) -> Any:
    # Bitstring Status List 1.0 §2.1: statusListIndex is a *string* holding a base-10 integer.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


DateTimeZ = Annotated[str, BeforeValidator(_datetime_z)]
TypeList = Annotated[list[str], BeforeValidator(_as_list)]
Number = int | float  # kept apart: RDFC types 42 as xsd:integer and 42.0 as xsd:double
Embedded = dict[str, Any]  # an embedded signed credential, kept byte-for-byte as parsed


_DECLARED: dict[type, tuple[str, ...]] = {}


def _declared_keys(cls: type[BaseModel]) -> tuple[str, ...]:
    """Every name a declared field may be dumped under (field name and alias), per class."""
    keys = _DECLARED.get(cls)
    if keys is None:
        names: dict[str, None] = {}
        for name, info in cls.model_fields.items():
            names[name] = None
            names[info.serialization_alias or info.alias or name] = None
        keys = _DECLARED[cls] = tuple(names)
    return keys


class OBModel(BaseModel):
    """Base: camelCase aliases, unknown properties kept, None and [] omitted on output."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        validate_assignment=True,
    )

    @model_serializer(mode="wrap")
    def _omit_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        # Only declared fields: an extension property is passed through exactly as it came.
        for key in _declared_keys(type(self)):
            if key in data and (data[key] is None or data[key] == []):
                del data[key]
        return data

    def to_dict(self) -> dict[str, Any]:
        """The JSON-LD object (camelCase keys), ready for ``json.dumps`` or signing."""
        return self.model_dump(mode="json", by_alias=True)


def _type_contains(required: str) -> Any:
    def check(value: list[str]) -> list[str]:
        if required not in value:
            raise ValueError(f"type must contain {required!r}")
        return value

    return AfterValidator(check)


def _typed(name: str) -> Any:
    """A ``type`` field: an array (a lone string is wrapped) that must contain ``name``."""
    return Field(default_factory=lambda: [name])


# --- small objects ---------------------------------------------------------------------------


class Image(OBModel):
    """OB Image: ``type`` is the single string "Image" and no other properties are allowed."""

    id: str
    type: str = "Image"
    caption: str | None = None


class GeoCoordinates(OBModel):
    type: str = "GeoCoordinates"
    latitude: Number
    longitude: Number


class Address(OBModel):
    type: TypeList = _typed("Address")
    address_country: str | None = None
    address_country_code: str | None = None
    address_region: str | None = None
    address_locality: str | None = None
    street_address: str | None = None
    post_office_box_number: str | None = None
    postal_code: str | None = None
    geo: GeoCoordinates | None = None


class IdentifierEntry(OBModel):
    type: str = "IdentifierEntry"
    identifier: str
    identifier_type: str


class Profile(OBModel):
    """An issuer, endorser or creator (OB 3.0 Profile): ``id`` and ``type`` ["Profile"] required."""

    id: str
    type: Annotated[TypeList, _type_contains("Profile")] = _typed("Profile")
    name: str | None = None
    url: str | None = None
    phone: str | None = None
    description: str | None = None
    email: str | None = None
    image: Image | None = None
    address: Address | None = None
    official: str | None = None
    other_identifier: list[IdentifierEntry] = Field(default_factory=list)
    parent_org: Profile | None = None
    endorsement: list[Embedded] = Field(default_factory=list)


class Criteria(OBModel):
    """How the achievement is earned: a URL and/or a Markdown ``narrative``."""

    id: str | None = None
    narrative: str | None = None


class Alignment(OBModel):
    type: TypeList = _typed("Alignment")
    target_name: str
    target_url: str
    target_description: str | None = None
    target_code: str | None = None
    target_framework: str | None = None
    target_type: str | None = None


class RubricCriterionLevel(OBModel):
    id: str
    type: TypeList = _typed("RubricCriterionLevel")
    name: str
    description: str | None = None
    level: str | None = None
    points: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)


class ResultDescription(OBModel):
    """What a ``Result`` (a grade) means: its name, kind and allowed values."""

    id: str
    type: TypeList = _typed("ResultDescription")
    name: str
    result_type: str
    allowed_value: list[str] = Field(default_factory=list)
    required_level: str | None = None
    required_value: str | None = None
    rubric_criterion_level: list[RubricCriterionLevel] = Field(default_factory=list)
    value_max: str | None = None
    value_min: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)

    @field_validator("result_type")
    @classmethod
    def _result_type(cls, value: str) -> str:
        if value not in RESULT_TYPES and not EXT_TERM.match(value):
            raise ValueError(
                f"resultType {value!r} is not an OB 3.0 ResultType; use one of "
                f"{', '.join(sorted(RESULT_TYPES))} or ext:YourName"
            )
        return value


class Result(OBModel):
    """A graduate's result, e.g. a grade, pointing at its ``ResultDescription`` by id."""

    type: TypeList = _typed("Result")
    value: str | None = None
    result_description: str | None = None
    achieved_level: str | None = None
    status: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)


class Achievement(OBModel):
    """What was achieved. OB 3.0 requires id, type, name, description and criteria."""

    id: str
    type: Annotated[TypeList, _type_contains("Achievement")] = _typed("Achievement")
    name: str
    description: str
    criteria: Criteria
    achievement_type: str | None = None
    image: Image | None = None
    creator: Profile | None = None
    credits_available: Number | None = None
    field_of_study: str | None = None
    specialization: str | None = None
    human_code: str | None = None
    in_language: str | None = None
    version: str | None = None
    tag: list[str] = Field(default_factory=list)
    alignment: list[Alignment] = Field(default_factory=list)
    result_description: list[ResultDescription] = Field(default_factory=list)
    other_identifier: list[IdentifierEntry] = Field(default_factory=list)
    endorsement: list[Embedded] = Field(default_factory=list)

    @field_validator("achievement_type")
    @classmethod
    def _achievement_type(cls, value: str | None) -> str | None:
        if value is not None and value not in ACHIEVEMENT_TYPES and not EXT_TERM.match(value):
            raise ValueError(
                f"achievementType {value!r} is not in the OB 3.0 enumeration; use e.g. Diploma, "
                "Certificate, Degree, or an extension such as ext:Masterclass"
            )
        return value


class IdentityObject(OBModel):
    """A recipient identifier, normally a salted hash of the graduate's email (OB 3.0 §B.1.x)."""

    type: str = "IdentityObject"
    hashed: bool
    identity_hash: str
    identity_type: str
    salt: str | None = None

    @staticmethod
    def hash_identity(identifier: str, salt: str) -> str:
        """``sha256$`` + hex(SHA-256(identifier ‖ salt)), the OB 3.0 identityHash form."""
        digest = hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()
        return f"sha256${digest}"

    @classmethod
    def for_email(cls, email: str, salt: str) -> IdentityObject:
        """A hashed ``emailAddress`` identifier; the address itself never enters the credential."""
        return cls(
            hashed=True,
            identity_hash=cls.hash_identity(email, salt),
            identity_type="emailAddress",
            salt=salt,
        )

    def matches(self, identifier: str) -> bool:
        """True when ``identifier`` is the one this object names (hashed or plain)."""
        if not self.hashed:
            return self.identity_hash == identifier
        if self.identity_hash.startswith("sha256$"):
            return self.hash_identity(identifier, self.salt or "") == self.identity_hash
        if self.identity_hash.startswith("md5$"):
            digest = hashlib.md5((identifier + (self.salt or "")).encode(), usedforsecurity=False)
            return self.identity_hash == "md5$" + digest.hexdigest()
        return False


class AchievementSubject(OBModel):
    """The graduate: OB 3.0 requires ``id`` or at least one ``identifier``, and ``achievement``."""

    id: str | None = None
    type: Annotated[TypeList, _type_contains("AchievementSubject")] = _typed("AchievementSubject")
    name: str | None = None
    identifier: list[IdentityObject] = Field(default_factory=list)
    achievement: Achievement
    result: list[Result] = Field(default_factory=list)
    activity_start_date: DateTimeZ | None = None
    activity_end_date: DateTimeZ | None = None
    credits_earned: Number | None = None
    term: str | None = None
    role: str | None = None
    narrative: str | None = None
    license_number: str | None = None
    image: Image | None = None
    source: Profile | None = None

    @model_validator(mode="after")
    def _recipient(self) -> AchievementSubject:
        if self.id is None and not self.identifier:
            raise ValueError("credentialSubject needs an id or at least one identifier (OB 3.0)")
        return self


class EndorsementSubject(OBModel):
    id: str
    type: Annotated[TypeList, _type_contains("EndorsementSubject")] = _typed("EndorsementSubject")
    endorsement_comment: str | None = None


class Evidence(OBModel):
    id: str | None = None
    type: TypeList = _typed("Evidence")
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


class CredentialSchema(OBModel):
    id: str = OB_SCHEMA_URL
    type: str = OB_SCHEMA_TYPE


class CredentialStatus(OBModel):
    """A ``BitstringStatusListEntry`` (or any other status type, kept as given)."""

    id: str | None = None
    type: str = "BitstringStatusListEntry"
    status_purpose: str | None = None
    status_list_index: Annotated[str | None, BeforeValidator(_index_string)] = None
    status_list_credential: str | None = None
    status_size: int | None = None
    status_message: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bitstring(self) -> CredentialStatus:
        if self.type == "BitstringStatusListEntry":
            missing = [
                k
                for k, v in (
                    ("statusPurpose", self.status_purpose),
                    ("statusListIndex", self.status_list_index),
                    ("statusListCredential", self.status_list_credential),
                )
                if v is None
            ]
            if missing:
                raise ValueError(f"BitstringStatusListEntry lacks {', '.join(missing)}")
            if not (self.status_list_index or "").isdigit():
                raise ValueError("statusListIndex must be a string of decimal digits")
        return self


# --- credentials -----------------------------------------------------------------------------


class _Credential(OBModel):
    """What every VC 2.0 credential shares; subclasses add ``type`` rules and the subject."""

    REQUIRED_TYPE: ClassVar[tuple[str, ...]] = ()

    context: list[str | dict[str, Any]] = Field(
        default_factory=lambda: [VC_V2_CONTEXT, OB_V3_CONTEXT],  # type: ignore[arg-type]
        validation_alias=AliasChoices("@context", "context"),
        serialization_alias="@context",
    )
    id: str | None = None
    type: TypeList = Field(default_factory=list)
    name: str | None = None
    description: str | None = None
    image: Image | None = None
    issuer: Profile | str
    valid_from: DateTimeZ | None = None
    valid_until: DateTimeZ | None = None
    awarded_date: DateTimeZ | None = None

    @field_validator("context", mode="before")
    @classmethod
    def _context(cls, value: Any) -> Any:
        value = _as_list(value)
        if not value or value[0] not in (VC_V2_CONTEXT, VC_V1_CONTEXT):
            raise ValueError(f"@context must start with {VC_V2_CONTEXT} (VC DM 2.0 §4.3)")
        return value

    @field_validator("type")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        if "VerifiableCredential" not in value:
            raise ValueError("type must contain 'VerifiableCredential'")
        if cls.REQUIRED_TYPE and not any(t in value for t in cls.REQUIRED_TYPE):
            raise ValueError(f"type must contain one of {', '.join(cls.REQUIRED_TYPE)}")
        return value

    @property
    def issuer_id(self) -> str:
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id


class AchievementCredential(_Credential):
    """An OB 3.0 ``OpenBadgeCredential`` / ``AchievementCredential`` (the diploma itself)."""

    REQUIRED_TYPE: ClassVar[tuple[str, ...]] = ("AchievementCredential", "OpenBadgeCredential")

    type: TypeList = Field(default_factory=lambda: ["VerifiableCredential", "OpenBadgeCredential"])
    credential_subject: AchievementSubject
    credential_schema: Annotated[list[CredentialSchema], BeforeValidator(_as_list)] = Field(
        default_factory=list
    )
    # OB 3.0 allows one credentialStatus (its schema wants an object); VC 2.0 allows a set.
    credential_status: CredentialStatus | list[CredentialStatus] | None = None
    evidence: Annotated[list[Evidence], BeforeValidator(_as_list)] = Field(default_factory=list)
    endorsement: list[Embedded] = Field(default_factory=list)
    proof: list[dict[str, Any]] | dict[str, Any] | None = None


OpenBadgeCredential = AchievementCredential


class EndorsementCredential(_Credential):
    """An OB 3.0 ``EndorsementCredential``: a third party vouches for an achievement or issuer."""

    REQUIRED_TYPE: ClassVar[tuple[str, ...]] = ("EndorsementCredential",)

    type: TypeList = Field(
        default_factory=lambda: ["VerifiableCredential", "EndorsementCredential"]
    )
    credential_subject: EndorsementSubject
    credential_schema: Annotated[list[CredentialSchema], BeforeValidator(_as_list)] = Field(
        default_factory=list
    )
    credential_status: CredentialStatus | list[CredentialStatus] | None = None
    proof: list[dict[str, Any]] | dict[str, Any] | None = None


__all__ = [
    "ACHIEVEMENT_TYPES",
    "OB_SCHEMA_TYPE",
    "OB_SCHEMA_URL",
    "OB_V3_CONTEXT",
    "RESULT_TYPES",
    "VC_V2_CONTEXT",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Address",
    "Alignment",
    "CredentialSchema",
    "CredentialStatus",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "IdentityObject",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "format_datetime",
]
