"""``eddsa-jcs-2022`` (VC DI EdDSA 1.0 §3.3): RFC 8785 JSON canonicalization, Ed25519.

The signature covers the JSON bytes, not RDF; the proof carries the document's ``@context`` so a
verifier can tell which contexts were signed (§3.3.1 step 2), and a document may carry more
contexts after those (§3.3.2 step 4: its ``@context`` must *start with* the proof's, which is then
what is hashed). The JSON-LD meaning of those bytes still comes from the contexts, so they are
checked as VC DI 1.0 §2.4.1/§4.6 ("context validation") asks, with the rule the RDF suites apply to
inline contexts (credkit.jsonld.jsonview), before a JCS proof counts as verified and before one is
made:

1. every context must process as JSON-LD: a context redefining a protected term (JSON-LD 1.1
   §4.1.11) or defining a term badly never verifies, whether signed or appended;
2. an inline context (signed or appended, anywhere in the document) may not alias a keyword,
   point a term, ``@vocab`` or ``@base`` into the vocabularies credkit's shipped contexts define,
   or define a reverse property;
3. contexts appended after the signed ones may add meaning, never change it: every term the
   signed contexts define keeps its definition, ``@vocab``, ``@base``, ``@language`` and
   ``@direction`` stay as signed (a default language changes every string), and no property
   name or type the document uses gains a definition it did not have when signed (the issuer
   signed those words with no meaning, or another one). A new term the document does not
   use is harmless and allowed; so is appending a shipped context that repeats what the signed
   ones define.

The reference (@digitalbazaar/eddsa-jcs-2022-cryptosuite 1.0) does none of this: it verifies any
appended context, even one redefining ``name``; and it compares the signed contexts by JavaScript
identity, so it rejects every document whose *signed* ``@context`` holds an inline object, even a
harmless one (tests/test_jcs_contexts.py records both).
"""

from __future__ import annotations

import threading
from typing import Any

import rfc8785

from credkit.errors import MalformedValueError, ProofGenerationError, ProofVerificationError
from credkit.identity.keys import PublicKey
from credkit.identity.signer import Signer
from credkit.jsonld import contexts, fastld
from credkit.jsonld.contexts import DocumentLoader, context_sites
from credkit.jsonld.jsonview import _inline_problems
from credkit.proofs.suites import fastjcs
from credkit.proofs.suites.base import Cryptosuite

# The verdict of processing a list of shipped context URLs (immutable, hash-pinned): None if fine.
_URL_LISTS: dict[tuple[str, ...], str | None] = {}
_MAX_URL_LISTS = 1024
# How many "@context" keys the last JCS transform in this thread wrote: a nested context costs a
# bytes.count to see there, instead of a walk of the document on every proof.
_last = threading.local()
_CONTEXT_KEY = b'"@context":'  # RFC 8785 writes a key so; inside a string the quote is escaped


def jcs(value: Any) -> bytes:
    try:
        data: bytes = fastjcs.dumps(value)  # rfc8785 output, via json's C encoder when exact
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        # e.g. integers beyond I-JSON's 2^53 or NaN: JCS cannot represent them exactly
        raise MalformedValueError(f"cannot canonicalize as RFC 8785 JSON: {exc}") from None
    return data


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _describe(exc: BaseException) -> str:
    """pyld's message (its JsonLdError keeps it in ``args[0]``), with its error code if any."""
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    text = first.strip().splitlines()[0] if first.strip() else type(exc).__name__
    details = getattr(exc, "details", None)
    code = details.get("code") if isinstance(details, dict) else None
    return f"{text} ({code})" if code and code not in text else text


def _process(context: list[Any], loader: DocumentLoader) -> Any:
    """pyld's active context after ``context`` (a list, as a document's ``@context``)."""
    processor = fastld.processor()
    options = {"documentLoader": loader, "base": None, "processingMode": "json-ld-1.1"}
    initial = processor._get_initial_context(options)
    return processor.process_context(initial, context, options)


