#!/usr/bin/env bash
# The web face end to end on 127.0.0.1: start `credkit serve`, issue a diploma over the VC-API,
# verify it, host it behind its QR link, revoke it, see the verification fail, build the static
# site. Needs the server extra and curl. Usage: examples/server_example.sh [PORT]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-$here/../.venv/bin/python}"
web() { "$(dirname "$py")/credkit" "$@"; }
# a free port unless one is given: never talk to some other server left on a fixed port
port="${1:-$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT
# new keys are encrypted with a passphrase (a prompt on a terminal); a demo gives it here
export CREDKIT_KEY_PASSPHRASE="${CREDKIT_KEY_PASSPHRASE:-demo passphrase, not a secret}"

"$(dirname "$py")/credkit" init "$work/lab" --name "Reelbridge Post Lab" --base-url "$base" >/dev/null
"$py" -c 'import secrets; print(secrets.token_urlsafe(32))' > "$work/token"
token="$(cat "$work/token")"

"$(dirname "$py")/credkit" serve --issuer-dir "$work/lab" --token-file "$work/token" --port "$port" \
    --log-level warning 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

echo "== issue (bearer token)"
cat > "$work/request.json" <<'JSON'
{"credential": {
  "@context": ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
  "type": ["VerifiableCredential", "OpenBadgeCredential"],
  "validFrom": "2026-06-30T00:00:00Z",
  "name": "Diploma in Film Post-production",
  "credentialSubject": {
    "id": "did:example:ananya", "type": ["AchievementSubject"], "name": "अनन्या शर्मा",
    "achievement": {"id": "https://reelbridge.example/a/post", "type": ["Achievement"],
      "achievementType": "Diploma", "name": "Film Post-production",
      "description": "One year of editing, colour and sound.",
      "criteria": {"narrative": "Passed every module and the graduation film."}}}},
 "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}}
JSON
curl -fsS -X POST "$base/credentials/issue" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data @"$work/request.json" \
    | "$py" -c 'import json,sys; json.dump(json.load(sys.stdin)["verifiableCredential"], sys.stdout)' \
    > "$work/diploma.json"
id="$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/diploma.json")"
echo "issued $id"

echo "== without the token, issuing is refused"
curl -s -o /dev/null -w '%{http_code}\n' -X POST "$base/credentials/issue" \
    -H 'Content-Type: application/json' --data @"$work/request.json"

echo "== verify (open to anyone)"
"$py" -c 'import json,sys; print(json.dumps({"verifiableCredential": json.load(open(sys.argv[1]))}))' \
    "$work/diploma.json" > "$work/verify.json"
curl -s -w '  HTTP %{http_code}\n' -X POST "$base/credentials/verify" \
    -H 'Content-Type: application/json' --data @"$work/verify.json" | cut -c1-160

echo "== host it behind its QR link"
link="$(web host add "$work/diploma.json" --issuer-dir "$work/lab" | awk '{print $2}')"
echo "$link"
curl -fsS -H 'Accept: application/vc' "$link" -o /dev/null -w 'JSON %{http_code} %{content_type}\n'
curl -fsS -H 'Accept: text/html' "$link" -o /dev/null -w 'page %{http_code} %{content_type}\n'

echo "== revoke, then verify again"
curl -fsS -X POST "$base/credentials/status" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    --data "{\"credentialId\": \"$id\", \"credentialStatus\": [{\"type\": \"BitstringStatusListEntry\", \"status\": \"revoked\"}]}"
echo
curl -s -w '  HTTP %{http_code}\n' -X POST "$base/credentials/verify" \
    -H 'Content-Type: application/json' --data @"$work/verify.json" | grep -o '"summary":"[^"]*"'

echo "== the same material as a static site"
web site build --out "$work/site" --issuer-dir "$work/lab"
(cd "$work/site" && find . -type f | sort)
echo "server example: ok"
