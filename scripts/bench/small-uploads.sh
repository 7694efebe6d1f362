#!/usr/bin/env bash
# 10 KiB uploads against one or two binaries in alternating rounds (issue 15: "10 KiB uploads,
# 32 clients ≥ 1000/s with p99 < 50 ms"). Prints per round and binary: uploads/s, p50 and p99 (ms),
# and the server's CPU and context switches per upload (from /proc, so no profiler is needed).
#   scripts/bench/small-uploads.sh [ROUNDS=3] [CLIENTS=32] [DURATION=8s]
# BIN (env) = target/release/mwupload; BASE (env): a second binary measured in the same rounds
# (A/B), e.g. a copy of the build before a change. DIR (env, /dev/shm) holds the data dirs.
# PG=1 (env): each server on a new database of the PostgreSQL on 127.0.0.1:5432 (user postgres).
set -euo pipefail
ROUNDS=${1:-3}
CLIENTS=${2:-32}
DURATION=${3:-8s}
DIR=${DIR:-/dev/shm}
BIN=${BIN:-target/release/mwupload}
W=$(mktemp -d -p "$DIR" mwsmall.XXXXXX)
PIDS=()
DBS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for db in "${DBS[@]}"; do psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" postgres || true; done
  rm -rf "$W"
}
trap cleanup EXIT

start() { # NAME BIN → $W/NAME/{api,user,pass,pid}
  local d=$W/$1
  mkdir -p "$d/data"
  if [[ -n ${PG:-} ]]; then
    local db="mwsmall_$1_$$"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" postgres
    DBS+=("$db")
    printf 'database_url = "postgres://postgres@127.0.0.1:5432/%s"\n' "$db" >"$d/config.toml"
    "$2" serve --init --config "$d/config.toml" --listen 127.0.0.1:0 --data "$d/data" >"$d/serve.log" 2>&1 &
  else
    "$2" serve --listen 127.0.0.1:0 --data "$d/data" >"$d/serve.log" 2>&1 &
  fi
  PIDS+=("$!")
  echo "$!" >"$d/pid"
  for _ in $(seq 300); do grep -q '^listening on ' "$d/serve.log" && break; sleep 0.1; done
  echo "$(sed -n 's/^listening on //p' "$d/serve.log")/w/api.php" >"$d/api"
  (set -a; . "$d/data/initial-credentials.env"; printf '%s' "$BOT_PASS" >"$d/pass"; echo "$BOT_USER" >"$d/user")
}
counters() { # PID → "cpu_ticks switches" of all the server's threads
  local pid=$1 cs=0
  for t in /proc/"$pid"/task/*; do
    cs=$((cs + $(awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s}' "$t/status")))
  done
  read -r -a st <"/proc/$pid/stat"
  echo "$((st[13] + st[14])) $cs"
}
round() { # NAME → one line (the client is always $BIN: only the servers differ)
  local d=$W/$1 pid before after
  pid=$(cat "$d/pid")
  before=$(counters "$pid")
  "$BIN" bench --api "$(cat "$d/api")" --user "$(cat "$d/user")" --password-file "$d/pass" --json \
    --size 10KiB --concurrency "$CLIENTS" --duration "$DURATION" --prefix "Small$RANDOM" >"$d/b.json" || true
  after=$(counters "$pid")
  python3 - "$d/b.json" "$before" "$after" "$(getconf CLK_TCK)" "$1" <<'P'
import json, sys
b = json.load(open(sys.argv[1]))
x, y, hz = [int(v) for v in sys.argv[2].split()], [int(v) for v in sys.argv[3].split()], int(sys.argv[4])
n = max(b["uploads"]["succeeded"], 1)
l = b["latency_ms"]["upload"]
print(f'{sys.argv[5]:5} {b["throughput"]["uploads_per_sec"]:7.0f}/s  p50 {l["p50"]:5.1f} ms  p99 {l["p99"]:5.1f} ms'
      f'  server CPU {(y[0] - x[0]) * 1000 / hz / n:5.2f} ms  switches {(y[1] - x[1]) / n:5.1f} per upload'
      f'  failed {b["uploads"]["failed"]}')
P
}
start new "$BIN"
NAMES=(new)
if [[ -n ${BASE:-} ]]; then start base "$BASE"; NAMES=(base new); fi
for _ in $(seq "$ROUNDS"); do
  for n in "${NAMES[@]}"; do round "$n"; done
done
