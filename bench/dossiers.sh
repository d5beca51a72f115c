#!/usr/bin/env bash
# Benchmark: `parindex dossiers stats` against DuckDB on the same generated CSV, grouped by agency
# and month, with the same number of threads; then `parindex import dossiers` into SQLite.
# Prints the times, the peak memory (RSS, from /usr/bin/time -v) and the ratios.
#
#   bench/dossiers.sh [ROWS] [THREADS]      (defaults: 5000000 rows, 2 threads)
#   IMPORT_ONLY=1 RUNS=3 bench/dossiers.sh  (import on SQLite and PostgreSQL, default and late-heavy
#                                            files, against stats; see below)
#   PARINDEX_BIN=/path/to/parindex …        (a binary built elsewhere, e.g. before a change)
#   ONLY=late180 BACKENDS=sqlite …          (IMPORT_ONLY: one file kind, one backend)
#
# Needs: a release build (built here), python3 with duckdb (`pip install duckdb`), /usr/bin/time.
# Not a test: run it by hand and record the figures in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${1:-5000000}"
THREADS="${2:-2}"
AS_OF="2022-01-10"          # every 2021 dossier is due before it: the never-closed are overdue
RUNS="${RUNS:-5}"
WORK="${BENCH_DIR:-$(mktemp -d)}"
FILE="$WORK/dossiers-$ROWS.csv"

# PARINDEX_BIN=/path/to/parindex: a binary built elsewhere (a before/after comparison).
if [ -n "${PARINDEX_BIN:-}" ]; then
  BIN=$PARINDEX_BIN
else
  cargo build --release -p parindex --locked >/dev/null
  BIN="${CARGO_TARGET_DIR:-target}/release/parindex"
fi

# IMPORT_ONLY=1: import into both backends, from the default file and a late-heavy one
# (--late-per-mille 180), each against `stats` of the same file; no DuckDB. PostgreSQL: a
# database `dossier_bench` dropped and created again on BENCH_PG (default
# postgres://postgres@127.0.0.1:5432). Goals (issue 11): import ≤ 3× stats on SQLite, ≤ 4× on
# PostgreSQL, peak RSS ≤ 128 MB. The generated files are removed unless BENCH_DIR is set.
if [ "${IMPORT_ONLY:-0}" = 1 ]; then
  PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
  best_of() { sort -n | head -1; }
  printf '%-22s %-10s %8s %8s %7s %9s\n' file backend stats_s import_s ratio peak_RSS
  for kind in ${ONLY:-default late180}; do
    F="$WORK/dossiers-$ROWS-$kind.csv"
    extra=()
    [ "$kind" = late180 ] && extra=(--late-per-mille 180)
    [ -f "$F" ] || "$BIN" gen dossiers --rows "$ROWS" --seed 1 "${extra[@]}" -o "$F"
    cat "$F" > /dev/null
    for backend in ${BACKENDS:-sqlite postgres}; do
      st=(); im=(); kb=0
      for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e" -o "$WORK/t" "$BIN" --as-of "$AS_OF" dossiers stats "$F" \
          --by agency,month --csv --threads "$THREADS" > /dev/null
        st+=("$(cat "$WORK/t")")
        if [ "$backend" = sqlite ]; then
          rm -f "$WORK"/import.db*; DB="sqlite://$WORK/import.db"
        else
          psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS dossier_bench" -c "CREATE DATABASE dossier_bench"
          DB="$PG/dossier_bench"
        fi
        "$BIN" --db "$DB" editions > /dev/null   # the migrations, outside the timing
        /usr/bin/time -f "%e %M" -o "$WORK/t" "$BIN" --db "$DB" --as-of "$AS_OF" import dossiers "$F" > /dev/null
        im+=("$(cut -d' ' -f1 "$WORK/t")")
        k=$(cut -d' ' -f2 "$WORK/t"); [ "$k" -gt "$kb" ] && kb=$k
      done
      s=$(printf '%s\n' "${st[@]}" | best_of); i=$(printf '%s\n' "${im[@]}" | best_of)
      printf '%-22s %-10s %8s %8s %7s %6s MB\n' "$kind ($ROWS rows)" "$backend" "$s" "$i" \
        "$(python3 -c "print(f'{$i/$s:.2f}')")" "$((kb / 1024))"
    done
    [ -n "${BENCH_DIR:-}" ] || rm -f "$F"
  done
  rm -f "$WORK"/import.db*
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS dossier_bench" || true
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
  exit 0
fi

