#!/usr/bin/env bash
# One run that measures the machine's own limits and then the workloads of issue 15 against
# every target it can reach, and writes the results into the docs:
#
#   limits     sha1sum MiB/s (256 MiB in page cache), disk write + fsync MiB/s (dd conv=fsync),
#              small fsyncs/s (4 KiB write + fsync), loopback TCP MiB/s
#   targets    embedded   `mwupload serve`, SQLite + local disk (a temp data dir)
#              cluster-1  scripts/cluster.sh with ONE replica (PostgreSQL + Garage + nginx)
#              cluster-3  scripts/cluster.sh with THREE replicas
#              mediawiki  the reference MediaWiki 1.39 on 127.0.0.1:8080, when it answers
#   workloads  direct 256 MiB, chunked 256 MiB in 5 MiB chunks, 10 KiB uploads at 1…32
#              clients (throughput by concurrency, latency percentiles), server peak memory
#
# Every workload is `mwupload bench` (release build): fresh random PNG content per upload, the
# stored SHA-1 checked. Writes docs/benchmarks.md's "Side by side" section, docs/plots/*.png
# (gnuplot) and the table in docs/deploy.md's "Measuring it" section; raw JSON stays in $OUT.
#
# Usage: scripts/bench/compare.sh   (env: BIN, BENCH_SECONDS=10, BENCH_CONCURRENCY="1 4 16 32",
#        BENCH_BIG_MIB=256, COMPARE_TARGETS="embedded cluster-1 cluster-3 mediawiki",
#        OUT=target/compare, COMPARE_WRITE_DOCS=1)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${BIN:-$ROOT/target/release/mwupload}
SECS=${BENCH_SECONDS:-10}
CONCS=${BENCH_CONCURRENCY:-1 4 16 32}
BIG=${BENCH_BIG_MIB:-256}
TARGETS=${COMPARE_TARGETS:-embedded cluster-1 cluster-3 mediawiki}
OUT=${OUT:-$ROOT/target/compare}
REFWIKI_CREDS=${REFWIKI_CREDS:-/tmp/refwiki/credentials.env}
[[ -x $BIN ]] || { echo "compare: build first: cargo build --release -p mwupload ($BIN)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
W=$(mktemp -d)
# scripts/cluster.sh runs PostgreSQL as user postgres: it must reach the cluster directories.
chmod 755 "$W"
SRV=
CLUSTER_DIR=
cleanup() {
  [[ -n $SRV ]] && { kill -INT "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; }
  [[ -n $CLUSTER_DIR ]] && MWUPLOAD_BIN=$BIN scripts/cluster.sh down "$CLUSTER_DIR" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
log() { echo "compare: $*" >&2; }

# ---- the machine's limits ------------------------------------------------------------------
log "measuring the machine's limits"
head -c $((BIG << 20)) /dev/urandom >"$W/big"
cat "$W/big" >/dev/null
python3 - "$W" "$BIG" >"$OUT/limits.json" <<'P'
import json, os, socket, subprocess, sys, threading, time
w, mib = sys.argv[1], int(sys.argv[2])
big = os.path.join(w, "big")
best = None
for _ in range(2):
    t = time.perf_counter(); subprocess.run(["sha1sum", big], check=True, capture_output=True)
    d = time.perf_counter() - t; best = d if best is None else min(best, d)
sha1 = mib / best
t = time.perf_counter()
subprocess.run(["dd", f"if={big}", f"of={w}/dd", "bs=1M", "conv=fsync"], check=True, capture_output=True)
disk = mib / (time.perf_counter() - t)
os.unlink(f"{w}/dd")
fd = os.open(f"{w}/fs", os.O_WRONLY | os.O_CREAT)
n = 300; t = time.perf_counter()
for _ in range(n):
    os.write(fd, b"x" * 4096); os.fsync(fd)
fsyncs = n / (time.perf_counter() - t)
os.close(fd); os.unlink(f"{w}/fs")
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
total = 2 << 30
def sink():
    c, _ = srv.accept(); got = 0
    while got < total:
        b = c.recv(1 << 20)
        if not b: break
        got += len(b)
    c.close()
th = threading.Thread(target=sink); th.start()
cl = socket.create_connection(srv.getsockname()); buf = b"\0" * (1 << 20)
t = time.perf_counter()
for _ in range(total >> 20): cl.sendall(buf)
cl.close(); th.join()
loop = (total >> 20) / (time.perf_counter() - t)
print(json.dumps({"sha1sum_mib_s": round(sha1, 1), "disk_write_fsync_mib_s": round(disk, 1),
                  "fsyncs_per_s": round(fsyncs, 1), "loopback_mib_s": round(loop, 1),
                  "cores": os.cpu_count(), "load": open("/proc/loadavg").read().split()[:3]}))
P
rm -f "$W/big"
log "limits: $(cat "$OUT/limits.json")"

# ---- one target ----------------------------------------------------------------------------
# Peak memory of the server processes: the largest VmHWM (one process per replica; for
# MediaWiki the sum over the php-fpm pool, which serves one request per process).
peak_rss_mib() { # pids…
  local mode=$1; shift
  python3 - "$mode" "$@" <<'P'
import sys
mode, pids = sys.argv[1], sys.argv[2:]
vals = []
for p in pids:
    try:
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmHWM:"): vals.append(int(line.split()[1]) / 1024)
    except OSError: pass
print(round(sum(vals) if mode == "sum" else max(vals or [0]), 1))
P
}

bench() { # target workload api user passfile args…
  local target=$1 wl=$2 api=$3 user=$4 pass=$5; shift 5
  local f="$OUT/$target-$wl.json"
  log "$target: $wl"
  if ! "$BIN" bench --api "$api" --user "$user" --password-file "$pass" --json --prefix "Cmp-$target" "$@" >"$f" 2>"$f.err"; then
    log "$target $wl: bench exited $? ($(head -c 300 "$f.err"))"
  fi
  [[ -s $f ]] || echo '{"failed": true}' >"$f"
  python3 - "$f" "$target" "$wl" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'P'
import json, sys
f, target, wl, load = sys.argv[1:]
d = json.load(open(f)); d["target"] = target; d["workload"] = wl; d["load_after"] = load
json.dump(d, open(f, "w"))
P
}

run_workloads() { # target api user passfile rss-mode pids…
  local target=$1 api=$2 user=$3 pass=$4 mode=$5; shift 5
  bench "$target" direct "$api" "$user" "$pass" --size "${BIG}MiB" --count 1 --concurrency 1 --chunk-size 0
  bench "$target" chunked "$api" "$user" "$pass" --size "${BIG}MiB" --count 1 --concurrency 1 --chunk-size 5MiB
  for c in $CONCS; do
    bench "$target" "small-c$c" "$api" "$user" "$pass" --size 10KiB --concurrency "$c" --duration "${SECS}s"
  done
  local pids=("$@")
  if [[ $mode == fpm ]]; then mapfile -t pids < <(pgrep -f 'php-fpm: pool' || true); mode=sum; fi
  echo "{\"target\": \"$target\", \"peak_rss_mib\": $(peak_rss_mib "$mode" "${pids[@]}"), \"processes\": ${#pids[@]}}" >"$OUT/$target-memory.json"
}

for target in $TARGETS; do
  case $target in
    embedded)
      mkdir -p "$W/emb"
      "$BIN" serve --listen 127.0.0.1:0 --data "$W/emb" >"$W/emb.log" 2>&1 &
      SRV=$!
      for _ in $(seq 300); do grep -q '^listening on ' "$W/emb.log" && break; sleep 0.1; done
      api="$(sed -n 's/^listening on //p' "$W/emb.log")/w/api.php"
      (set -a; . "$W/emb/initial-credentials.env"; printf '%s' "$BOT_PASS" >"$W/emb.pass"; echo "$BOT_USER" >"$W/emb.user")
      run_workloads embedded "$api" "$(cat "$W/emb.user")" "$W/emb.pass" max "$SRV"
      kill -INT "$SRV"; wait "$SRV" 2>/dev/null || true; SRV=
      ;;
    cluster-*)
      n=${target#cluster-}
      CLUSTER_DIR="$W/$target"
      if ! CLUSTER_REPLICAS=$n MWUPLOAD_BIN=$BIN scripts/cluster.sh up "$CLUSTER_DIR" >"$W/$target.up" 2>&1; then
        log "$target: scripts/cluster.sh up failed; skipped ($(tail -3 "$W/$target.up" | tr '\n' ' '))"
        MWUPLOAD_BIN=$BIN scripts/cluster.sh down "$CLUSTER_DIR" >/dev/null 2>&1 || true
        CLUSTER_DIR=; continue
      fi
      (set -a; . "$CLUSTER_DIR/initial-credentials.env"; printf '%s' "$BOT_PASS" >"$W/$target.pass"; echo "$BOT_USER" >"$W/$target.user"; echo "$API_URL" >"$W/$target.api")
      run_workloads "$target" "$(cat "$W/$target.api")" "$(cat "$W/$target.user")" "$W/$target.pass" max $(cat "$CLUSTER_DIR"/replica-*.pid)
      MWUPLOAD_BIN=$BIN scripts/cluster.sh down "$CLUSTER_DIR" >/dev/null 2>&1 || true
      CLUSTER_DIR=
      ;;
    mediawiki)
      if [[ ! -f $REFWIKI_CREDS ]] || ! curl -sf -m 5 -o /dev/null "http://127.0.0.1:8080/w/api.php?action=query&meta=siteinfo&format=json"; then
        log "mediawiki: nothing answers on 127.0.0.1:8080; skipped"; continue
      fi
      (set -a; . "$REFWIKI_CREDS"; printf '%s' "$BOT_PASS" >"$W/mw.pass"; echo "$BOT_USER" >"$W/mw.user"; echo "$API_URL" >"$W/mw.api")
      run_workloads mediawiki "$(cat "$W/mw.api")" "$(cat "$W/mw.user")" "$W/mw.pass" fpm
      ;;
    *) log "unknown target $target"; exit 2 ;;
  esac
done

# ---- tables and plots ----------------------------------------------------------------------
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- crates src 2>/dev/null || echo "+dirty")
python3 "$ROOT/scripts/bench/compare_report.py" "$OUT" "$COMMIT" "$CONCS" "$BIG"
if command -v gnuplot >/dev/null; then
  mkdir -p "$OUT/plots"
  gnuplot "$OUT/plot.gp"
else
  log "gnuplot missing (apt-get install -y gnuplot-nox): no plots"
fi
if [[ ${COMPARE_WRITE_DOCS:-1} == 1 ]]; then
  python3 "$ROOT/scripts/bench/compare_report.py" --write-docs "$OUT" "$ROOT/docs"
  [[ -d $OUT/plots ]] && { mkdir -p docs/plots; cp "$OUT"/plots/*.png docs/plots/; }
  log "wrote docs/benchmarks.md, docs/deploy.md and docs/plots/"
fi
cat "$OUT/summary.md"
