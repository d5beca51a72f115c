#!/usr/bin/env bash
# Fuzz every file reader in turn for SECONDS each (default 300), starting from the committed
# seed corpus; print each target's executions, time and crashes. Needs the nightly toolchain and
# cargo-fuzz (`cargo +nightly install cargo-fuzz --locked`). Kept out of CI (see docs/SECURITY.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# New inputs go to a work folder (FUZZ_WORK, default $TMPDIR/parindex-fuzz); crashes to
# fuzz/artifacts/<target>/. Delete the work folder and fuzz/target afterwards to free the disk.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-300}"; shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(xlsx tables edition plan self_assessment dossiers_csv dossiers_xlsx)
work="${FUZZ_WORK:-${TMPDIR:-/tmp}/parindex-fuzz}"
cargo +nightly fuzz build -O >/dev/null
printf '%-16s %12s %8s %8s\n' target executions seconds crashes
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp -n corpus/"$t"/* "$work/$t"/ 2>/dev/null || true
  log="$work/$t.log"
  set +e
  cargo +nightly fuzz run -O "$t" "$work/$t" -- -max_total_time="$secs" -max_len=65536 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  took=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  crashes=$(ls artifacts/"$t" 2>/dev/null | wc -l)
  printf '%-16s %12s %8s %8s   (exit %s, %s exec/s)\n' "$t" "$runs" "$secs" "$crashes" "$rc" "$took"
done
