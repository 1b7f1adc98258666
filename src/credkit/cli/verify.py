"""``credkit verify``: the employer's command. A thin shell over :class:`credkit.verify.Verifier`.

Exit codes are the verdict (docs/verification.md): 0 verified, 1 not verified, 2 unusable input,
3 inconclusive (something that could change the answer was not checked; the output says what to
pass to finish). Offline by default: nothing is fetched unless ``--allow-network`` is given.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from credkit.errors import CredkitError, NetworkDisabledError, ParsingError
from credkit.fetch import FetchError, HttpFetcher, NoNetwork
from credkit.identity.did import Resolver
from credkit.proofs.dataintegrity import parse_datetime
from credkit.verify.result import (
    FAILED,
    PASSED,
    SKIPPED,
    VerificationResult,
    unusable_result,
)
from credkit.verify.trust import TrustListError, TrustRegistry, load_registry
from credkit.verify.verifier import MAX_BYTES, Verifier

if TYPE_CHECKING:
    from credkit.share.qr_payload import LinkPayload

SYMBOLS = {PASSED: "✔", FAILED: "✘", SKIPPED: "–", "warning": "!"}
ASCII = {PASSED: "ok", FAILED: "FAIL", SKIPPED: "-", "warning": "!"}


def _read(source: str, max_bytes: int) -> bytes:
    """The file (or stdin for ``-``), reading at most one byte past the limit."""
    try:
        if source == "-":
            return sys.stdin.buffer.read(max_bytes + 1)
        with open(source, "rb") as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        # the file's name, not its path: a result may be passed on (--json), folders stay private
        why = exc.strerror or type(exc).__name__
        raise ParsingError(f"cannot read {Path(source).name}: {why}") from None


def _symbols() -> dict[str, str]:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✔✘–".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return SYMBOLS


# Bidi overrides and isolates reorder what the terminal shows (Trojan Source, CVE-2021-42574)
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SURROGATE = re.compile("[\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    """``text`` with every character that could drive the terminal shown as an escape.

    Names on a diploma are the holder's to choose, and the header is printed even when the proof
    fails: an ESC sequence could clear the screen, hide the failed checks (SGR 8, conceal) and draw
    a fake "verified"; a newline or carriage return could forge a check line; a lone surrogate
    (legal in JSON text, not in UTF-8) would crash the output. Control characters, bidi controls
    and surrogates become ``\\x1b``-style escapes; all other text is kept.
    """
    return "".join(
        c.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI
        else c
        for c in text
    )


def json_safe(text: str) -> str:
    """JSON text with lone surrogates written as ``\\uXXXX`` escapes (valid JSON, encodable)."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def whose(result: VerificationResult) -> list[str]:
    """Whose diploma it is, as the diploma states it: graduate, achievement, issuer, dates.

    An employer reads these before the checks; the issuer line says who vouches for the name
    (the trust list's name for the issuer) or that nobody does. Nothing here is a verdict.
    """
    if result.unusable is not None or (result.issuer_id is None and not result.subject_name):
        return []
    rows: list[tuple[str, str]] = []
    if result.subject_name:
        rows.append(("graduate", result.subject_name))
    about = result.achievement_name or result.credential_name
    if about:
        rows.append(("achievement", about))
    if result.issuer_vouched and result.issuer_list:
        issuer = f"{result.issuer_label}, as named in trust list '{result.issuer_list}'"
        if result.issuer_vouched_by:
            issuer += f", signed by {result.issuer_vouched_by}"
    else:
        issuer = f"{result.issuer_label}, not named by any trust list you use"
    rows.append(("issuer", issuer))
    if result.valid_from or result.valid_until:
        since = f"valid from {result.valid_from}" if result.valid_from else "no start date"
        until = f"until {result.valid_until}" if result.valid_until else "does not expire"
        rows.append(("dates", f"{since}, {until}"))
    return [f"  {label + ':':<13}{value}" for label, value in rows]


def render(result: VerificationResult, *, indent: str = "") -> list[str]:
    """The checklist: one line per check, credentials of a presentation nested, verdict last."""
    marks = _symbols()
    width = max((len(c.id) for c in result.checks), default=10)
    lines: list[str] = []
    if not indent:
        about = result.achievement_name or result.credential_name
        if about:
            lines.append(f"{about} — issued by {result.issuer_label}")
        lines.extend(whose(result))
    for check in result.checks:
        lines.append(f"{indent}{marks[check.status]} {check.id.ljust(width)}  {check.message}")
    for number, inner in enumerate(result.credentials):
        lines.append(f"{indent}  credential[{number}]:")
        lines.extend(render(inner, indent=indent + "    ")[:-1])
    if not indent:
        # what the checks alone do not say (no trust list, an unsigned list with --trust-anchor)
        lines.extend(f"{marks['warning']} {w}" for w in result.warnings)
        # notes a passed check carries (a proof set's exact copy, an unsigned chain link)
        lines.extend(
            f"{marks['warning']} {c.id}: {note}" for c in result.checks for note in c.warnings
        )
    lines.append(f"{indent}{result.summary}")
    return lines


