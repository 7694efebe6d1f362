#!/usr/bin/env bash
# The one test command: unit + integration tests (real server over HTTP), then the MediaWiki
# client acceptance scripts (unchanged copies of shared/acceptance) and the real-client suite
# (pywikibot, mwn, nodemw in tests/clients) against a fresh `mwupload serve` on embedded defaults
# (plus loopback URL uploads). Installs what it needs (Python venvs, npm ci) itself.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# What failed, collected from every part and printed last: CI shows only the tail of this output.
SUMMARY=/tmp/mwupload-test-summary.txt
: >"$SUMMARY"
failed_tests() { # part, cargo test log → its failed test names, then where and why each panicked
  # (The part's name is not put into a sed expression: it may hold a slash.)
  { grep -E '^test .+ \.\.\. FAILED$|^error: (test failed|could not compile)' "$2" || true; } |
    while IFS= read -r line; do printf '  %s: %s\n' "$1" "$line"; done >>"$SUMMARY"
  # A panic's location and the first lines of its message (the assertion and its values), cut
  # short: without them a flaky failure seen only in CI cannot be told apart from another.
  # (One awk, no grep or head: under pipefail a grep that matches nothing, or a writer cut off
  # by head, would fail the pipeline and end the whole script.)
  # Only when a test failed: a passing run's log may hold panics its tests expected.
  grep -qE '^test .+ \.\.\. FAILED$' "$2" || return 0
  awk '/^thread .+ panicked at /{n=4} n>0 && shown<24 {print substr($0,1,400); n--; shown++}' "$2" |
    while IFS= read -r line; do printf '  %s:   %s\n' "$1" "$line"; done >>"$SUMMARY"
}
failed_lines() { # part, log of a run.sh → its FAIL lines and failed scripts into the summary
  { grep -E '^ *FAIL |exit=[1-9]' "$2" || true; } | head -8 |
    while IFS= read -r line; do printf '  %s: %s\n' "$1" "${line#"${line%%[! ]*}"}"; done >>"$SUMMARY"
}

echo "== cargo test"
cargo test --workspace --locked 2>&1 | tee /tmp/mwupload-cargo-test.log
cargo_failed=$(grep -E '^test result:' /tmp/mwupload-cargo-test.log | grep -vc ' 0 failed' || true)
failed_tests "cargo (SQLite)" /tmp/mwupload-cargo-test.log

