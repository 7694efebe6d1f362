#!/usr/bin/env bash
# Run the real-client tests (pywikibot 11.9.0, mwclient 0.11.0, mwn 3.0.3, nodemw 0.27.0) against one
# running server; prints one combined "N passed, M failed" line, exits non-zero on failure.
#
#   API_URL=http://127.0.0.1:PORT/w/api.php BOT_USER='Admin@bot' BOT_PASS=... \
#   ADMIN_USER=Admin ADMIN_PASS=... bash tests/clients/run.sh
#
# Starts no server. Installs what it needs: a Python venv (default target/clients-venv,
# override with CLIENTS_VENV) with requirements.txt, and `npm ci` in node/.
# Passed through to the scripts: SKIP_URL=1 (skip server-side URL uploads), POLL_TIMEOUT,
# CHUNK_SIZE (pywikibot), BIG_SIDE (mwn), TRACE=1 (print every HTTP exchange).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${API_URL:?set API_URL}" "${BOT_USER:?set BOT_USER}" "${BOT_PASS:?set BOT_PASS}"
: "${ADMIN_USER:?set ADMIN_USER}" "${ADMIN_PASS:?set ADMIN_PASS}"
export API_URL BOT_USER BOT_PASS ADMIN_USER ADMIN_PASS

total_p=0; total_f=0; total_s=0; rc=0
tally() {  # name exit-status log
  local name=$1 r=$2 log=$3 line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  echo "[$name] exit=$r: ${line:-no result line}"
  grep -E '^FAIL ' "$log" | sed 's/^/    /'
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
    total_p=$((total_p + BASH_REMATCH[1])); total_f=$((total_f + BASH_REMATCH[2]))
    total_s=$((total_s + ${BASH_REMATCH[4]:-0}))
  else
    total_f=$((total_f + 1))
  fi
  if [[ $r -ne 0 ]]; then
    rc=1
    echo "    --- $name output (tail) ---"; tail -n 60 "$log" | sed 's/^/    /'
  fi
}

echo "== installing clients"
VENV=${CLIENTS_VENV:-$ROOT/target/clients-venv}
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV" || { echo "cannot create venv $VENV"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"; then
  echo "pip install failed"; echo "0 passed, 1 failed"; exit 1
fi
if ! (cd "$HERE/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
  echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1
fi

LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

echo "== pywikibot"
"$VENV/bin/python" "$HERE/pywikibot_upload.py" >"$LOGDIR/pwb.log" 2>&1
tally pywikibot_upload.py $? "$LOGDIR/pwb.log"

echo "== mwclient (browsing: allimages, history, duplicates)"
"$VENV/bin/python" "$HERE/mwclient_browse.py" >"$LOGDIR/mwc.log" 2>&1
tally mwclient_browse.py $? "$LOGDIR/mwc.log"

echo "== mwn"
(cd "$HERE/node" && node mwn_upload.mjs) >"$LOGDIR/mwn.log" 2>&1
tally mwn_upload.mjs $? "$LOGDIR/mwn.log"

echo "== nodemw"
(cd "$HERE/node" && node nodemw_upload.js) >"$LOGDIR/nodemw.log" 2>&1
tally nodemw_upload.js $? "$LOGDIR/nodemw.log"

line="$total_p passed, $total_f failed"
[[ $total_s -gt 0 ]] && line+=", $total_s skipped"
echo "$line"
[[ $total_f -gt 0 ]] && rc=1
exit $rc
