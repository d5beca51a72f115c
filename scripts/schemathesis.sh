#!/usr/bin/env bash
# Schemathesis (PyPI) against the JSON API's OpenAPI document, signed in as the coordinator of the
# Bắc Giang demo (the role that may write): every operation with generated and hostile inputs,
# checking that no answer is a server error (5xx). Kept out of CI; figures in docs/SECURITY.md.
#   [PARINDEX_USER=admin PARINDEX_PASSWORD=bacgiang-admin] scripts/schemathesis.sh [MAX_EXAMPLES]
# Needs a built binary (PARINDEX_BIN, default target/debug/parindex) and schemathesis
# (SCHEMATHESIS, default `schemathesis`; e.g. `python3 -m venv v && v/bin/pip install schemathesis`).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${PARINDEX_BIN:-target/debug/parindex}"
st="${SCHEMATHESIS:-schemathesis}"
port="${PORT:-18089}"
examples="${1:-200}"
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
db="sqlite://$dir/st.db"
"$bin" --db "$db" demo --no-serve >/dev/null 2>&1
PARINDEX_LOG=warn "$bin" serve --db "$db" --as-of 2021-08-15 --no-reminders \
  --bind "127.0.0.1:$port" --evidence-dir "$dir/evidence" >"$dir/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 50); do curl -fsS "$base/health" >/dev/null 2>&1 && break; sleep 0.2; done
# Sign in as a browser would: the login form's token and its cookie, then the session cookie.
jar="$dir/cookies"
token=$(curl -fsS -c "$jar" "$base/login" | grep -o 'name="_csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')
curl -sS -b "$jar" -c "$jar" -o /dev/null \
  --data-urlencode "username=${PARINDEX_USER:-sonoivu}" --data-urlencode "password=${PARINDEX_PASSWORD:-bacgiang-coordinator}" \
  --data-urlencode "_csrf=$token" --data-urlencode "next=/" "$base/login"
session=$(awk '$6 == "parindex_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "sign-in failed" >&2; exit 1; }
# The session's CSRF token, from any signed-in page.
csrf=$(curl -fsS -b "parindex_session=$session" "$base/" | grep -o 'name="_csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')
"$st" run "$base/api/v1/openapi.json" \
  --checks not_a_server_error \
  --max-examples "$examples" \
  -H "Cookie: parindex_session=$session" -H "X-CSRF-Token: $csrf" \
  --request-timeout 10
echo "server errors logged: $(grep -c -i 'panicked\|error' "$dir/server.log" || true)"