echo "== integration tests again, every server on a fresh PostgreSQL database"
# The same HTTP-level suite over the PostgreSQL adapter (.ci/run makes sure the server runs).
PG_SERVER=${MWUPLOAD_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
MWUPLOAD_TEST_DATABASE_URL=$PG_SERVER cargo test --locked -p mwupload --tests 2>&1 | tee /tmp/mwupload-cargo-test-pg.log
pg_failed=$(grep -E '^test result:' /tmp/mwupload-cargo-test-pg.log | grep -vc ' 0 failed' || true)
cargo_failed=$((cargo_failed + pg_failed))
failed_tests "cargo (PostgreSQL)" /tmp/mwupload-cargo-test-pg.log

echo "== layering: what each crate may not depend on (cargo tree)"
layering_failed=0
forbidden() { # crate, regex of crates it must not pull in
  local hits
  hits=$(cargo tree --locked -p "$1" -e normal --prefix none | grep -E "^($2) v" | sort -u || true)
  if [[ -n $hits ]]; then echo "FAILED: $1 depends on: $hits"; layering_failed=1; fi
}
forbidden mwupload-media 'axum|hyper|sqlx|reqwest|tokio|mwupload-store|mwupload-core'
forbidden mwupload-thumb 'axum|hyper|sqlx|reqwest|tokio|mwupload-store|mwupload-core'
forbidden mwupload-core 'axum|hyper|sqlx|reqwest|tower|mwupload-api'
# (The S3 adapter talks HTTP through object_store's reqwest client: the store may, axum not.)
forbidden mwupload-store 'axum|tower-http|mwupload-core|mwupload-api'
forbidden mwupload-api 'sqlx|reqwest'
forbidden mwupload-web 'sqlx|reqwest'
[[ $layering_failed -eq 0 ]] && echo "layering ok"

echo "== acceptance: python clients"
VENV=${MWUPLOAD_TEST_VENV:-$ROOT/target/acceptance-venv}
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/acceptance/requirements.txt

cargo build --locked --quiet
DATA=$(mktemp -d)
LOG=$DATA/server.log
# A config for the acceptance run: embedded defaults plus loopback URL uploads, as the scripts need.
cat > "$DATA/acceptance.toml" <<'TOML'
[url_uploads]
enabled = true
allow_addresses = ["127.0.0.0/8"]
TOML
"$ROOT/target/debug/mwupload" serve --listen 127.0.0.1:0 --data "$DATA" --config "$DATA/acceptance.toml" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$LOG" && break
  sleep 0.1
done
grep -q '^listening on ' "$LOG" || { cat "$LOG"; echo "server did not start"; exit 1; }
set -a; . "$DATA/initial-credentials.env"; set +a
export SKIP_URL=${SKIP_URL:-0}
export POLL_TIMEOUT=${POLL_TIMEOUT:-120}
acc_rc=0
PYTHON=$VENV/bin/python bash tests/acceptance/run.sh 2>&1 | tee /tmp/mwupload-acceptance.log || acc_rc=$?
[[ $acc_rc -ne 0 ]] && failed_lines acceptance /tmp/mwupload-acceptance.log

echo "== real clients: pywikibot, mwn, nodemw"
clients_rc=0
bash tests/clients/run.sh 2>&1 | tee /tmp/mwupload-clients.log || clients_rc=$?
[[ $clients_rc -ne 0 ]] && failed_lines clients /tmp/mwupload-clients.log

echo "== browser: the upload pages in chromium (playwright-core)"
# A fresh server of its own; screenshots go to a scratch dir (docs/screenshots holds the
# committed ones: run tests/browser/run.sh without SCREENSHOTS to refresh them).
browser_rc=0
SCREENSHOTS=${SCREENSHOTS:-$(mktemp -d)} bash tests/browser/run.sh 2>&1 | tee /tmp/mwupload-browser.log || browser_rc=$?
[[ $browser_rc -ne 0 ]] && failed_lines browser /tmp/mwupload-browser.log


echo "== performance guard: small and large uploads against this machine's limits (scripts/bench/guard.sh)"
# Ratios to the sha1sum, disk and fsync speeds measured in the same run, against the ratios
# recorded in scripts/bench/guard.json: fails on a 2x regression, not on a slower machine.
# MWUPLOAD_PERF_GUARD=skip skips it.
guard_rc=0
if [[ ${MWUPLOAD_PERF_GUARD:-} != skip ]]; then
  bash scripts/bench/guard.sh "$ROOT/target/debug/mwupload" || guard_rc=$?
  [[ $guard_rc -ne 0 ]] && echo "  perf guard: a ratio fell below half its recording (table above)" >>"$SUMMARY"
fi


echo "== fuzzing: each cargo-fuzz target for a short bounded time (MWUPLOAD_FUZZ_SECS, 0 = skip)"
# (The corpora are also replayed by cargo test, in tests/fuzz_corpus.rs.) A first run installs
# cargo-fuzz (~3 min) and builds the fuzz crate (~7 min on 2 cores).
fuzz_rc=0
FUZZ_SECS=${MWUPLOAD_FUZZ_SECS:-20}
if [[ $FUZZ_SECS -gt 0 ]]; then
  bash scripts/fuzz.sh "$FUZZ_SECS" || fuzz_rc=$?
  [[ $fuzz_rc -ne 0 ]] && echo "  fuzz: rc=$fuzz_rc (the FAILED line above names the target)" >>"$SUMMARY"
fi


echo "== cluster: PostgreSQL + Garage + 3 replicas + nginx (scripts/cluster.sh): acceptance, real clients, tests/cluster.rs"
# The scaled-out deployment, started as `scripts/cluster.sh up` starts it (installing nginx, and
# Garage through scripts/install-s3-servers.sh, when missing): the acceptance scripts and the real
# clients through nginx, then tests/cluster.rs (requests spread over the replicas, replicas SIGKILLed mid-chunk
# and mid-job), then the cargo HTTP integration suite once more with every test server a cluster
# of its own (MWUPLOAD_TEST_REPLICAS, tests/common/mod.rs). MWUPLOAD_TEST_CLUSTER=skip skips this part.
cluster_rc=0
if [[ ${MWUPLOAD_TEST_CLUSTER:-} == skip ]]; then
  echo "skipped (MWUPLOAD_TEST_CLUSTER=skip)"
else
  CLUSTER=$(mktemp -d /tmp/mwupload-cluster.XXXXXX)
  CLUSTER_TOML=$(mktemp)
  printf '[url_uploads]\nenabled = true\nallow_addresses = ["127.0.0.0/8"]\n' >"$CLUSTER_TOML"
  trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"; bash "$ROOT/scripts/cluster.sh" down "$CLUSTER" >/dev/null 2>&1 || true; rm -rf "$CLUSTER" "$CLUSTER_TOML"' EXIT
  export MWUPLOAD_BIN=$ROOT/target/debug/mwupload
  if CLUSTER_EXTRA_TOML=$CLUSTER_TOML bash scripts/cluster.sh up "$CLUSTER"; then
    part_rc=0
    (set -a; . "$CLUSTER/initial-credentials.env"; set +a; PYTHON=$VENV/bin/python bash tests/acceptance/run.sh) 2>&1 |
      tee /tmp/mwupload-cluster-acceptance.log || part_rc=$?
    [[ $part_rc -ne 0 ]] && { cluster_rc=$part_rc; failed_lines "cluster acceptance" /tmp/mwupload-cluster-acceptance.log; }
    part_rc=0
    (set -a; . "$CLUSTER/initial-credentials.env"; set +a; bash tests/clients/run.sh) 2>&1 |
      tee /tmp/mwupload-cluster-clients.log || part_rc=$?
    [[ $part_rc -ne 0 ]] && { cluster_rc=$part_rc; failed_lines "cluster clients" /tmp/mwupload-cluster-clients.log; }
    MWUPLOAD_TEST_CLUSTER=$CLUSTER cargo test --locked -p mwupload --test cluster 2>&1 | tee /tmp/mwupload-cargo-test-cluster.log || true
    if ! grep -E '^test result:' /tmp/mwupload-cargo-test-cluster.log | grep -q ' 0 failed'; then
      cluster_rc=1
      echo "  tests/cluster.rs failed" >>"$SUMMARY"
      failed_tests "tests/cluster.rs" /tmp/mwupload-cargo-test-cluster.log
    fi
    # The whole HTTP integration suite (tests/*.rs) again, every Server three replicas on a fresh
    # database of this cluster's PostgreSQL and one Garage bucket per test binary, behind an nginx
    # of its own (round-robin: consecutive requests land on different replicas; see
    # tests/common/mod.rs). Tests about one process say so (`one process, not a cluster: …`).
    # It adds about 10 minutes on 2 cores (the binaries are those built above).
    CLUSTER_PG=$(sed -n 's|^DATABASE_URL=\(.*\)/mwupload$|\1/postgres|p' "$CLUSTER/cluster.env")
    MWUPLOAD_TEST_REPLICAS=3 MWUPLOAD_TEST_DATABASE_URL=$CLUSTER_PG MWUPLOAD_TEST_STORAGE=garage \
      cargo test --locked --no-fail-fast -p mwupload --tests 2>&1 | tee /tmp/mwupload-cargo-test-replicas.log || true
    replica_results=$(grep -cE '^test result:' /tmp/mwupload-cargo-test-replicas.log || true)
    replica_failed=$(grep -E '^test result:' /tmp/mwupload-cargo-test-replicas.log | grep -vc ' 0 failed' || true)
    if [[ $replica_results -eq 0 || $replica_failed -ne 0 ]]; then
      echo "FAILED: the integration suite against 3 replicas behind nginx (/tmp/mwupload-cargo-test-replicas.log)"
      cluster_rc=1
      failed_tests "cargo (3 replicas)" /tmp/mwupload-cargo-test-replicas.log
    fi
    if [[ $cluster_rc -ne 0 ]]; then
      # The cluster's logs (replicas, nginx, Garage, PostgreSQL) outlive its directory.
      rm -rf /tmp/mwupload-cluster-logs && mkdir -p /tmp/mwupload-cluster-logs
      cp "$CLUSTER"/*.log "$CLUSTER"/nginx/*.log /tmp/mwupload-cluster-logs/ 2>/dev/null || true
      echo "cluster logs: /tmp/mwupload-cluster-logs"
    fi
  else
    echo "FAILED: scripts/cluster.sh up"
    echo "  cluster: scripts/cluster.sh up failed" >>"$SUMMARY"
    cluster_rc=1
  fi
  bash scripts/cluster.sh down "$CLUSTER" || true
fi


if [[ $cargo_failed -ne 0 || $layering_failed -ne 0 || $acc_rc -ne 0 || $clients_rc -ne 0 || $browser_rc -ne 0 || $fuzz_rc -ne 0 || $cluster_rc -ne 0 || $guard_rc -ne 0 ]]; then
  echo "== what failed"
  head -60 "$SUMMARY"
  echo "FAILED: cargo test failures=$cargo_failed layering=$layering_failed acceptance rc=$acc_rc clients rc=$clients_rc browser rc=$browser_rc fuzz rc=$fuzz_rc cluster rc=$cluster_rc perf guard rc=$guard_rc"
  exit 1
fi
echo "all tests passed"