def _processing_problem(context: list[Any], loader: DocumentLoader) -> tuple[Any, str | None]:
    """(active context, None), or (None, why JSON-LD context processing refused ``context``)."""
    try:
        return _process(context, loader), None
    except RecursionError:
        return None, "its @context is nested too deeply to process"
    except Exception as exc:  # pyld JsonLdError (protected term redefinition, ...), ContextError
        return None, f"its @context does not process as JSON-LD: {_describe(exc)}"


def _has_nested_context(document: dict[str, Any]) -> bool:
    """Whether any object below the top level has ``@context`` (containers only are walked:
    this runs on every JCS proof)."""
    stack = [v for k, v in document.items() if k != "@context" and type(v) in (dict, list)]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if "@context" in node:
                return True
            stack.extend(v for v in node.values() if type(v) is dict or type(v) is list)
        else:
            stack.extend(v for v in node if type(v) is dict or type(v) is list)
    return False


def _nested_contexts(document: dict[str, Any]) -> list[tuple[Any, str]]:
    """Every ``@context`` below the top level, with its path."""
    return [(value, f"{path}.@context") for value, path in context_sites(document) if path != "$"]


def _used_words(document: dict[str, Any]) -> set[str]:
    """Property names and ``type``/``@type`` strings anywhere in the document."""
    words: set[str] = set()
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    continue
                words.add(key)
                if key in ("type", "@type"):
                    words.update(t for t in _as_list(value) if isinstance(t, str))
                stack.append(value)
    return words


def _definition(active: Any, term: str) -> Any:
    found = active["mappings"].get(term)
    if isinstance(found, dict):
        return {k: v for k, v in found.items() if k != "protected"}
    return found


def _appended_problems(
    document: dict[str, Any], signed_ctx: Any, full_ctx: Any, problems: list[str]
) -> None:
    """Rule 3 of the module doc: appended contexts add meaning, never change it."""
    for key in ("@vocab", "@base", "@language", "@direction"):
        if signed_ctx.get(key) != full_ctx.get(key):
            problems.append(f"an appended context sets {key} to {full_ctx.get(key)!r}")
    for term in signed_ctx["mappings"]:
        if _definition(signed_ctx, term) != _definition(full_ctx, term):
            problems.append(f"an appended context changes what {term!r} means")
    for word in sorted(_used_words(document)):
        if word not in signed_ctx["mappings"] and word in full_ctx["mappings"]:
            problems.append(
                f"an appended context defines {word!r}, which the document uses and the signed "
                "contexts do not define"
            )


def context_problems(
    document: dict[str, Any],
    signed: list[Any] | None,
    loader: DocumentLoader,
    nested: bool | None = None,
) -> list[str]:
    """Why ``document``'s contexts could give its signed JSON another meaning (module doc).

    ``signed`` is the proof's ``@context`` (None when signing: all of the document's is signed);
    ``nested`` whether an object below the top level may hold ``@context`` (None: look). A
    document with only shipped context URLs, all signed, costs a dictionary lookup.
    """
    problems: list[str] = []
    if "@context" not in document:
        return problems
    current = _as_list(document["@context"])
    signed_list = current if signed is None else signed
    appended = current[len(signed_list) :]
    if nested is None:
        nested = _has_nested_context(document)
    inline = [c for c in current if not isinstance(c, str)]
    if not (appended or nested or inline):
        key = tuple(current)
        if key in _URL_LISTS:
            verdict = _URL_LISTS[key]
        elif all(isinstance(u, str) and loader.known(u) for u in current):
            _, verdict = _processing_problem(current, loader)
            if all(u in contexts.shipped() for u in current):  # immutable: keep the verdict
                if len(_URL_LISTS) >= _MAX_URL_LISTS:
                    _URL_LISTS.clear()
                _URL_LISTS[key] = verdict
        else:
            verdict = None  # an unknown URL: the Verifier refuses it as unusable input
        return [verdict] if verdict else problems
    _inline_problems(current, "$.@context", problems)
    for value, path in _nested_contexts(document) if nested else ():
        _inline_problems(value, path, problems)
    full_ctx, problem = _processing_problem(current, loader)
    if problem:
        problems.append(problem)
    if nested and not problem:
        try:  # scoped and embedded contexts are processed where they apply
            fastld.processor().expand(document, {"documentLoader": loader, "base": None})
        except RecursionError:
            problems.append("the document is nested too deeply to process")
        except Exception as exc:
            problems.append(f"an embedded @context does not process as JSON-LD: {_describe(exc)}")
    if appended and full_ctx is not None:
        signed_ctx, problem = _processing_problem(signed_list, loader)
        if problem:
            problems.append(problem)
        else:
            _appended_problems(document, signed_ctx, full_ctx, problems)
    return problems


