"""LinkedIn's "Add to profile" link for a certification, built from a signed diploma.

LinkedIn's Add to Profile for Certifications takes the certification's fields as query parameters
of ``https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME``: ``name``,
``organizationName``, ``issueYear``/``issueMonth``, ``expirationYear``/``expirationMonth``,
``certUrl`` and ``certId``. The graduate opens the link while signed in and LinkedIn pre-fills the
form; nothing is sent anywhere by credkit. The values come from the diploma itself, so what the
profile shows is what the issuer signed, and ``certUrl`` is the diploma's hosted link, where anyone
can check it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from credkit.share.qr_payload import QrError, link_url

__all__ = [
    "ADD_URL",
    "LinkedInError",
    "linkedin_fields",
    "linkedin_link",
    "linkedin_url",
    "parse_linkedin_url",
]

ADD_URL = "https://www.linkedin.com/profile/add"


class LinkedInError(QrError):
    """The diploma lacks a field LinkedIn's form needs (its name or its issue date)."""


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, Mapping):
        return _text(value.get("@value"))
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _year_month(value: Any, field: str) -> tuple[str, str]:
    text = value if isinstance(value, str) else ""
    year, _, rest = text.partition("-")
    month = rest[:2]
    if not (len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise LinkedInError(f"the diploma's {field} {value!r} is not a date like 2026-11-20")
    return year, str(int(month))


def linkedin_fields(
    credential: Mapping[str, Any], *, base_url: str | None = None
) -> dict[str, str]:
    """The form's fields from a signed diploma; ``base_url`` (where it is hosted) gives certUrl."""
    if not isinstance(credential, Mapping) or not credential.get("proof"):
        raise LinkedInError("the diploma has no proof: share the signed file your program sent")
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    name = _text(achievement.get("name") if isinstance(achievement, Mapping) else None)
    name = name or _text(credential.get("name"))
    if name is None:
        raise LinkedInError("the diploma names no achievement (credentialSubject.achievement.name)")
    issuer = credential.get("issuer")
    organization = _text(issuer.get("name")) if isinstance(issuer, Mapping) else None
    if organization is None:
        raise LinkedInError("the diploma's issuer has no name (issuer.name) to show on LinkedIn")
    issued = credential.get("awardedDate") or credential.get("validFrom")
    year, month = _year_month(
        issued, "awardedDate" if credential.get("awardedDate") else "validFrom"
    )
    fields = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization,
        "issueYear": year,
        "issueMonth": month,
    }
    if credential.get("validUntil") is not None:
        fields["expirationYear"], fields["expirationMonth"] = _year_month(
            credential["validUntil"], "validUntil"
        )
    if base_url:
        fields["certUrl"] = link_url(dict(credential), base_url)
    if isinstance(credential.get("id"), str):
        fields["certId"] = credential["id"]
    return fields


def linkedin_url(credential: Mapping[str, Any], *, base_url: str | None = None) -> str:
    """LinkedIn's add-to-profile URL for ``credential`` (query parameters percent-encoded)."""
    return f"{ADD_URL}?{urlencode(linkedin_fields(credential, base_url=base_url))}"


def linkedin_link(credential: Mapping[str, Any], base_url: str | None) -> str | None:
    """The add-to-profile link for a page, or None when the diploma lacks a field LinkedIn
    needs (the page then offers no button rather than a half-filled form)."""
    try:
        return linkedin_url(credential, base_url=base_url)
    except LinkedInError:
        return None


def parse_linkedin_url(url: str) -> dict[str, str]:
    """The fields of an add-to-profile URL (the inverse of :func:`linkedin_url`)."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}{parts.path}" != ADD_URL:
        raise LinkedInError(f"{url!r} is not a LinkedIn add-to-profile URL")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    if any(len(values) != 1 for values in query.values()):
        raise LinkedInError("a parameter appears more than once")
    return {key: values[0] for key, values in query.items()}
