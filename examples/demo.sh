#!/usr/bin/env bash
# The main job, end to end, as the post-production lab and an employer would do it:
# an issuer workspace, a sponsor's endorsement, the whole cohort issued, status lists published,
# one diploma verified against a trust list, its QR code written, read back and the diploma it links to verified,
# and its printable page rendered. Everything lands in ./out (or the folder given).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../.venv/bin"
credkit() { "$bin/credkit" "$@"; }
out="${1:-$here/../out}"
rm -rf "$out" && mkdir -p "$out"
# new keys are encrypted with a passphrase (a prompt on a terminal); a demo gives it here
export CREDKIT_KEY_PASSPHRASE="${CREDKIT_KEY_PASSPHRASE:-demo passphrase, not a secret}"

echo "== the lab creates its issuer workspace"
credkit init "$out/lab" --name "Reelbridge Post Lab" --url https://reelbridge.example \
    --base-url https://reelbridge.example/credentials
cp "$here/postproduction/program.toml" "$out/lab/program.toml"

echo "== the sponsor endorses the diploma with its own key"
credkit keys generate --out "$out/sponsor.key" >/dev/null
credkit endorse "$here/postproduction/sponsor-endorsement.toml" --key "$out/sponsor.key" \
    --template "$out/lab/program.toml" --out "$out/lab/sponsor-endorsement.json"
printf '\n[[endorsement]]\nfile = "sponsor-endorsement.json"\ntarget = "achievement"\n' \
    >> "$out/lab/program.toml"

echo "== the lab issues the cohort and publishes its status list"
credkit issue-cohort --roster "$here/postproduction/roster.csv" --issuer-dir "$out/lab"
credkit status publish --issuer-dir "$out/lab" --out "$out/site" >/dev/null

echo "== an employer verifies one diploma (trusting the lab)"
issuer_did="$(sed -n 's/^did = "\(.*\)"/\1/p' "$out/lab/credkit.toml")"
printf '# issuers this employer trusts\n%s  # Reelbridge Post Lab\n' "$issuer_did" > "$out/trusted.txt"
diploma="$out/lab/diplomas/RPL26-001.json"
credkit verify "$diploma" --status-dir "$out/site" --trust "$out/trusted.txt"

echo "== the graduate shares it as a QR code; the employer scans it and verifies what it holds"
credkit qr "$diploma" --mode link --issuer-dir "$out/lab" \
    --out "$out/RPL26-001-qr.png" --caption "Scan to verify"
echo "QR code holds the link: $(credkit qr --decode "$out/RPL26-001-qr.png")"
# the lab hosts the diploma behind that link; its site folder stands in for the web host here, so
# the employer's check reads the link's diploma from it (on the real web: --allow-network)
credkit host add "$diploma" --issuer-dir "$out/lab" >/dev/null
credkit site build --issuer-dir "$out/lab" --out "$out/www" >/dev/null
credkit verify --qr "$out/RPL26-001-qr.png" --site-dir "$out/www" --trust "$out/trusted.txt"
credkit render "$diploma" --issuer-dir "$out/lab" --out "$out/RPL26-001.html"
echo "== the graduate adds it to LinkedIn (open this link while signed in)"
credkit share linkedin "$diploma" --issuer-dir "$out/lab"
echo "diplomas: $out/lab/diplomas  QR: $out/RPL26-001-qr.png  page: $out/RPL26-001.html"
