"""The JSON a verifier reads must say what an RDF-canonicalized proof signed.

An ``eddsa-rdfc-2022`` (or ``Ed25519Signature2020``) proof signs the RDF a document expands to,
not its JSON. credkit, like most verifiers, reads the JSON: ``validUntil``, ``credentialStatus``,
a status list's ``id``, a proof's ``expires``. JSON-LD offers many spellings of one RDF statement,
so a holder can move a signed statement where a JSON reader does not look and the signature still
verifies: ``"@nest": {"validUntil": …}``, the full IRI
``"https://www.w3.org/2018/credentials#validUntil"`` as a key, ``"@id"`` for ``"id"``, or an
inline context that aliases a term (``{"vu": "…#validUntil"}``) or a keyword (``{"n": "@nest"}``).
An expired or revoked diploma would then read as valid.

VC Data Model 2.0 §4.1 says a conforming document is *compacted* JSON-LD under its contexts, and
§7.1 turns a proof that verifies over a non-conforming document into ``MALFORMED_VALUE_ERROR``;
VC Data Integrity 1.0 §4.6/§5.14 asks verifiers to make sure the contexts give the document the
meaning the application expects. This module is that check, kept syntactic so it costs nothing on
a clean document: property names are terms (or IRIs outside the vocabularies the shipped contexts
define), keywords appear only in value objects, and inline contexts alias neither a keyword nor a
term of those vocabularies.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from credkit.jsonld import contexts

# Keywords that may appear as keys outside @context: those of a value object (JSON-LD 1.1 §9.5).
_VALUE_KEYWORDS = {"@value", "@language", "@direction", "@type"}
# Terms of the shipped contexts whose values are JSON literals (``@type: @json``): not JSON-LD.
_JSON_LITERAL_TERMS = {"jsonSchema", "_sd", "jwk", "publicKeyJwk", "secretKeyJwk"}
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _namespace(iri: str) -> str | None:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > iri.find("://") + 2 and "://" in iri else None


@cache
def vocabularies() -> tuple[frozenset[str], dict[str, str]]:
    """Namespaces of every term the shipped contexts define, and their prefixes (``cred:``…)."""
    namespaces = {_RDF}
    prefixes: dict[str, str] = {}
    found: list[str] = []

    def walk(ctx: Any) -> None:
        for item in ctx if isinstance(ctx, list) else [ctx]:
            if not isinstance(item, dict):
                continue
            for term, definition in item.items():
                if term == "@vocab" and isinstance(definition, str):
                    found.append(definition)
                if term.startswith("@"):
                    continue
                if isinstance(definition, str):
                    found.append(definition)
                    if definition[-1:] in "#/":
                        prefixes[term] = definition
                elif isinstance(definition, dict):
                    for key in ("@id", "@reverse"):
                        if isinstance(definition.get(key), str):
                            found.append(definition[key])
                    walk(definition.get("@context"))

    for url in contexts.shipped():
        document = contexts.get(url)
        walk(document.get("@context") if isinstance(document, dict) else None)
    for iri in found:
        head, sep, rest = iri.partition(":")
        full = prefixes[head] + rest if sep and head in prefixes else iri
        ns = _namespace(full)
        if ns is not None:
            namespaces.add(ns)
    return frozenset(namespaces), prefixes


@cache
def shipped_terms() -> frozenset[str]:
    """Every term (and prefix) name some shipped context defines, at any depth."""
    names: set[str] = set()
    stack: list[Any] = [contexts.get(url) for url in contexts.shipped()]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "@context" or isinstance(value, dict):
                    stack.append(value)
                if not key.startswith("@"):
                    names.add(key)
    return frozenset(names)


def _vocabulary_iri(value: str) -> bool:
    """Whether ``value`` names (or is a prefix of) a term IRI of the shipped vocabularies."""
    namespaces, prefixes = vocabularies()
    head, sep, rest = value.partition(":")
    full = prefixes[head] + rest if sep and head in prefixes else value
    return any(full.startswith(ns) or (len(full) > 0 and ns.startswith(full)) for ns in namespaces)


def _inline_problems(ctx: Any, path: str, problems: list[str]) -> None:
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if not isinstance(item, dict):
            continue
        for term, definition in item.items():
            if term in ("@vocab", "@base") and isinstance(definition, str):
                if definition.startswith("@") or _vocabulary_iri(definition):
                    problems.append(f"{path}: inline context sets {term} to {definition!r}")
                continue
            if term.startswith("@"):
                continue
            if ":" in term and _vocabulary_iri(term):
                problems.append(f"{path}: inline context defines the IRI {term!r} as a term")
            targets: list[Any] = []
            if isinstance(definition, str):
                targets.append(definition)
            elif isinstance(definition, dict):
                if "@reverse" in definition:
                    problems.append(f"{path}: inline context defines a reverse property {term!r}")
                targets.append(definition.get("@id"))
                _inline_problems(definition.get("@context"), f"{path}.{term}", problems)
            for target in targets:
                if not isinstance(target, str):
                    continue
                if target.startswith("@"):
                    problems.append(f"{path}: inline context makes {term!r} an alias of {target}")
                elif _vocabulary_iri(target):
                    problems.append(
                        f"{path}: inline context makes {term!r} another name for {target}"
                    )
                elif term in shipped_terms():
                    # a word the shipped contexts define, moved into another vocabulary: under
                    # eddsa-jcs-2022 an appended context could change a signed word's meaning
                    problems.append(
                        f"{path}: inline context maps {term!r}, a term of the standard contexts, "
                        f"into another vocabulary ({target})"
                    )


def _render(path: Any) -> str:
    """The ``$.a[0].b`` text of a path kept as nested ``(parent, key)`` pairs."""
    parts: list[str] = []
    while type(path) is tuple:
        path, key = path
        parts.append(f"[{key}]" if type(key) is int else f".{key}")
    parts.append(path)
    return "".join(reversed(parts))


def json_view_problems(document: Any) -> list[str]:
    """Where ``document``'s JSON could hide or rename a statement its RDF carries (see above)."""
    # Paths are kept as (parent, key) pairs and rendered only for a problem: a clean document
    # (the common case) builds no path text. Same walk, same order, same messages as before.
    problems: list[str] = []
    top = document.get("id") if isinstance(document, dict) else None
    stack: list[tuple[Any, Any]] = [(document, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((v, (path, i)))
                elif v is None:
                    problems.append(f"{_render((path, i))}: null states nothing the proof covers")
            continue
        if not isinstance(node, dict):
            continue
        is_value = "@value" in node
        if (
            top is not None
            and path != "$"
            and node.get("id") == top
            and any(k != "id" for k in node)
        ):
            # JSON-LD merges every node object with one id into one node: statements about the
            # document itself written here would be signed, yet unseen by a reader of the top
            # level (a validUntil or credentialStatus moved out of sight).
            problems.append(
                f"{_render(path)}: describes the document itself ({top}) away from its top level"
            )
        for key, value in node.items():
            if key == "@context":
                _inline_problems(value, _render((path, key)), problems)
                continue
            if key.startswith("@"):
                if not (is_value and key in _VALUE_KEYWORDS):
                    where = _render((path, key))
                    problems.append(f"{where}: the keyword {key} is not allowed here")
                elif value is None:  # {"@value": null}: dropped by expansion, like any null
                    problems.append(f"{_render((path, key))}: null states nothing the proof covers")
                continue
            if ":" in key and _vocabulary_iri(key):
                where = _render((path, key))
                problems.append(f"{where}: a property must be named by its term, not by an IRI")
            if key in _JSON_LITERAL_TERMS:
                continue
            if value is None or (type(value) is list and not value):
                # JSON-LD expansion drops nulls and empty arrays (JSON-LD 1.1 API §13.1.3 step
                # 13.4.x / 13.7), so no proof over the RDF covers them; and compacted form (VC DM
                # 2.0 §4.1) never holds a null. Read as data they would be unsigned claims: a
                # trust list's registry gaining "did:key:<attacker>": null, say.
                what = "null" if value is None else "an empty array"
                problems.append(f"{_render((path, key))}: {what} states nothing the proof covers")
                continue
            if isinstance(value, (dict, list)):  # nothing else is looked at when popped
                stack.append((value, (path, key)))
    return problems


__all__ = ["json_view_problems", "shipped_terms", "vocabularies"]
