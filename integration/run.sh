#!/usr/bin/env bash
# Runs the integration tests that need more than `go test`: the Express
# middleware's tests (unit tests and the example API against the real
# binary) and the nginx forward-auth test. Builds cmd/sallyport once and
# installs the npm dependencies with npm ci when they are missing. Exits
# non-zero when any part fails. The Go middleware's integration test runs
# with `go test ./examples/go-api/`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== building cmd/sallyport"
(cd "$root" && go build -o "$tmp/sallyport" ./cmd/sallyport)
export SALLYPORT_BIN="$tmp/sallyport"

# The example links clients/express, whose dependencies it uses, so that
# package comes first.
for dir in clients/express examples/express-api; do
    if [ ! -d "$root/$dir/node_modules" ]; then
        echo "== npm ci in $dir"
        (cd "$root/$dir" && npm ci --no-audit --no-fund)
    fi
done

status=0
echo "== clients/express: node --test"
(cd "$root/clients/express" && node --test test/) || status=1

echo "== integration/forwardauth: nginx"
"$root/integration/forwardauth/run.sh" || status=1

exit "$status"
