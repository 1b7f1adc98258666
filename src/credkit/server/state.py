"""What the server knows: its settings, the issuer workspace, tokens, and the verifier it builds.

One :class:`ServerState` per app. SQLite connections are bound to the thread that opened them, so
the issuer store is opened once per worker thread; the hosting table is one shared connection
behind a lock (status lists are read from threads the verifier starts for fetching).
"""

from __future__ import annotations

import hmac
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from credkit.errors import CredkitError, StatusRetrievalError
from credkit.fetch import HttpFetcher, NoNetwork
from credkit.identity.did import Resolver
from credkit.identity.signer import Signer
from credkit.issuer.hosting import HostedTable, StatusListSigner, did_document
from credkit.issuer.keyring import KeySetError, check_signing_key
from credkit.issuer.store import SqlIssuerStore
from credkit.issuer.workspace import CONFIG_NAME, Workspace
from credkit.jsonld.contexts import DocumentLoader
from credkit.verify.trust import TrustRegistry, load_registry, own_issuer
from credkit.verify.verifier import Verifier

TOKEN_ENV = "CREDKIT_API_TOKEN"
MIN_TOKEN_CHARS = 16
MAX_BODY_BYTES = 1 << 20


class ServerConfigError(CredkitError):
    """The server cannot start as configured (bad token file, missing workspace parts)."""

    code = "SERVER_CONFIG_ERROR"


def check_token_file_mode(token_file: str | os.PathLike[str], *, strict: bool) -> None:
    """Warn on stderr (or refuse, when ``strict``) if group or others may read the token file.

    Anyone who can read it can issue diplomas in the issuer's name. POSIX only: on Windows the
    mode bits say nothing about who can read a file.
    """
    if os.name != "posix":
        return
    try:
        mode = os.stat(token_file).st_mode & 0o777
    except OSError:
        return  # reading it fails next, with its own message
    if not mode & 0o044:
        return
    message = (
        f"token file {token_file} is readable by group or others (mode {mode:04o}); "
        f"run `chmod 600 {token_file}`"
    )
    if strict:
        raise ServerConfigError(message)
    sys.stderr.write(f"warning: {message}\n")


