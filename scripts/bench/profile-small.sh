#!/usr/bin/env bash
# Profiles the small-upload workload on embedded defaults (SQLite + local disk): starts a release
# `mwupload serve` on a temp data dir and runs `mwupload bench` against it, optionally with the
# server under a profiler. Usage:
#   scripts/bench/profile-small.sh [MODE=plain] [CONCURRENCY=32] [SECONDS=10] [SIZE=10KiB]
#   MODE: plain   the bench's JSON only
#         strace  + `strace -c -f` of the server (syscall counts: fsync, fdatasync, rename…)
#         perf    + `perf record -g` of the server, then `perf report` (top of the children view)
#         stat    + `perf stat` of the server (CPU time per upload)
# BIN (env) = target/release/mwupload; OUT (env) = a directory to keep the raw outputs in.
set -euo pipefail
MODE=${1:-plain}
CONC=${2:-32}
SECS=${3:-10}
SIZE=${4:-10KiB}
BIN=${BIN:-target/release/mwupload}
W=$(mktemp -d)
OUT=${OUT:-$W}
mkdir -p "$OUT"
SRV=
cleanup() { [[ -n $SRV ]] && { kill -INT "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; }; mkdir -p /var/tmp/abgarbage; mv "$W" /var/tmp/abgarbage/ 2>/dev/null || true; }
trap cleanup EXIT
mkdir -p "$W/data"
# `serve --init` creates the data dir and its credentials; warm up without the profiler first.
"$BIN" serve --listen 127.0.0.1:0 --data "$W/data" >"$W/init.log" 2>&1 &
SRV=$!
for _ in $(seq 200); do grep -q '^listening on ' "$W/init.log" && break; sleep 0.1; done
kill -INT $SRV; wait $SRV 2>/dev/null || true; SRV=
case $MODE in
  plain) WRAP=() ;;
  strace) WRAP=(strace -c -f -o "$OUT/strace.txt") ;;
  perf) WRAP=(perf record -g -o "$OUT/perf.data") ;;
  stat) WRAP=(perf stat -o "$OUT/perf-stat.txt") ;;
  sched) WRAP=(perf record -e sched:sched_switch -g -o "$OUT/sched.data") ;;
  *) echo "unknown mode $MODE" >&2; exit 2 ;;
esac
"${WRAP[@]}" "$BIN" serve --listen 127.0.0.1:0 --data "$W/data" >"$W/serve.log" 2>&1 &
SRV=$!
for _ in $(seq 200); do grep -q '^listening on ' "$W/serve.log" && break; sleep 0.1; done
API="$(sed -n 's/^listening on //p' "$W/serve.log")/w/api.php"
set -a; . "$W/data/initial-credentials.env"; set +a
printf '%s' "$BOT_PASS" >"$W/pass"
"$BIN" bench --api "$API" --user "$BOT_USER" --password-file "$W/pass" --concurrency "$CONC" \
  --size "$SIZE" --duration "${SECS}s" --json >"$OUT/bench.json"
# Stop the server itself (under a profiler: the wrapper's child); the wrapper then writes its
# report when the server has exited.
TARGET=$SRV
[[ ${#WRAP[@]} -gt 0 ]] && TARGET=$(pgrep -P "$SRV" | head -1)
kill -INT "$TARGET"; wait $SRV 2>/dev/null || true; SRV=
python3 - "$OUT/bench.json" <<'P'
import json, sys
b = json.load(open(sys.argv[1]))
u = b["uploads"]; l = b["latency_ms"]["upload"]
print(f"uploads {u['succeeded']}/{u['attempted']} ok, sha1 verified {u['sha1_verified']}; "
      f"{b['throughput']['uploads_per_sec']:.1f}/s; p50 {l['p50']:.2f} ms p99 {l['p99']:.2f} ms max {l['max']:.2f} ms")
P
case $MODE in
  strace) head -25 "$OUT/strace.txt" ;;
  perf) perf report -i "$OUT/perf.data" --children --no-demangle --stdio --percent-limit 3 2>/dev/null | grep -v '^$' | head -120 >"$OUT/perf-report.txt" || true
        perf report -i "$OUT/perf.data" --no-children --sort dso,symbol --stdio --percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 >"$OUT/perf-self.txt" || true
        echo "reports in $OUT/perf-report.txt, $OUT/perf-self.txt" ;;
  stat) cat "$OUT/perf-stat.txt" ;;
esac
echo "uptime: $(uptime)"
