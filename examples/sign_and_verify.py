"""Sign a credential with a fresh key, verify it, then show that an edit breaks it."""

from __future__ import annotations

import json
from pathlib import Path

from credkit import KeyPair, sign, verify

credential = json.loads((Path(__file__).parent / "credential.json").read_text(encoding="utf-8"))
key = KeyPair.generate()  # or KeyPair.load("issuer.key")
credential["issuer"] = {"id": key.controller, "type": ["Profile"], "name": "Reelbridge Post Lab"}

for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
    signed = sign(credential, key, cryptosuite=suite)
    assert verify(signed).verified
    signed["credentialSubject"]["name"] = "Someone Else"
    result = verify(signed)
    assert not result.verified
    print(f"{suite}: verified; after an edit: {result.errors[0].code}")
