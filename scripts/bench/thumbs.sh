#!/usr/bin/env bash
# Thumbnails over HTTP: the first 256 px thumbnail of a 4000x3000 JPEG (rendered on request:
# lookup, DCT-scaled decode, resize, sharpen, encode, store) and the same thumbnail cached
# (served from the blob store).
#   scripts/bench/thumbs.sh [BIN]   (default: builds and uses target/release/mwupload)
# Starts `mwupload serve` on a free port with a temp data dir, uploads a 4000x3000 JPEG (made
# with ImageMagick: plasma fractal plus noise, quality 90), asks imageinfo for iiurlwidth=256,
# then times with curl (time_total, loopback): the first request of the 256 px thumbnail, the
# first requests of 247..255 px (more first renders), and 500 cached requests of the 256 px one.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-}
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN=./target/release/mwupload; fi
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" serve --init --listen 127.0.0.1:0 --data "$WORK/data" >"$WORK/log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do grep -q 'listening on ' "$WORK/log" && break; sleep 0.1; done
set -a; . "$WORK/data/initial-credentials.env"; set +a
BASE=${API_URL%/w/api.php}
convert -size 4000x3000 -seed 7 plasma:fractal -attenuate 0.3 +noise Gaussian -quality 90 "$WORK/photo.jpg"
J="$WORK/cookies"
LT=$(curl -s -c "$J" -b "$J" "$API_URL?action=query&meta=tokens&type=login&format=json" | python3 -c 'import sys,json;print(json.load(sys.stdin)["query"]["tokens"]["logintoken"])')
curl -s -c "$J" -b "$J" --data-urlencode "lgname=$BOT_USER" --data-urlencode "lgpassword=$BOT_PASS" --data-urlencode "lgtoken=$LT" -d action=login -d format=json "$API_URL" >/dev/null
CSRF=$(curl -s -c "$J" -b "$J" "$API_URL?action=query&meta=tokens&format=json" | python3 -c 'import sys,json;print(json.load(sys.stdin)["query"]["tokens"]["csrftoken"])')
curl -s -c "$J" -b "$J" -F action=upload -F format=json -F filename=Bench-photo.jpg -F ignorewarnings=1 \
  -F "token=$CSRF" -F "file=@$WORK/photo.jpg;filename=photo.jpg" "$API_URL" >/dev/null
THUMB=$(curl -s "$API_URL?action=query&titles=File:Bench-photo.jpg&prop=imageinfo&iiprop=url|size&iiurlwidth=256&format=json&formatversion=2" \
  | python3 -c 'import sys,json;ii=json.load(sys.stdin)["query"]["pages"][0]["imageinfo"][0];print(ii["thumburl"])')
echo "source: $(identify -format '%wx%h %b' "$WORK/photo.jpg"); thumburl: $THUMB"
t() { curl -s -o "$WORK/out" -w '%{http_code} %{time_total}\n' "$1"; }
echo "first 256px: $(t "$THUMB") ($(identify -format '%wx%h %m' "$WORK/out"))"
for w in 255 254 253 252 251 250 249 248 247; do t "${THUMB/256px-/${w}px-}"; done > "$WORK/firsts"
for _ in $(seq 1 500); do t "$THUMB"; done > "$WORK/cached"
python3 - "$WORK/firsts" "$WORK/cached" <<'PY'
import sys
def stats(path):
    rows = [l.split() for l in open(path)]
    assert all(r[0] == '200' for r in rows), rows[:3]
    xs = sorted(float(r[1]) * 1000 for r in rows)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]
    return f"n={len(xs)} median {q(0.5):.2f} ms, p90 {q(0.9):.2f} ms, min {xs[0]:.2f} ms, max {xs[-1]:.2f} ms"
print("first renders 247..255px:", stats(sys.argv[1]))
print("cached 256px:", stats(sys.argv[2]))
PY
