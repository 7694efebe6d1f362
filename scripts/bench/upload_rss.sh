#!/usr/bin/env bash
# Peak server memory while receiving one large direct upload (streamed multipart).
#   scripts/bench/upload_rss.sh [SIZE_MIB]   (default 2048)
# Builds release, starts `mwupload serve` on a free port with a temp data dir, logs in with the
# bot password, uploads a SIZE_MIB text file with curl, and prints the server's VmHWM (peak RSS).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MIB=${1:-2048}
cargo build --release --quiet
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
cat > "$WORK/bench.toml" <<TOML
[uploads]
max_upload_size = $(( (SIZE_MIB + 16) * 1024 * 1024 ))
TOML
./target/release/mwupload serve --init --listen 127.0.0.1:0 --data "$WORK/data" --config "$WORK/bench.toml" >"$WORK/log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$WORK/log" && break; sleep 0.1; done
set -a; . "$WORK/data/initial-credentials.env"; set +a
J="$WORK/cookies"
LT=$(curl -s -c "$J" -b "$J" "$API_URL?action=query&meta=tokens&type=login&format=json" | python3 -c 'import sys,json;print(json.load(sys.stdin)["query"]["tokens"]["logintoken"])')
curl -s -c "$J" -b "$J" --data-urlencode "lgname=$BOT_USER" --data-urlencode "lgpassword=$BOT_PASS" --data-urlencode "lgtoken=$LT" -d action=login -d format=json "$API_URL" >/dev/null
CSRF=$(curl -s -c "$J" -b "$J" "$API_URL?action=query&meta=tokens&format=json" | python3 -c 'import sys,json;print(json.load(sys.stdin)["query"]["tokens"]["csrftoken"])')
# Text content (accepted as text/plain); generated on the fly into a file once.
head -c $((SIZE_MIB * 1024 * 1024)) < <(yes 'mwupload benchmark line of text') > "$WORK/big.txt"
echo "baseline VmHWM: $(grep VmHWM /proc/$SERVER/status)"
START=$(date +%s.%N)
RESULT=$(curl -s -c "$J" -b "$J" -F action=upload -F format=json -F filename=Bench-$SIZE_MIB.txt -F ignorewarnings=1 \
  -F "token=$CSRF" -F "file=@$WORK/big.txt;filename=big.txt" "$API_URL")
END=$(date +%s.%N)
echo "result: $(echo "$RESULT" | python3 -c 'import sys,json;d=json.load(sys.stdin);u=d.get("upload",d);print(u.get("result"), u.get("imageinfo",{}).get("size"), d.get("error",""))')"
echo "upload of $SIZE_MIB MiB took $(python3 -c "print(round($END-$START,2))") s"
echo "peak: $(grep VmHWM /proc/$SERVER/status)"