def build_verifier(
    *,
    trust: tuple[str, ...],
    anchors: tuple[str, ...],
    at: datetime | None,
    allow_network: bool,
    status_dir: str | None,
    strict: bool,
    max_bytes: int,
    allow_private_network: bool = False,
    saved_trust: bool = False,
    require_holder_binding: bool = False,
) -> Verifier:
    """The CLI's verifier; ``saved_trust`` adds the lists of ``credkit trust add`` after --trust."""
    from credkit import status as bsl

    private = allow_private_network
    resolver = Resolver(
        fetcher=HttpFetcher(
            what="DID document", max_bytes=256 * 1024, allow_private_network=private
        )
        if allow_network
        else NoNetwork()
    )
    status_fetcher: Callable[[str], dict[str, Any]] | None = None
    if status_dir:
        status_fetcher = bsl.DirectoryFetcher(status_dir)
    elif allow_network:
        status_fetcher = bsl.CachingFetcher(bsl.HttpFetcher(allow_private_network=private))
    registry: TrustRegistry | None = load_registry(trust, anchors=anchors) if trust else None
    if saved_trust:
        from credkit.verify.truststore import TrustStore

        saved = TrustStore().trust_lists()  # each bound to the accreditor it was added for
        if saved:
            registry = registry or TrustRegistry(anchors=anchors)
            registry.lists.extend(saved)
    return Verifier(
        resolver=resolver,
        clock=(lambda: at) if at is not None else None,
        status_fetcher=status_fetcher,
        trust=registry,
        strict=strict,
        max_bytes=max_bytes,
        # --at moves the diploma's time only: status and trust lists say what holds now, and a
        # list published after --at is still evidence (Bitstring Status List 1.0 §2.2, §3.2)
        list_clock=(lambda: datetime.now(UTC)) if at is not None else None,
        require_holder_binding=require_holder_binding,
    )


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date-time like 2026-11-23T12:00:00Z", param_hint="--at"
        ) from None


@click.command("verify")
@click.argument("source", metavar="FILE|-", required=False)
@click.option(
    "--qr",
    "qr_image",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the diploma from a QR code image (PNG or SVG) instead of a file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option(
    "--trust",
    multiple=True,
    metavar="LIST",
    help="Trust list file (repeatable, most "
    "authoritative first): plain DIDs, DCC registry JSON, or a signed IssuerTrustList.",
)
@click.option(
    "--trust-anchor",
    "anchors",
    multiple=True,
    metavar="DID",
    help="Accrediting body whose signed trust lists you accept (repeatable).",
)
@click.option(
    "--at",
    "at",
    metavar="DATETIME",
    help="Judge the diploma's dates at this time instead of now (status and trust lists still "
    "have to be current now).",
)
@click.option("--allow-network", is_flag=True, help="Fetch did:web documents and status lists.")
@click.option(
    "--allow-private-network",
    is_flag=True,
    help="With --allow-network: also fetch from loopback, private and link-local addresses "
    "(refused by default; see docs/security.md).",
)
@click.option(
    "--status-dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Read status lists from this folder (laid out by URL path).",
)
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="With --qr: read a link QR's diploma from this copy of the issuer's site (credkit site "
    "build), not the network; also its status lists unless --status-dir is given.",
)
@click.option(
    "--no-saved-trust",
    is_flag=True,
    help="Ignore the trust lists saved with `credkit trust add` (use only --trust).",
)
@click.option("--strict", is_flag=True, help="Treat anything not checkable as a failure.")
@click.option("--challenge", metavar="C", help="Presentation: the challenge you asked for.")
@click.option("--domain", metavar="D", help="Presentation: the domain you asked for.")
@click.option(
    "--require-holder-binding",
    is_flag=True,
    help="Presentation: fail unless the holder is the subject (credentialSubject.id) of every "
    "credential that names one (otherwise a mismatch is a warning).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=MAX_BYTES,
    show_default=True,
    help="Refuse input larger than this.",
)
def verify(
    source: str | None,
    qr_image: str | None,
    as_json: bool,
    trust: tuple[str, ...],
    anchors: tuple[str, ...],
    at: str | None,
    allow_network: bool,
    allow_private_network: bool,
    status_dir: str | None,
    site_dir: str | None,
    no_saved_trust: bool,
    strict: bool,
    challenge: str | None,
    domain: str | None,
    require_holder_binding: bool,
    max_bytes: int,
) -> None:
    """Verify a diploma (or a presentation holding diplomas) and say whether to trust it.

    Exit status: 0 verified, 1 not verified, 2 unusable input, 3 inconclusive.
    """
    when = _when(at)
    try:
        verifier = build_verifier(
            trust=trust,
            anchors=anchors,
            at=when,
            allow_network=allow_network,
            status_dir=status_dir or site_dir,
            strict=strict,
            max_bytes=max_bytes,
            allow_private_network=allow_private_network,
            saved_trust=not no_saved_trust,
            require_holder_binding=require_holder_binding,
        )
        if (source is None) == (qr_image is None):
            raise ParsingError("give a diploma file (or - for stdin), or --qr IMAGE")
        if qr_image is not None:
            data = _from_qr(qr_image, allow_network, max_bytes, allow_private_network, site_dir)
        else:
            data = _read(source or "-", max_bytes)
        result = _verify(verifier, data, challenge, domain)
    except (TrustListError, CredkitError) as exc:
        result = unusable_result(exc)
    except FetchError as exc:
        result = unusable_result(ParsingError(str(exc)))
    if result.verdict == "unusable":
        _explain(result, qr_image or source)
    if as_json:
        click.echo(json_safe(json.dumps(result.to_json(), indent=2, ensure_ascii=False)))
    elif result.verdict == "unusable":
        detail = (result.unusable or {}).get("detail", result.summary)
        click.echo(terminal_safe(f"credkit: error: {detail}"), err=True)
    else:
        for line in render(result):
            click.echo(terminal_safe(line))
    sys.exit(result.exit_code)


