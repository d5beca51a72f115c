#!/bin/sh
# Signed-in pages under load against nginx serving the same HTML (docs/PERFORMANCE.md, issue 11).
#
# Usage: bench/pages.sh [SECONDS] [CONNECTIONS] [THREADS]      (defaults 15 64 2)
#
# Builds the release binary, loads the demo into a fresh SQLite file (as `parindex demo` does),
# starts `parindex --as-of 2021-08-15 serve`, signs in as the coordinator (`sonoivu`), saves the
# dashboard's HTML into a folder served by Debian's nginx-light (its own config, a spare port,
# not the system service), then runs wrk against nginx, the dashboard, the plan tree, the results,
# the indicators and the audit log, with the session cookie, and prints requests/s, the ratio to
# nginx, p99 and the non-2xx answers of each. Needs: apt-get install -y wrk nginx-light curl.
# BENCH_DB=postgres://… uses that database (the demo loaded into it) instead of a SQLite file;
# PARINDEX_BIN=… a built binary; BENCH_KEEP=1 keeps the server running afterwards (prints its port).
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-15}
CONNS=${2:-64}
THREADS=${3:-2}
PORT=${BENCH_PORT:-18080}
NGINX_PORT=${BENCH_NGINX_PORT:-18081}
WORK=$(mktemp -d /tmp/parindex-pages.XXXXXX)
SERVER_PID=
NGINX_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# PARINDEX_BIN=…: an already built binary (e.g. the one before a change) instead of building.
if [ -n "${PARINDEX_BIN:-}" ]; then
    BIN=$PARINDEX_BIN
else
    cargo build --release --locked -q -p parindex
    BIN=${CARGO_TARGET_DIR:-target}/release/parindex
fi
DB=${BENCH_DB:-sqlite://$WORK/demo.db}

"$BIN" --db "$DB" --as-of 2021-08-15 demo --no-serve >/dev/null 2>&1
"$BIN" --db "$DB" --as-of 2021-08-15 serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
done

# Sign in as the coordinator: the sign-in form's CSRF token and its cookie, then the session.
JAR=$WORK/cookies
CSRF=$(curl -fs -c "$JAR" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
curl -fs -b "$JAR" -c "$JAR" -o /dev/null \
    --data-urlencode "_csrf=$CSRF" --data-urlencode "username=sonoivu" \
    --data-urlencode "password=bacgiang-coordinator" "http://127.0.0.1:$PORT/login"
SESSION=$(awk '$6 == "parindex_session" { print $7 }' "$JAR")
[ -n "$SESSION" ] || { echo "sign-in failed" >&2; exit 1; }
COOKIE="Cookie: parindex_session=$SESSION"

mkdir -p "$WORK/www" "$WORK/nginx"
curl -fs -H "$COOKIE" -o "$WORK/www/index.html" "http://127.0.0.1:$PORT/"
# nginx's workers run as another user: let them read the page.
chmod 755 "$WORK" "$WORK/www"
chmod 644 "$WORK/www/index.html"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
    access_log off;
    types { text/html html; }
    client_body_temp_path $WORK/nginx;
    proxy_temp_path $WORK/nginx;
    fastcgi_temp_path $WORK/nginx;
    uwsgi_temp_path $WORK/nginx;
    scgi_temp_path $WORK/nginx;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        location / { try_files /index.html =404; }
    }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
sleep 0.5

# One wrk run: prints "name req/s p99 non2xx".
run() {
    name=$1
    url=$2
    out=$(wrk -c "$CONNS" -t "$THREADS" -d "${SECS}s" --latency -H "$COOKIE" "$url")
    rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec/ { print $2 }')
    p99=$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')
    bad=$(printf '%s\n' "$out" | awk '/Non-2xx/ { print $5 }')
    echo "$name $rps $p99 ${bad:-0}"
}

BASE=$(run nginx "http://127.0.0.1:$NGINX_PORT/")
NGINX_RPS=$(echo "$BASE" | awk '{ print $2 }')
printf '%-14s %10s %8s %10s %8s\n' page req/s ratio p99 non-2xx
for spec in "nginx|http://127.0.0.1:$NGINX_PORT/" \
    "dashboard|http://127.0.0.1:$PORT/" \
    "plan-tree|http://127.0.0.1:$PORT/plans/bac-giang-2021" \
    "results|http://127.0.0.1:$PORT/results" \
    "indicators|http://127.0.0.1:$PORT/indicators" \
    "audit|http://127.0.0.1:$PORT/audit"; do
    name=${spec%%|*}
    url=${spec#*|}
    if [ "$name" = nginx ]; then line=$BASE; else line=$(run "$name" "$url"); fi
    echo "$line" | awk -v base="$NGINX_RPS" '{ printf "%-14s %10.0f %8.3f %10s %8s\n", $1, $2, $2 / base, $3, $4 }'
done
