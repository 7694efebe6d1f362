#!/usr/bin/env bash
# Runs each cargo-fuzz target (fuzz/fuzz_targets) for SECONDS (default 30) on the stable
# toolchain: libFuzzer without a sanitizer (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its flags).
# New inputs go to a scratch corpus; the kept corpora in fuzz/corpus/ are only read. A crash
# leaves its input in fuzz/artifacts/<target>/ and fails the script.
#   scripts/fuzz.sh 30            # the short CI run
#   scripts/fuzz.sh 3600 title    # the long run of one target
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECS=${1:-30}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(multipart params title exif)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
for t in "${TARGETS[@]}"; do
  mkdir -p "$SCRATCH/$t"
  echo "== fuzz $t for ${SECS}s"
  rc=0
  cargo fuzz run --sanitizer none "$t" "$SCRATCH/$t" "corpus/$t" -- \
    -max_total_time="$SECS" -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 >"$SCRATCH/$t.log" 2>&1 || rc=$?
  grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$SCRATCH/$t.log" || true
  if [[ $rc -ne 0 ]]; then
    tail -40 "$SCRATCH/$t.log"
    echo "FAILED: fuzz target $t (exit $rc; a crash input is in fuzz/artifacts/$t/)"
    exit 1
  fi
done