python3 -c 'import duckdb' 2>/dev/null || { echo "python3 -m pip install duckdb first" >&2; exit 1; }

if [ ! -f "$FILE" ]; then
  "$BIN" gen dossiers --rows "$ROWS" --seed 1 -o "$FILE"
fi
echo "file: $FILE ($(du -h "$FILE" | cut -f1), $ROWS rows); threads: $THREADS; as of $AS_OF"
echo "duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)'); $(nproc) cores; $(uname -sr)"

# Warm the page cache once for both.
cat "$FILE" > /dev/null

best() { sort -n | head -1; }

# parindex: wall time of the whole process, best of RUNS; peak RSS.
ours=()
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$BIN" --as-of "$AS_OF" dossiers stats "$FILE" \
    --by agency,month --csv --threads "$THREADS" > "$WORK/ours.csv"
  ours+=("$(cat "$WORK/t")")
done
ours_s=$(printf '%s\n' "${ours[@]}" | cut -d' ' -f1 | best)
ours_kb=$(printf '%s\n' "${ours[@]}" | cut -d' ' -f2 | sort -n | tail -1)

# DuckDB: the query's own time inside Python (interpreter start-up not counted), best of RUNS;
# and the peak RSS of the whole process.
duck=()
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%M" -o "$WORK/t" python3 bench/dossiers_duckdb.py "$FILE" "$AS_OF" "$THREADS" \
    "$WORK/duck.csv" > "$WORK/duck_time"
  duck+=("$(cat "$WORK/duck_time") $(cat "$WORK/t")")
done
duck_s=$(printf '%s\n' "${duck[@]}" | cut -d' ' -f1 | best)
duck_kb=$(printf '%s\n' "${duck[@]}" | cut -d' ' -f2 | sort -n | tail -1)

# Same answer?
if diff <(grep -v '^total' "$WORK/ours.csv" | cut -d, -f1-9) "$WORK/duck.csv" > /dev/null; then
  same="identical counts"
else
  same="COUNTS DIFFER"
fi

# Import into a fresh SQLite database (best of RUNS), then a re-import of the same file.
imp=()
for _ in $(seq "$RUNS"); do
  rm -f "$WORK"/import.db*
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$BIN" --db "sqlite://$WORK/import.db" --as-of "$AS_OF" \
    import dossiers "$FILE" > /dev/null
  imp+=("$(cat "$WORK/t")")
done
imp_s=$(printf '%s\n' "${imp[@]}" | cut -d' ' -f1 | best)
imp_kb=$(printf '%s\n' "${imp[@]}" | cut -d' ' -f2 | sort -n | tail -1)
/usr/bin/time -f "%e" -o "$WORK/t" "$BIN" --db "sqlite://$WORK/import.db" --as-of "$AS_OF" \
  import dossiers "$FILE" > /dev/null
reimp_s=$(cat "$WORK/t")

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
printf '\n%-34s %8s %12s\n' "" "seconds" "peak RSS"
printf '%-34s %8s %9s MB\n' "parindex dossiers stats" "$ours_s" "$((ours_kb / 1024))"
printf '%-34s %8s %9s MB\n' "DuckDB (same SQL, $THREADS threads)" "$duck_s" "$((duck_kb / 1024))"
printf '%-34s %8s %9s MB\n' "parindex import dossiers (SQLite)" "$imp_s" "$((imp_kb / 1024))"
printf '%-34s %8s\n' "  re-import of the same file" "$reimp_s"
echo
echo "stats / DuckDB:  $(ratio "$ours_s" "$duck_s")   ($same)"
echo "import / stats:  $(ratio "$imp_s" "$ours_s")   (best over best)"

# Import against stats run by run: each import right after a stats run, so that both see the
# same machine (a shared virtual machine's speed drifts by half within minutes). The worst pair
# is the figure to quote.
pairs=()
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e" -o "$WORK/t" "$BIN" --as-of "$AS_OF" dossiers stats "$FILE" \
    --by agency,month --csv --threads "$THREADS" > /dev/null
  s=$(cat "$WORK/t")
  rm -f "$WORK"/import.db*
  /usr/bin/time -f "%e" -o "$WORK/t" "$BIN" --db "sqlite://$WORK/import.db" --as-of "$AS_OF" \
    import dossiers "$FILE" > /dev/null
  i=$(cat "$WORK/t")
  pairs+=("$(ratio "$i" "$s")")
done
echo "import / stats, run by run: ${pairs[*]}   (worst $(printf '%s\n' "${pairs[@]}" | sort -n | tail -1))"
rm -f "$WORK"/import.db*