def _refusal(problems: list[str]) -> str:
    shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    return f"the contexts could change what the signed JSON means: {shown}"


class EddsaJcs2022(Cryptosuite):
    name = "eddsa-jcs-2022"
    proof_type = "DataIntegrityProof"
    cryptosuite: str | None = "eddsa-jcs-2022"

    def transform(self, unsecured: dict[str, Any], loader: DocumentLoader) -> bytes:
        data = jcs(unsecured)
        _last.context_keys = data.count(_CONTEXT_KEY)
        return data

    @staticmethod
    def _nested_seen(document: dict[str, Any]) -> bool | None:
        """From the transform just run (same thread): a ``@context`` key beyond the top one."""
        keys: int | None = getattr(_last, "context_keys", None)
        _last.context_keys = None
        return None if keys is None else keys > ("@context" in document)

    def prepare_options(self, options: dict[str, Any], unsecured: dict[str, Any]) -> dict[str, Any]:
        # §3.3.1 step 2: if the document has @context, the proof gets the same @context
        if "@context" in unsecured:
            options["@context"] = unsecured["@context"]
        return options

    def prepare_verification(
        self, unsecured: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        # §3.3.2 step 4: the document's @context must start with the proof's, in order;
        # then the proof's @context is what was signed.
        if "@context" not in options:
            return unsecured
        signed = options["@context"]
        signed_list = signed if isinstance(signed, list) else [signed]
        current = unsecured.get("@context")
        current_list = current if isinstance(current, list) else [current]
        if current_list[: len(signed_list)] != signed_list:
            raise ProofVerificationError(
                "the document's @context does not start with the @context the proof signed"
            )
        return {**unsecured, "@context": signed}

    def configure(
        self, proof: dict[str, Any], unsecured: dict[str, Any], loader: DocumentLoader
    ) -> bytes:
        # §3.3.5 Proof Configuration: JCS of the options (with @context when the doc has one)
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        if "@context" in unsecured:
            config["@context"] = unsecured["@context"]
        return jcs(config)

    def create(
        self,
        unsecured: dict[str, Any],
        options: dict[str, Any],
        key: Signer,
        loader: DocumentLoader,
    ) -> dict[str, Any]:
        _last.context_keys = None
        proof = super().create(unsecured, options, key, loader)
        problems = context_problems(unsecured, None, loader, self._nested_seen(unsecured))
        if problems:  # refused before anything signed leaves this method
            raise ProofGenerationError(_refusal(problems))
        return proof

    def verify(
        self,
        unsecured: dict[str, Any],
        proof: dict[str, Any],
        public_key: PublicKey,
        loader: DocumentLoader,
    ) -> None:
        # the signature first (it names a tampered document as such); then the contexts the
        # document carries now, appended ones included (the signed JSON is unchanged by them)
        _last.context_keys = None
        super().verify(unsecured, proof, public_key, loader)
        # a proof without @context signed the document's @context whole (§3.3.2 step 4 skipped)
        signed = proof.get("@context")
        problems = context_problems(
            unsecured,
            None if signed is None else _as_list(signed),
            loader,
            self._nested_seen(unsecured),
        )
        if problems:
            raise MalformedValueError(_refusal(problems))
