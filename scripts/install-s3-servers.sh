#!/usr/bin/env bash
# Installs the two S3 servers the S3 contract tests start on loopback: Garage 2.5.0 (lean build:
# SQLite metadata, system libsodium/libzstd) and s3s-fs 0.14.1 (the strict-S3 probe: it enforces
# EntityTooSmall and If-None-Match, which Garage does not). Each build is skipped when the binary
# already reports the right version. Binaries go to $MWUPLOAD_TOOLS/bin (default
# /var/tmp/mwupload-tools/bin); a cold install takes about 13 minutes on 2 cores.
set -euo pipefail
TOOLS=${MWUPLOAD_TOOLS:-/var/tmp/mwupload-tools}
GARAGE_VERSION=2.5.0
S3S_FS_VERSION=0.14.1
mkdir -p "$TOOLS/bin"
# One target dir for both builds, so shared dependencies compile once.
export CARGO_TARGET_DIR=${MWUPLOAD_TOOLS_TARGET:-$TOOLS/target}

have_version() { # binary, expected version
  [[ -x $TOOLS/bin/$1 ]] && "$TOOLS/bin/$1" --version 2>/dev/null | grep -qF "$2"
}

if have_version garage "$GARAGE_VERSION"; then
  echo "garage $GARAGE_VERSION already installed"
else
  if ! { dpkg -s libsodium-dev libzstd-dev pkg-config >/dev/null 2>&1; }; then
    apt-get update -qq && apt-get install -y -qq libsodium-dev libzstd-dev pkg-config
  fi
  echo "installing garage $GARAGE_VERSION (lean build, ~13 min cold)"
  SODIUM_USE_PKG_CONFIG=1 cargo install "garage@$GARAGE_VERSION" --locked --no-default-features \
    --features sqlite,system-libs --root "$TOOLS" --quiet
fi

if have_version s3s-fs "$S3S_FS_VERSION"; then
  echo "s3s-fs $S3S_FS_VERSION already installed"
else
  echo "installing s3s-fs $S3S_FS_VERSION"
  cargo install "s3s-fs@$S3S_FS_VERSION" --features binary --locked --root "$TOOLS" --quiet
fi
"$TOOLS/bin/garage" --version
"$TOOLS/bin/s3s-fs" --version
