#!/usr/bin/env bash
# The cost of a page's first render after a write (issue 11, point 6): the server runs under
# callgrind with instrumentation on only around the page's request; before each request a
# write makes the page kept in memory stale, so it is rendered again, from the read models
# that write left current and from the database for the rest. Prints instructions per request
# (÷ N) for the dashboard, the plan tree, results, indicators and the audit log.
#
#   bench/first-render.sh [N]          (default 5 requests of each page)
#   PARINDEX_BIN=/path/to/parindex bench/first-render.sh
#   CURL_ONLY=1 bench/first-render.sh  (no valgrind: the time of each first request after a
#                                       write, median of 21, from curl)
#   WRITE=lang     the write: the language set again, as the account page does (the default;
#                  the users' tables: the session is read again, the plan's state is not)
#   WRITE=measure  a measure proposed on the plan (the plan's work, the tables a monthly
#                  report writes: the plan's state is read again)
#   WRITE=ttl      no write: a 2.2 s pause (past the 2-second time to live that everything
#                  kept had before the data versions were counted in the database; now only
#                  sessions have it, so the page is answered from memory)
#   WRITE=cli      a write by another process to every table (`parindex import units`, the
#                  demo's units again): the page and every read model are read from the
#                  database, as after a start
# Needs: valgrind, curl; a release build (built here unless PARINDEX_BIN is given).
set -eu
cd "$(dirname "$0")/.."
N=${1:-5}
PORT=${BENCH_PORT:-18091}
WORK=$(mktemp -d /tmp/parindex-first.XXXXXX)
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    sleep 0.5
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
if [ -n "${PARINDEX_BIN:-}" ]; then
    BIN=$PARINDEX_BIN
else
    cargo build --release --locked -q -p parindex
    BIN=${CARGO_TARGET_DIR:-target}/release/parindex
fi
DB=sqlite://$WORK/demo.db
"$BIN" --db "$DB" --as-of 2021-08-15 demo --no-serve >/dev/null 2>&1
if [ "${CURL_ONLY:-0}" = 1 ]; then
    "$BIN" --db "$DB" --as-of 2021-08-15 serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
else
    (cd "$WORK" && exec valgrind --tool=callgrind --instr-atstart=no "$BIN" --db "$DB" \
        --as-of 2021-08-15 serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1) &
fi
SERVER_PID=$!
for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.2
done
JAR=$WORK/cookies
CSRF=$(curl -fs -c "$JAR" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
curl -fs -b "$JAR" -c "$JAR" -o /dev/null \
    --data-urlencode "_csrf=$CSRF" --data-urlencode "username=sonoivu" \
    --data-urlencode "password=bacgiang-coordinator" "http://127.0.0.1:$PORT/login"
CSRF=$(curl -fs -b "$JAR" "http://127.0.0.1:$PORT/notifications" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
write() {
    case "${WRITE:-lang}" in
    lang) curl -fs -b "$JAR" -o /dev/null --data-urlencode "_csrf=$CSRF" --data-urlencode "lang=vi" \
        --data-urlencode "back=/" "http://127.0.0.1:$PORT/account/lang" ;;
    measure) curl -fs -b "$JAR" -o /dev/null --data-urlencode "_csrf=$CSRF" --data-urlencode "unit=huyen-yen-the" \
        --data-urlencode "kind=criticism" --data-urlencode "reason=Chậm báo cáo" \
        "http://127.0.0.1:$PORT/plans/bac-giang-2021/measures" ;;
    ttl) sleep 2.2 ;;
    cli) "$BIN" --db "$DB" --as-of 2021-08-15 import units data/units.csv >/dev/null 2>&1
        sleep 0.3 ;;   # past the server's next look at the data versions (250 ms)
    *) echo "WRITE: lang, measure, ttl or cli" >&2; exit 2 ;;
    esac
}
PAGES="dashboard|/ plan-tree|/plans/bac-giang-2021 results|/results indicators|/indicators audit|/audit"
for spec in $PAGES; do   # warm-up: every page three times
    for _ in 1 2 3; do curl -fs -b "$JAR" -o /dev/null "http://127.0.0.1:$PORT${spec#*|}"; done
done
if [ "${CURL_ONLY:-0}" = 1 ]; then
    printf '%-11s %12s %12s\n' page first_ms cached_ms
    for spec in $PAGES; do
        url="http://127.0.0.1:$PORT${spec#*|}"
        f=(); c=()
        for _ in $(seq 21); do
            write
            f+=("$(curl -fs -b "$JAR" -o /dev/null -w '%{time_total}' "$url")")
            c+=("$(curl -fs -b "$JAR" -o /dev/null -w '%{time_total}' "$url")")
        done
        med() { printf '%s\n' "$@" | sort -n | sed -n 11p; }
        printf '%-11s %12.2f %12.2f\n' "${spec%%|*}" "$(python3 -c "print($(med "${f[@]}")*1000)")" \
            "$(python3 -c "print($(med "${c[@]}")*1000)")"
    done
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi
printf '%-11s %14s\n' page instr/request
for spec in $PAGES; do
    url="http://127.0.0.1:$PORT${spec#*|}"
    callgrind_control -z "$SERVER_PID" >/dev/null 2>&1 || true
    for _ in $(seq "$N"); do
        write
        callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
        curl -fs -b "$JAR" -o /dev/null "$url"
        callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
    done
    callgrind_control -d "${spec%%|*}" "$SERVER_PID" >/dev/null 2>&1
    sleep 0.5
    out=$(ls -t "$WORK"/callgrind.out.* | head -1)
    total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    printf '%-11s %14d\n' "${spec%%|*}" "$((total / N))"
    [ -n "${KEEP:-}" ] && cp "$out" "$KEEP/${spec%%|*}.callgrind"
done
