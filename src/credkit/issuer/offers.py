"""Claim offers: one-time, expiring, revocable tokens that bring a diploma into a wallet.

An offer has a public id (for the issuer's listings and for revoking it) and a secret (the
capability in the claim link). Only the secret's SHA-256 is stored, so a copy of the store does not
hold working links. Claiming is one conditional UPDATE (``state = 'active' AND expires_at > now``),
so two wallets racing for one offer cannot both win, on one machine or several.

Short-lived tokens tied to an offer (a VC-API exchange's challenge, an OID4VCI access token or
``c_nonce``) live in ``offer_tokens`` and are used once the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from credkit.errors import StoreError

OFFER_SCHEMA = """
CREATE TABLE IF NOT EXISTS offers (
    id               TEXT PRIMARY KEY,          -- public handle, not a capability
    secret_hash      TEXT NOT NULL UNIQUE,      -- sha256 hex of the claim secret
    credential_id    TEXT NOT NULL REFERENCES credentials (id),
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('active', 'claimed', 'revoked')),
    tx_code_hash     TEXT,                      -- sha256 hex of an out-of-band code, if any
    claimed_at       TEXT,
    holder           TEXT,                      -- the DID the delivered copy is bound to
    flow             TEXT,                      -- vcapi | oid4vci
    delivered_digest TEXT,                      -- sha256 hex of the copy delivered
    revoked_at       TEXT
);
CREATE INDEX IF NOT EXISTS offers_credential ON offers (credential_id);
CREATE TABLE IF NOT EXISTS offer_tokens (
    token_hash  TEXT PRIMARY KEY,               -- sha256 hex of the token
    offer_id    TEXT REFERENCES offers (id),    -- NULL for tokens not tied to an offer
    kind        TEXT NOT NULL,                  -- challenge | access_token | c_nonce | ...
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    data        TEXT                            -- JSON the flow keeps with the token
);
"""

# schema 4: what the purge and the caps below look up on every token write, indexed (without
# them each write scanned the table, bounded only by the caps)
TOKEN_INDEXES = """
CREATE INDEX IF NOT EXISTS offer_tokens_expiry ON offer_tokens (expires_at);
CREATE INDEX IF NOT EXISTS offer_tokens_offer_kind ON offer_tokens (offer_id, kind);
"""

ACTIVE, CLAIMED, REVOKED, EXPIRED = "active", "claimed", "revoked", "expired"

# --- keeping offer_tokens small --------------------------------------------------------------
# Every token row expires (minutes), and an expired row answers nothing (peek_token and
# use_token filter on expires_at), so deleting it changes no answer. Each issue_token deletes at
# most PURGE_BATCH expired rows in its own transaction: bounded work per call, and since each
# call adds one row and can remove many, the expired backlog drains while tokens are written.
# The nonce endpoint is open to anyone (OID4VCI 1.0 §7), so live rows are capped too: at most
# NONCE_CAP unused, unexpired c_nonces in all, and at most OFFER_TOKEN_CAP of one kind per offer
# (challenges and pre-authorized codes, minted by anyone holding the link). Past a cap the
# endpoint answers "try later" (TokenLimitError) instead of growing the table. A stateless HMAC
# nonce was the other way; it needs one secret on every replica, and replicas mount the
# workspace read-only (docs/scaling.md), so the state stays in the shared store instead.
PURGE_BATCH = 64
NONCE_CAP = 10_000
OFFER_TOKEN_CAP = 50
# {lock}: PostgreSQL adds FOR UPDATE SKIP LOCKED, so two purges never wait on (or deadlock over)
# the same rows; SQLite's write lock already serializes them
PURGE_EXPIRED_TOKENS = (
    "DELETE FROM offer_tokens WHERE token_hash IN (SELECT token_hash FROM offer_tokens "
    "WHERE expires_at <= ? LIMIT ?{lock})"
)
COUNT_LIVE_TOKENS = (
    "SELECT COUNT(*) FROM offer_tokens WHERE kind = ? AND offer_id IS ? AND used_at IS NULL "
    "AND expires_at > ?"
)


class OfferError(StoreError):
    """An offer cannot be used: unknown, expired, already claimed, or revoked."""

    code = "OFFER_UNUSABLE"

    def __init__(self, message: str, *, reason: str = "unknown") -> None:
        super().__init__(message)
        self.reason = reason


class TokenLimitError(StoreError):
    """Too many live tokens of one kind (for one offer, or unbound nonces): try again later."""

    code = "TOKEN_LIMIT"


def timestamp(moment: datetime) -> str:
    """The store's one timestamp form (UTC, microseconds, ``Z``): sorts as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """256 bits from the OS, URL-safe: unguessable, fits in a link and a QR code."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Offer:
    id: str
    credential_id: str
    created_at: str
    expires_at: str
    state: str
    has_tx_code: bool
    claimed_at: str | None = None
    holder: str | None = None
    flow: str | None = None
    delivered_digest: str | None = None
    revoked_at: str | None = None

    def status(self, now: datetime | None = None) -> str:
        """``active``, ``claimed``, ``revoked`` or ``expired`` (an active offer past its expiry)."""
        moment = timestamp(now or datetime.now(UTC))
        if self.state == ACTIVE and self.expires_at <= moment:
            return EXPIRED
        return self.state

    def json(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "credentialId": self.credential_id,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
            "status": self.status(now),
            "txCode": self.has_tx_code,
            "claimedAt": self.claimed_at,
            "holder": self.holder,
            "flow": self.flow,
            "deliveredDigest": self.delivered_digest,
            "revokedAt": self.revoked_at,
        }


