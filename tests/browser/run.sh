#!/usr/bin/env bash
# The upload pages in a real browser (Debian's chromium driven by playwright-core; no browser
# download): starts a fresh `mwupload serve` on a free port with a temp data dir, runs
# upload.test.mjs against it, prints "N passed, M failed" and exits non-zero on failure.
#
#   bash tests/browser/run.sh            # uses target/debug/mwupload (built if missing)
#   SCREENSHOTS=/tmp/shots bash tests/browser/run.sh
#
# Needs node/npm and /usr/bin/chromium (.ci/run installs them). Screenshots go to
# docs/screenshots unless SCREENSHOTS says otherwise.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || { echo "no chromium at $CHROMIUM (apt-get install chromium)"; echo "0 passed, 1 failed"; exit 1; }
BIN=${MWUPLOAD_BIN:-$ROOT/target/debug/mwupload}
[[ -x $BIN ]] || (cd "$ROOT" && cargo build --locked --quiet)
if [[ ! -d $HERE/node_modules/playwright-core ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi
DATA=$(mktemp -d)
LOG=$DATA/server.log
"$BIN" serve --listen 127.0.0.1:0 --data "$DATA" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$LOG" && break
  sleep 0.1
done
grep -q '^listening on ' "$LOG" || { cat "$LOG"; echo "server did not start"; echo "0 passed, 1 failed"; exit 1; }
BASE_URL=$(grep -m1 '^listening on ' "$LOG" | sed 's/^listening on //')
set -a; . "$DATA/initial-credentials.env"; set +a
export BASE_URL ADMIN_USER ADMIN_PASS CHROMIUM
node "$HERE/upload.test.mjs"
