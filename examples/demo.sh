#!/usr/bin/env bash
# The main job, end to end: make an issuer key, issue the example diploma, verify it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../.venv/bin"
out="${1:-$here/../out}"
mkdir -p "$out"
[ -f "$out/issuer.key" ] || "$bin/credkit" keys generate --out "$out/issuer.key"
"$bin/credkit" issue --key "$out/issuer.key" "$here/credential.json" --out "$out/diploma.json"
echo "signed diploma: $out/diploma.json"
"$bin/python" "$here/sign_and_verify.py"