OFFER_COLUMNS = (
    "id, credential_id, created_at, expires_at, state, tx_code_hash, claimed_at, holder, flow, "
    "delivered_digest, revoked_at"
)


def offer_from_row(row: Sequence[Any] | None) -> Offer | None:
    if row is None:
        return None
    return Offer(
        id=row[0],
        credential_id=row[1],
        created_at=row[2],
        expires_at=row[3],
        state=row[4],
        has_tx_code=row[5] is not None,
        claimed_at=row[6],
        holder=row[7],
        flow=row[8],
        delivered_digest=row[9],
        revoked_at=row[10],
    )


def why_unusable(offer: Offer | None, now: datetime) -> OfferError:
    """The specific refusal for an offer a conditional update did not match."""
    if offer is None:
        return OfferError("no such offer (the link is wrong or was never issued)", reason="unknown")
    status = offer.status(now)
    if status == CLAIMED:
        return OfferError("this offer was already claimed; each link works once", reason=CLAIMED)
    if status == REVOKED:
        return OfferError("this offer was withdrawn by the issuer", reason=REVOKED)
    if status == EXPIRED:
        return OfferError(
            f"this offer expired at {offer.expires_at}; ask the issuer for a new link",
            reason=EXPIRED,
        )
    return OfferError("this offer cannot be used now", reason=status)


class _StatusReader(Protocol):
    def get_status(self, credential_id: str) -> dict[str, int]: ...


REVOKED_DIPLOMA, SUSPENDED_DIPLOMA = "revoked", "suspended"


def withheld(store: _StatusReader, credential_id: str) -> str | None:
    """Why the diploma must not go into a wallet now (``revoked`` or ``suspended``), else None.

    The one rule both wallet flows (VC-API exchange, OID4VCI) apply before and at delivery.
    A suspended diploma is withheld too, not only a revoked (or replaced) one: suspension means
    "not to be relied on until reinstated" (Bitstring Status List 1.0 §2.1, statusPurpose
    ``suspension``), and a copy handed over now would be bound to a holder DID and presented as
    that holder's own while the issuer says it should not be relied on. Withholding keeps the
    offer active (nothing is claimed), so the same link works again once the issuer reinstates
    the diploma; revocation is final, so a revoked diploma's link never works again.
    """
    status = store.get_status(credential_id)
    if status.get("revocation"):
        return REVOKED_DIPLOMA
    if status.get("suspension"):
        return SUSPENDED_DIPLOMA
    return None


def expiry(now: datetime, lifetime: timedelta) -> str:
    if lifetime <= timedelta(0):
        raise StoreError("an offer's lifetime must be positive")
    return timestamp(now + lifetime)


# --- where an offer is claimed (one scheme for the CLI, the service, the pages) -------------
# The secret is the capability: whoever holds the link can claim the diploma once. Paths are
# under the workspace's publish base URL, served by `credkit serve`.


def claim_page_url(base_url: str, secret: str) -> str:
    """The page a graduate opens from the email: it shows each wallet's link and QR code."""
    return f"{base_url.rstrip('/')}/claim/{secret}"


def exchange_url(base_url: str, secret: str) -> str:
    """The VC-API exchange (DCC workflow pattern) a Learner Credential Wallet POSTs to."""
    return f"{base_url.rstrip('/')}/exchanges/{secret}"


def oid4vci_offer_uri(base_url: str, secret: str) -> str:
    """Where an OID4VCI wallet fetches the credential offer (``credential_offer_uri``)."""
    return f"{base_url.rstrip('/')}/oid4vci/offers/{secret}"


def oid4vci_offer_link(base_url: str, secret: str) -> str:
    """OID4VCI 1.0 §4.1: ``openid-credential-offer://?credential_offer_uri=<url-encoded URI>``."""
    from urllib.parse import quote

    uri = quote(oid4vci_offer_uri(base_url, secret), safe="")
    return f"openid-credential-offer://?credential_offer_uri={uri}"


_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_LIFETIME = timedelta(days=366)


def parse_lifetime(text: str | int) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w`` or a number of seconds; at most a year (a claim link
    in an old mailbox should not work forever)."""
    import re

    if isinstance(text, int) and not isinstance(text, bool):
        seconds = text
    else:
        match = re.fullmatch(r"\s*(\d{1,7})\s*([mhdw]?)\s*", str(text).lower())
        if match is None:
            raise StoreError(f"an offer lifetime is like 30d, 12h, 90m or 2w, not {text!r}")
        seconds = int(match.group(1)) * _UNITS.get(match.group(2) or "", 1)
    lifetime = timedelta(seconds=seconds)
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise StoreError("an offer lifetime is more than 0 and at most 366 days")
    return lifetime