# How to fix unusable input, by the error's code (the rest: ask for the file as issued)
_FIXES = {
    "QR_ERROR": "give a PNG or SVG image of the diploma's QR code, or the diploma file",
    "TRUST_LIST_ERROR": "fix the --trust file, or check `credkit trust list`",
}
_ASK = "give the diploma file exactly as the issuer sent it (JSON with a proof)"


def _explain(result: VerificationResult, source: str | None) -> None:
    """Unusable input as ``<what> (<input>): <how to fix>``, the same text in ``--json``."""
    from credkit.cli.common import error_text

    problem = result.unusable if result.unusable is not None else {}
    what = str(problem.get("detail") or "nothing to verify")
    if "(pass --" in what or "; pass --" in what:
        fix = None  # the message already says what to pass
    else:
        fix = _FIXES.get(str(problem.get("title")), _ASK)
    where = "stdin" if source in (None, "-") else Path(str(source)).name
    text = error_text(what, where, fix)
    problem["detail"] = text
    result.unusable = problem
    for check in result.checks:
        if check.id == "well_formed":
            check.message = text


def _from_qr(
    image: str,
    allow_network: bool,
    max_bytes: int,
    allow_private_network: bool = False,
    site_dir: str | None = None,
) -> bytes:
    """The credential a QR code carries, or fetches from its link (only with --allow-network).

    A link's last segment is a content address of the signed credential (docs/qr.md), so what the
    server returns must be exactly the credential the QR code was made for.
    """
    from credkit.share.qr import EmbeddedPayload, read_payload

    payload = read_payload(image)
    if isinstance(payload, EmbeddedPayload):
        return json.dumps(payload.credential, ensure_ascii=False).encode("utf-8")
    if site_dir is not None:
        # `credkit site build` writes each hosted diploma at c/<link id>.json; the content address
        # below still decides whether the file is the one the QR code was made for
        local = Path(site_dir) / "c" / f"{payload.link_id}.json"
        if not local.is_file():
            raise ParsingError(
                f"the QR code's link ({payload.url}) is not in --site-dir: "
                f"expected c/{payload.link_id}.json there (credkit host add, then site build)"
            )
        body = local.read_bytes()[: max_bytes + 1]
        if len(body) > max_bytes:
            raise ParsingError(f"c/{payload.link_id}.json is larger than {max_bytes} bytes")
        return _matching(payload, body)
    if not allow_network:
        raise NetworkDisabledError(
            f"the QR code holds a link ({payload.url}); pass --allow-network to fetch the "
            "diploma from it"
        )
    fetch = HttpFetcher(
        max_bytes=max_bytes, what="credential", allow_private_network=allow_private_network
    )
    body = fetch(payload.url)
    if body.lstrip()[:1] != b"{":
        # a static host (`credkit site build`) answers the link with the diploma's HTML page and
        # keeps the credential beside it at <link>.json; the content address still decides
        body = fetch(payload.url.rstrip("/") + ".json")
    return _matching(payload, body)


def _matching(payload: LinkPayload, body: bytes) -> bytes:
    """``body`` when it is the credential the link was made for (content address), else refuse."""
    try:
        credential = json.loads(body)
    except ValueError:
        raise ParsingError(f"{payload.url} did not return a JSON credential") from None
    if not isinstance(credential, dict) or not payload.matches(credential):
        raise ParsingError(
            f"{payload.url} returned a different document than the one this QR code was made for"
        )
    return body


def _verify(
    verifier: Verifier, data: bytes, challenge: str | None, domain: str | None
) -> VerificationResult:
    """A presentation when its type says so (VC DM 2.0 §6.2 media type precision), else a VC."""
    try:
        peek = json.loads(data) if len(data) <= verifier.max_bytes else None
    except (ValueError, RecursionError):
        peek = None
    types = peek.get("type") if isinstance(peek, dict) else None
    types = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" in types:
        return verifier.verify_presentation(data, challenge=challenge, domain=domain)
    return verifier.verify_credential(data)


if __name__ == "__main__":  # python -m credkit.cli.verify
    verify()
