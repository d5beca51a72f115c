#!/bin/sh
# /health latency during a burst of 30 sign-ins (docs/SECURITY.md, "Sign-in and sessions").
# Usage: bench/signin_burst.sh [ROUNDS]   (release build; uses a temporary SQLite database)
set -eu
cd "$(dirname "$0")/.."
exec cargo run --release --locked -q -p parindex-web --example signin_burst -- "${1:-3}"
