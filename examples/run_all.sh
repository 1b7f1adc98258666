#!/usr/bin/env bash
# Runs every example end to end in a scratch folder, so the examples (and the docs that show
# them) cannot rot. Used by CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-$here/../.venv/bin/python}"
credkit="$(dirname "$py")/credkit"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# new keys are encrypted with a passphrase (a prompt on a terminal); a demo gives it here
export CREDKIT_KEY_PASSPHRASE="${CREDKIT_KEY_PASSPHRASE:-demo passphrase, not a secret}"

# foundation: sign and verify a plain VC 2.0 credential from the command line
"$credkit" keys generate --out "$work/issuer.key" >/dev/null
"$credkit" issue --key "$work/issuer.key" "$here/credential.json" --out "$work/signed.json"
"$py" "$here/sign_and_verify.py" >/dev/null
"$py" "$here/issue_one.py" >/dev/null
"$py" "$here/qr_example.py" >/dev/null
bash "$here/server_example.sh" >/dev/null
# the README's main job
bash "$here/demo.sh" "$work/demo" >/dev/null
echo "examples: ok"
