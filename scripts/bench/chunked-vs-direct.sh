#!/usr/bin/env bash
# Chunked against direct, one large upload at a time, alternating rounds on one server (issue 15:
# "chunked ≥ 0.9 × direct"). Prints each round's wall time (the bench's upload latency) and,
# per mode, the median and the server's CPU, context switches and page faults per upload (from
# /proc, so no profiler is needed).
#   scripts/bench/chunked-vs-direct.sh [ROUNDS=5] [SIZE=256MiB] [CHUNK=5MiB] [DIR=/dev/shm]
# DIR holds the server's data dir: /dev/shm (tmpfs) takes the disk out, a disk path puts it in.
# BIN (env) = target/release/mwupload; BASE (env): a second binary measured in the same rounds
# (A/B), e.g. a copy of the build before a change.
set -euo pipefail
ROUNDS=${1:-5}
SIZE=${2:-256MiB}
CHUNK=${3:-5MiB}
DIR=${4:-/dev/shm}
BIN=${BIN:-target/release/mwupload}
W=$(mktemp -d -p "$DIR" mwbench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

start() { # NAME BIN → $W/NAME/{api,user,pass,pid}
  local d=$W/$1
  mkdir -p "$d/data"
  ${SERVER_WRAP:-} "$2" serve --listen 127.0.0.1:0 --data "$d/data" >"$d/serve.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 300); do grep -q '^listening on ' "$d/serve.log" && break; sleep 0.1; done
  echo "$(sed -n 's/^listening on //p' "$d/serve.log")/w/api.php" >"$d/api"
  (set -a; . "$d/data/initial-credentials.env"; printf '%s' "$BOT_PASS" >"$d/pass"; echo "$BOT_USER" >"$d/user")
  echo "$pid" >"$d/pid"
}
counters() { # PID → "cpu_ticks switches faults" of all the server's threads
  local pid=$1 cs=0
  for t in /proc/"$pid"/task/*; do
    cs=$((cs + $(awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s}' "$t/status")))
  done
  read -r -a st <"/proc/$pid/stat"
  # utime+stime (ticks), minflt+majflt (fields 10 and 12, counted from 1)
  echo "$((st[13] + st[14])) $cs $((st[9] + st[11]))"
}
one() { # NAME CHUNK → "ms cpu_ms switches faults"
  local d=$W/$1 pid before after
  pid=$(cat "$d/pid")
  before=$(counters "$pid")
  ${CLIENT_WRAP:-} "$BIN" bench --api "$(cat "$d/api")" --user "$(cat "$d/user")" --password-file "$d/pass" --json \
    --size "$SIZE" --count 1 --concurrency 1 --chunk-size "$2" --prefix "Cvd" >"$d/b.json"
  after=$(counters "$pid")
  python3 - "$d/b.json" "$before" "$after" "$(getconf CLK_TCK)" <<'P'
import json, sys
b = json.load(open(sys.argv[1]))
if b["uploads"]["failed"]:
    raise SystemExit(f"bench failed: {b.get('first_error')}")
x, y, hz = [int(v) for v in sys.argv[2].split()], [int(v) for v in sys.argv[3].split()], int(sys.argv[4])
print(f'{b["latency_ms"]["upload"]["max"]:.0f} {(y[0]-x[0])*1000/hz:.0f} {y[1]-x[1]} {y[2]-x[2]}')
P
}
start new "$BIN"
MODES=("new:0" "new:$CHUNK")
if [[ -n ${BASE:-} ]]; then start base "$BASE"; MODES+=("base:0" "base:$CHUNK"); fi
for m in "${MODES[@]}"; do one "${m%%:*}" "${m#*:}" >/dev/null; done # warm up
for r in $(seq "$ROUNDS"); do
  for m in "${MODES[@]}"; do echo "$m $(one "${m%%:*}" "${m#*:}")"; done | tee -a "$W/rounds"
done
python3 - "$W/rounds" <<'P'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, *v = line.split()
    rows.setdefault(m, []).append([float(x) for x in v])
med = {m: [statistics.median(c) for c in zip(*v)] for m, v in rows.items()}
for m, (ms, cpu, cs, pf) in med.items():
    print(f"{m:14} median {ms:6.0f} ms  server CPU {cpu:5.0f} ms  switches {cs:6.0f}  faults {pf:6.0f}")
for who in {m.split(':')[0] for m in med}:
    d, c = [med[m][0] for m in med if m.startswith(who + ':')][:2]
    print(f"{who}: chunked runs at {d / c:.2f}x the speed of direct")
P
