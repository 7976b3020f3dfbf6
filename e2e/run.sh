#!/usr/bin/env bash
# run.sh runs every browser-side test of Sallyport, in order:
#   1. clients/js: type check and Vitest unit tests of the client and its React bindings;
#   2. web: type check and Vitest/React tests of the app;
#   3. e2e: the real binary driven by Debian's Chromium through playwright-core.
# It installs the npm packages of each part with `npm ci` when they are
# missing, and Chromium with apt when it is missing and we are root.
# It exits non-zero on the first failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

step() { printf '\n== %s\n' "$*"; }

install_npm() {
  local dir="$root/$1"
  # npm ci when node_modules is missing or older than the lock file.
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    step "npm ci in $1"
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
}

install_chromium() {
  if [ -x "$chromium" ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing chromium with apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -x "$chromium" ]; then
    echo "Chromium not found at $chromium: install Debian's 'chromium' package" >&2
    echo "or set CHROMIUM_PATH." >&2
    exit 1
  fi
}

install_npm clients/js
install_npm web
install_npm e2e

step "clients/js: type check and unit tests"
(cd "$root/clients/js" && npx tsc -p tsconfig.json --noEmit && npx vitest run)

step "web: type check and React tests"
(cd "$root/web" && npx tsc -p tsconfig.json --noEmit && npx vitest run)

step "e2e: building the binary"
install_chromium
bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
(cd "$root" && go build -o "$bin_dir/sallyport" ./cmd/sallyport)

step "e2e: real binary in Chromium"
cd "$root/e2e"
SALLYPORT_BIN="$bin_dir/sallyport" node --test --test-concurrency=1 tests/*.test.mjs