def load_tokens(
    token_file: str | os.PathLike[str] | None,
    env: dict[str, str],
    *,
    strict_mode: bool = False,
    check_mode: bool = True,
) -> frozenset[str]:
    """Bearer tokens from a file (one per line, ``#`` comments) and/or ``CREDKIT_API_TOKEN``.

    Short tokens are refused: a guessable token would let anyone issue in the issuer's name.
    A token file others can read is warned about (refused with ``strict_mode``).
    """
    tokens: list[str] = []
    if token_file is not None:
        if check_mode or strict_mode:
            check_token_file_mode(token_file, strict=strict_mode)
        try:
            text = Path(token_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ServerConfigError(f"cannot read token file {token_file}: {exc}") from None
        tokens += [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    if env.get(TOKEN_ENV):
        tokens.append(env[TOKEN_ENV].strip())
    tokens = [t for t in tokens if t]
    for token in tokens:
        if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
            raise ServerConfigError(
                f"API tokens must be at least {MIN_TOKEN_CHARS} characters without spaces "
                "(try `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
    if token_file is not None and not tokens:
        raise ServerConfigError(f"token file {token_file} holds no token")
    return frozenset(tokens)


@dataclass
class ServerConfig:
    """Settings of one server; everything optional makes a verify-only server."""

    issuer_dir: Path | None = None
    tokens: frozenset[str] = frozenset()
    trust: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()
    allow_network: bool = False
    # with allow_network: also reach loopback and private addresses (credkit.netpolicy)
    allow_private_network: bool = False
    # browser origins allowed to call the VC-API (CORS); none by default
    cors_origins: tuple[str, ...] = ()
    max_body: int = MAX_BODY_BYTES
    extra: dict[str, Any] = field(default_factory=dict)


class LocalStatusFetcher:
    """Status lists for the verifier: this issuer's own from the store, others only if allowed.

    Reading our own lists from the store needs no network, and is always current: a revocation
    is seen by the very next verification.
    """

    def __init__(
        self, state: ServerState, fallback: Callable[[str], dict[str, Any]] | None
    ) -> None:
        self.state = state
        self.fallback = fallback
        self.own: dict[str, dict[str, Any]] = {}  # url -> the signed list last handed out

    def is_own(self, listed: dict[str, Any]) -> bool:
        """True for the very object the signer made (not a copy, not a fetched list)."""
        return any(obj is listed for obj in list(self.own.values()))

    def local(self, url: str) -> dict[str, Any] | None:
        """This issuer's own list at ``url`` from the store, or None when it is not ours."""
        table, signer = self.state.table, self.state.signer
        if table is not None and signer is not None:
            list_id = table.list_id_for(url)
            if list_id is not None:
                signed = signer.signed(table, list_id)
                if signed is not None:
                    self.own[url] = signed
                    return signed
        return None

    def __call__(self, url: str) -> dict[str, Any]:
        signed = self.local(url)
        if signed is not None:
            return signed
        if self.fallback is None:
            raise StatusRetrievalError(
                f"status list {url} belongs to another server, and this server does not fetch "
                "from the network (start it with --allow-network)"
            )
        return self.fallback(url)


class ServerVerifier(Verifier):
    """A :class:`Verifier` that checks the proof on each of the server's own status lists once.

    The signer hands out one object per list and store version (a new one after any change, and
    at least every ``STATUS_MAX_AGE``), so the proof verdict on that very object (held here, so
    its identity cannot be reused) for the same issuer is the same on every request: the key is
    ours (a did:key or our own did:web document, both fixed for the process), and the only clock
    input of a proof check, ``expires``, is absent from our lists; a list carrying one is
    checked every time. Everything else about the list (its dates, the bit) is still checked on
    every request by the status check itself. Lists from other servers are never cached, and
    neither is a failed check: it is redone on the next request (a check cut short by a deadline
    must not fail the list for the life of the worker).
    """

    def __init__(self, *args: Any, own: LocalStatusFetcher, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own = own
        bounded = self.status_fetcher
        if bounded is not None:
            # our own lists are read from the local store: no fetcher thread (the time bound
            # guards against slow servers); anything else still goes through the bounded call
            def fetch(url: str) -> dict[str, Any]:
                listed = own.local(url)
                return listed if listed is not None else bounded(url)

            self.status_fetcher = fetch
        self._verdicts: dict[tuple[int, str | None], tuple[dict[str, Any], bool]] = {}

    def _list_ok(self, listed: dict[str, Any], owner: str | None, now: datetime) -> bool:
        cacheable = self._own.is_own(listed) and not any(
            isinstance(p, dict) and "expires" in p
            for p in (
                listed["proof"] if isinstance(listed.get("proof"), list) else [listed.get("proof")]
            )
        )
        if not cacheable:
            return super()._list_ok(listed, owner, now)
        key = (id(listed), owner)
        hit = self._verdicts.get(key)
        if hit is not None and hit[0] is listed:
            return hit[1]
        verdict = super()._list_ok(listed, owner, now)
        if verdict:
            # only a pass is kept: a False may come from a check cut short (a deadline passing
            # mid-proof, any transient error), and kept it would fail every later request of
            # this worker on a genuine list until the list changed
            if len(self._verdicts) >= 256:
                self._verdicts.clear()
            self._verdicts[key] = (listed, verdict)
        return verdict


class ServerState:
    """The workspace parts and verifier pieces shared by every request."""

    def __init__(self, config: ServerConfig) -> None:
        from credkit import status as bsl

        self.config = config
        self.ws: Workspace | None = None
        self.key: Signer | None = None
        self.table: HostedTable | None = None
        self.signer: StatusListSigner | None = None
        self.publisher: Any = None
        self._local = threading.local()
        self.loader = DocumentLoader()
        self._config_stamp: int | None = None
        if config.issuer_dir is not None:
            self.ws = Workspace.open(config.issuer_dir)
            self._config_stamp = self._stamp()
            self.key = self.ws.key()
            self.store().close()  # fail at start, not at the first request, if it cannot open
            self._local.store = None
            # with a PostgreSQL store, status lists and hosting choices are read from it (every
            # replica answers with the newest committed list and the same hosted diplomas)
            self.table = HostedTable.open(self.ws)
            self.signer = StatusListSigner(self.ws, self.key)
            if self.ws.store_url:
                # replicas on one PostgreSQL store: the elected one signs, every one serves
                from credkit.issuer.publisher import ListPublisher

                self.publisher = ListPublisher(
                    self.ws.store(), self.key, self.ws.issuer_did, self.ws.cryptosuite
                ).start()
        self.trust: TrustRegistry | None = (
            load_registry(config.trust, anchors=config.anchors) if config.trust else None
        )
        if self.trust is None and self.ws is not None:
            # no trust list: the service vouches for its own issuer only, never for a stranger
            # that reuses its name (docs/server.md)
            self.trust = own_issuer(self.ws.issuer_did, self.ws.issuer_name)
        documents: dict[str, dict[str, Any]] = {}
        if self.ws is not None and self.key is not None:
            own = did_document(self.ws, self.key)
            if own is not None:
                documents[own["id"]] = own  # our own did:web resolves without a round trip
        self.resolver = Resolver(
            fetcher=HttpFetcher(allow_private_network=config.allow_private_network)
            if config.allow_network
            else NoNetwork(),
            documents=documents,
        )
        fallback = (
            bsl.CachingFetcher(bsl.HttpFetcher(allow_private_network=config.allow_private_network))
            if config.allow_network
            else None
        )
        self.status_fetcher = LocalStatusFetcher(self, fallback)
        self._verifier: Verifier | None = None

    # --- parts -------------------------------------------------------------------------------

    @property
    def issuing(self) -> bool:
        return self.ws is not None and bool(self.config.tokens)

    def store(self) -> SqlIssuerStore:
        """This thread's connection to the issuer store."""
        if self.ws is None:
            raise ServerConfigError("this server has no issuer workspace (--issuer-dir)")
        store: SqlIssuerStore | None = getattr(self._local, "store", None)
        if store is None:
            store = self.ws.store()
            self._local.store = store
        return store

    def _stamp(self) -> int | None:
        try:
            return (self.ws.root / CONFIG_NAME).stat().st_mtime_ns if self.ws else None
        except OSError:
            return None

    def key_set_moved(self) -> tuple[Workspace | None, str | None]:
        """The workspace as ``credkit.toml`` reads now, or why this server must not sign.

        ``credkit keys rotate`` / ``revoke`` change the key set under a running server: its key,
        loaded at start, is then no longer the current one (and after a theft, not even
        published). Signing or publishing with it would put out what the DID document no
        longer vouches for, so the caller answers 503 until the server is restarted. A change
        that keeps the key current (``keys retire``) is picked up: the DID document follows.
        """
        if self.ws is None or self.key is None:
            return self.ws, None
        stamp = self._stamp()
        if stamp == self._config_stamp:
            return self.ws, None
        try:
            fresh = Workspace.open(self.ws.root)
            check_signing_key(fresh, self.key)
        except (KeySetError, CredkitError):
            return None, (
                "the workspace's signing key changed since this server started (credkit keys "
                "rotate or revoke): restart credkit serve"
            )
        return fresh, None

    def token_ok(self, presented: str) -> bool:
        """Constant-time comparison against every configured token."""
        given = presented.encode("utf-8")
        return any(hmac.compare_digest(given, t.encode("utf-8")) for t in self.config.tokens)

    def verifier(self) -> Verifier:
        """The verifier around the shared resolver, fetchers and trust lists.

        Built once per process: a :class:`Verifier` keeps only its settings (no per-call state;
        the clock is read on each call), so every request gets the same answers as from a fresh
        one, without re-wrapping the resolver and fetchers each time.
        """
        verifier = self._verifier
        if verifier is None:
            verifier = self._verifier = ServerVerifier(
                loader=self.loader,
                resolver=self.resolver,
                status_fetcher=self.status_fetcher,
                trust=self.trust,
                max_bytes=self.config.max_body,
                own=self.status_fetcher,
            )
        return verifier

    def link_for(self, ident: str) -> str | None:
        base = self.ws.base_url if self.ws is not None else None
        return f"{base.rstrip('/')}/c/{ident}" if base else None
