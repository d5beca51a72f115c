#!/usr/bin/env bash
# Benchmark: `parindex dossiers stats` against DuckDB on the same generated CSV, grouped by agency
# and month, with the same number of threads; then `parindex import dossiers` into SQLite.
# Prints the times, the peak memory (RSS, from /usr/bin/time -v) and the ratios.
#
#   bench/dossiers.sh [ROWS] [THREADS]      (defaults: 5000000 rows, 2 threads)
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
BIN=target/release/parindex
FILE="$WORK/dossiers-$ROWS.csv"

cargo build --release -p parindex --locked >/dev/null
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
