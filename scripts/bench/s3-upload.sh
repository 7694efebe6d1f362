#!/usr/bin/env bash
# Uploads one file directly and in chunks to `mwupload serve`, on local disk and on a Garage
# bucket on loopback, and prints wall time, throughput and the server's peak RSS (VmHWM) for
# each. Usage: scripts/bench/s3-upload.sh [SIZE_MIB=256] [CHUNK=5MiB] [BIN=target/release/mwupload]
# Needs Garage (scripts/install-s3-servers.sh). Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
SIZE_MIB=${1:-256}
CHUNK=${2:-5MiB}
BIN=${3:-target/release/mwupload}
GARAGE=${MWUPLOAD_GARAGE_BIN:-${MWUPLOAD_TOOLS:-/var/tmp/mwupload-tools}/bin/garage}
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Garage, one node, as in docs/ecosystem notes.
RPC=$(port); S3=$(port); ADM=$(port)
cat > "$W/garage.toml" <<T
metadata_dir = "$W/g/meta"
data_dir = "$W/g/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$RPC"
rpc_public_addr = "127.0.0.1:$RPC"
rpc_secret = "$(openssl rand -hex 32)"
[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$S3"
root_domain = ".s3.garage.localhost"
[admin]
api_bind_addr = "127.0.0.1:$ADM"
admin_token = "$(openssl rand -hex 32)"
T
G() { "$GARAGE" -c "$W/garage.toml" "$@"; }
RUST_LOG=warn "$GARAGE" -c "$W/garage.toml" server >"$W/garage.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do G status >/dev/null 2>&1 && break; sleep 0.2; done
G layout assign -z dc1 -c 10G "$(G node id -q | cut -c1-16)" >/dev/null
G layout apply --version 1 >/dev/null
G bucket create bench >/dev/null
G key import --yes -n bench GK0123456789abcdef01234567 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef >/dev/null
G bucket allow --read --write bench --key bench >/dev/null

head -c $((SIZE_MIB << 20)) /dev/urandom > "$W/Bench.bin.txt"

run() { # name, storage toml
  local name=$1 toml=$2 data="$W/data-$1"
  mkdir -p "$data"
  printf '%s\n[uploads]\nmax_upload_size = 2147483648\nfile_extensions = ["txt"]\n' "$toml" > "$data/c.toml"
  "$BIN" serve --listen 127.0.0.1:0 --data "$data" --config "$data/c.toml" >"$data/log" 2>&1 &
  local srv=$!
  PIDS+=($srv)
  for _ in $(seq 100); do grep -q '^listening on ' "$data/log" && break; sleep 0.1; done
  local api; api="$(sed -n 's/^listening on //p' "$data/log")/w/api.php"
  set -a; . "$data/initial-credentials.env"; set +a
  for mode in direct chunked; do
    local cs=$CHUNK
    [[ $mode == direct ]] && cs=$((SIZE_MIB + 1))MiB
    cp "$W/Bench.bin.txt" "$W/${mode}-${name}.txt"
    local t0 t1
    t0=$(date +%s.%N)
    MWUPLOAD_USER=$BOT_USER MWUPLOAD_PASSWORD=$BOT_PASS "$BIN" upload --api "$api" --chunk-size "$cs" \
      --progress none --allow-duplicates --state "$W/state-$name-$mode.json" --ignore-warnings "$W/${mode}-${name}.txt" >"$W/up.log" 2>&1 \
      || { cat "$W/up.log"; exit 1; }
    t1=$(date +%s.%N)
    grep -q "1 uploaded" "$W/up.log" || { echo "upload did not happen:"; cat "$W/up.log"; exit 1; }
    python3 - "$name" "$mode" "$t0" "$t1" "$SIZE_MIB" "$(grep VmHWM /proc/$srv/status | awk '{print $2}')" <<'P'
import sys
name, mode, t0, t1, mib, hwm = sys.argv[1:]
dt = float(t1) - float(t0)
print(f"{name:6} {mode:8} {mib} MiB  {dt:6.2f} s  {float(mib)/dt:7.1f} MiB/s  server peak RSS so far {int(hwm)/1024:.1f} MiB")
P
  done
  kill $srv; wait $srv 2>/dev/null || true
}

run local ''
run garage "[storage]
kind = \"s3\"
endpoint = \"http://127.0.0.1:$S3\"
bucket = \"bench\"
region = \"garage\"
access_key_id = \"GK0123456789abcdef01234567\"
secret_access_key = \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
