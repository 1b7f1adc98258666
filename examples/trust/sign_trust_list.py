"""What an accrediting body does: sign its register of accredited issuers as an IssuerTrustList.

The example accreditor's key is derived from a fixed, public seed, so this example list can be
re-made by anyone: it shows the mechanism, and proves nothing. A real accreditor keeps its key
secret and publishes its DID and list on its own site; the employer runs
``credkit trust add URL --accreditor DID`` once (docs/quickstart-employer.md).

Run from the repository root:

    PYTHONPATH=src python examples/trust/sign_trust_list.py            # the ready example list
    PYTHONPATH=src python examples/trust/sign_trust_list.py --issuer DID "Lab name" --out my.json

The first writes ``examples/trust/accredited-labs.json``; ``--issuer`` (repeatable) names other
issuers instead, e.g. the lab you made with ``credkit init``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from credkit.identity.keys import KeyPair
from credkit.proofs.dataintegrity import sign

HERE = Path(__file__).parent
SEED = hashlib.sha256(b"credkit example accreditor: public seed, never for real lists").digest()
ACCREDITOR_NAME = "Example Media Accreditation Council"
EXAMPLE_ISSUERS = {
    "did:web:diplomas.example-school.edu": "Example School of Engineering",
    "did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX": "Example Training Lab",
}


def accreditor() -> KeyPair:
    return KeyPair.from_seed(SEED)


def trust_list(
    issuers: dict[str, str],
    *,
    name: str = "Accredited post-production training providers (example)",
    valid_from: str = "2026-12-01T00:00:00Z",
    valid_until: str = "2036-12-01T00:00:00Z",
) -> dict[str, Any]:
    """The signed list: a VC 2.0 credential of type IssuerTrustList (docs/verification.md)."""
    key = accreditor()
    digest = hashlib.sha256(json.dumps(sorted(issuers.items())).encode()).hexdigest()
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/undefined-terms/v2",
        ],
        "id": uuid.UUID(digest[:32], version=4).urn,
        "type": ["VerifiableCredential", "IssuerTrustList"],
        "issuer": {"id": key.controller, "name": ACCREDITOR_NAME},
        "validFrom": valid_from,
        "validUntil": valid_until,
        "credentialSubject": {
            "id": f"urn:example:trust-list:{digest[:16]}",
            "type": "IssuerTrustList",
            "name": name,
            "registry": {did: {"name": label} for did, label in issuers.items()},
        },
    }
    return sign(document, key, created=valid_from)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issuer", nargs=2, action="append", metavar=("DID", "NAME"))
    parser.add_argument("--out", type=Path, default=HERE / "accredited-labs.json")
    args = parser.parse_args()
    issuers = dict(args.issuer) if args.issuer else EXAMPLE_ISSUERS
    signed = trust_list(issuers)
    args.out.write_text(json.dumps(signed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.out.name}: signed by {accreditor().controller} ({ACCREDITOR_NAME})")


if __name__ == "__main__":
    main()
