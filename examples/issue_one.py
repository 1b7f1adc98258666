"""Build and sign one diploma for one graduate with a freshly generated key, and print it.

Run from the repository root:  PYTHONPATH=src python examples/issue_one.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from credkit.identity.keys import KeyPair
from credkit.model.diploma import issue_diploma
from credkit.model.roster import Graduate
from credkit.model.schema_check import validate_ob3, validate_profile
from credkit.model.template import load_template
from credkit.proofs import verify

HERE = Path(__file__).parent


def issue_one() -> dict[str, Any]:
    template = load_template(HERE / "postproduction" / "program.toml")
    graduate = Graduate(name="Nguyễn Thị Thu Hà", email="thuha.nguyen@example.com", grade="Merit")
    key = KeyPair.generate()  # in production: KeyPair.load("issuer.key"), a did:web key
    diploma = issue_diploma(template, graduate, key)  # eddsa-rdfc-2022 by default
    assert verify(diploma).verified
    assert validate_ob3(diploma) == [] and validate_profile(diploma) == []
    return diploma


if __name__ == "__main__":
    print(json.dumps(issue_one(), ensure_ascii=False, indent=2))
