#!/usr/bin/env bash
# check-stale.sh rebuilds the web app into a temporary directory and fails
# when the result differs from the committed web/dist, which the Go binary
# embeds. Run it after `npm ci` in web/. Fix a failure with `npm run build`
# in web/ and commit web/dist.
set -euo pipefail

web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$web"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

npx vite build --logLevel warn --outDir "$out/dist" --emptyOutDir

if ! diff -r "$web/dist" "$out/dist" >"$out/diff.txt" 2>&1; then
  echo "web/dist is stale: rebuild it with 'npm run build' in web/ and commit it." >&2
  head -n 40 "$out/diff.txt" >&2
  exit 1
fi
echo "web/dist is up to date."
