#!/usr/bin/env bash
# The soak and the 30/12 evidence rush (issue 10; figures in docs/PERFORMANCE.md). Not a test and
# not run by CI: run it by hand.
#
#   bench/soak.sh [BACKEND] [SECONDS] [CONNECTIONS]     (defaults: sqlite 600 64)
#
# BACKEND is sqlite (a new file in the work folder) or postgres (a database `soak`, dropped and
# created again on SOAK_PG, default postgres://postgres@127.0.0.1:5432; the `test` database of
# the repository tests is not touched). Also from the environment: SOAK_PHASE=all|soak|rush,
# SOAK_READ_SECS (0: seconds of reads only after the mix, to see the memory once the data stops
# growing), SOAK_WRITE_PCT (100: the share of the mix's writes made, the rest replaced by
# reads), SOAK_PORT (8099), SOAK_RUSH_UNITS (37), SOAK_RUSH_FILES (20), SOAK_RUSH_KB (256),
# BENCH_DIR (a work folder kept afterwards; by default a temporary one, removed), SOAK_BUILD=0
# (use the release binaries already built).
#
# It builds the release binary and the load generator (crates/web/examples/soak.rs), loads the
# Bắc Giang demo into a fresh database as `parindex demo` does, with today taken as 30/12/2021
# (the self-scoring deadline: units self-score and upload, the appraisers appraise the submitted
# departments, monthly reports are due), adds SOAK_RUSH_UNITS synthetic department units and one
# agency user each (`parindex import units`, `parindex user add`), starts `parindex serve`,
# drives it (the generator signs in every virtual user and creates the synthetic round as the
# coordinator), then checks the evidence folder and the records: `parindex evidence verify`,
# every rush file on disk once under its SHA-256 and recorded once. Exit code 1 on any error.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKEND="${1:-${SOAK_BACKEND:-sqlite}}"
SECS="${2:-${SOAK_SECS:-600}}"
CONNS="${3:-${SOAK_CONNS:-64}}"
PHASE="${SOAK_PHASE:-all}"
PORT="${SOAK_PORT:-8099}"
RUSH_UNITS="${SOAK_RUSH_UNITS:-37}"
RUSH_FILES="${SOAK_RUSH_FILES:-20}"
RUSH_KB="${SOAK_RUSH_KB:-256}"
AS_OF=2021-12-30
PG="${SOAK_PG:-postgres://postgres@127.0.0.1:5432}"
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/parindex"
GEN="$TARGET/release/examples/soak"
export SOAK_PASSWORD="${SOAK_PASSWORD:-soak-mat-khau-2021}"

if [ -n "${BENCH_DIR:-}" ]; then
  WORK="$BENCH_DIR"; mkdir -p "$WORK"; KEEP=1
else
  WORK="$(mktemp -d)"; KEEP=0
fi
EVID="$WORK/evidence-$BACKEND"
case "$BACKEND" in
  sqlite) DB="sqlite://$WORK/soak.db" ;;
  postgres) DB="$PG/soak" ;;
  *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac

if [ "${SOAK_BUILD:-1}" = 1 ]; then
  cargo build --release --locked -q -p parindex
  cargo build --release --locked -q -p parindex-web --example soak
fi

# A fresh database and evidence folder.
rm -rf "$WORK"/soak.db* "$EVID"
mkdir -m 700 "$EVID"
if [ "$BACKEND" = postgres ]; then
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS soak" -c "CREATE DATABASE soak"
fi
P=("$BIN" --db "$DB" --evidence-dir "$EVID" --as-of "$AS_OF")
"${P[@]}" demo --no-serve > "$WORK/demo.txt"
{
  echo "slug,name_vi,name_en,type,parent,head_name,head_title"
  for n in $(seq -w 1 "$RUSH_UNITS"); do
    echo "soak-don-vi-$n,Đơn vị tổng hợp $n (thử tải),Synthetic unit $n (soak),department,bac-giang,,Giám đốc"
  done
} > "$WORK/soak-units.csv"
"${P[@]}" import units "$WORK/soak-units.csv"
for n in $(seq -w 1 "$RUSH_UNITS"); do
  printf '%s\n' "$SOAK_PASSWORD" | "${P[@]}" user add "soak-user-$n" --role agency \
    --unit "soak-don-vi-$n" --name "Chuyên viên đơn vị tổng hợp $n" --password-stdin > /dev/null
done
echo "demo loaded, $RUSH_UNITS synthetic units and users added ($DB)"

# SOAK_WRAP: a command the server runs under, e.g. "heaptrack -o $BENCH_DIR/heap" (a heap
# profile of the whole run); the server's own pid is then found under it.
read -r -a WRAP <<< "${SOAK_WRAP:-}"
"${WRAP[@]}" "${P[@]}" serve --bind "127.0.0.1:$PORT" --no-reminders > "$WORK/serve.log" 2>&1 &
LAUNCHED=$!
SERVER=$LAUNCHED
stop() {
  kill "$SERVER" 2>/dev/null || true
  while kill -0 "$SERVER" 2>/dev/null; do sleep 0.2; done
  wait "$LAUNCHED" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break
  sleep 0.2
done
if [ ${#WRAP[@]} -gt 0 ]; then
  for c in $(pgrep -f -- "serve --bind 127.0.0.1:$PORT"); do
    [ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$(readlink -f "$BIN")" ] && SERVER=$c
  done
fi
echo "parindex serve: pid $SERVER, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

status=0
"$GEN" --addr "127.0.0.1:$PORT" --pid "$SERVER" --secs "$SECS" --conns "$CONNS" --phase "$PHASE" \
  --rush-units "$RUSH_UNITS" --rush-files "$RUSH_FILES" --rush-kb "$RUSH_KB" \
  --read-secs "${SOAK_READ_SECS:-0}" --write-pct "${SOAK_WRITE_PCT:-100}" --db-file "$WORK/soak.db" \
  --shas-out "$WORK/rush.sha256" | tee "$WORK/soak-$BACKEND.txt" || status=1
stop
trap - EXIT

# What is on disk and in the records, the server stopped.
echo
"${P[@]}" evidence verify || status=1
if [ -s "$WORK/rush.sha256" ]; then
  missing=0
  while read -r sha; do
    [ -f "$EVID/${sha:0:2}/$sha" ] || { echo "not on disk: $sha"; missing=$((missing + 1)); }
  done < "$WORK/rush.sha256"
  files=$(wc -l < "$WORK/rush.sha256")
  q="SELECT count(*) || ' ' || count(DISTINCT sha256) FROM evidence WHERE title LIKE '%(đợt 30/12)'"
  if [ "$BACKEND" = sqlite ] && command -v sqlite3 > /dev/null; then
    rows=$(sqlite3 "$WORK/soak.db" "$q")
  elif [ "$BACKEND" = postgres ] && command -v psql > /dev/null; then
    rows=$(psql -qtA "$DB" -c "$q")
  else
    rows="? ?"
  fi
  echo "rush on disk: $((files - missing)) of $files files; records: ${rows% *} rows, ${rows#* } distinct SHA-256"
  [ "$missing" = 0 ] || status=1
  [ "$rows" = "$files $files" ] || [ "$rows" = "? ?" ] || status=1
fi
echo "evidence folder: $(du -sh "$EVID" | cut -f1); server log: $(grep -ciE 'error|panic' "$WORK/serve.log" || true) error lines"
grep -iE 'error|panic' "$WORK/serve.log" | head -20 || true

if [ "$BACKEND" = postgres ]; then
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS soak" || true
fi
[ "$KEEP" = 1 ] || rm -rf "$WORK"
exit $status
