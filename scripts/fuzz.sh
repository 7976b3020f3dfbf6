#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each, on top
# of its seed corpus. Usage: scripts/fuzz.sh [duration, default 5s]
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-5s}
status=0
for file in $(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v node_modules); do
  dir=$(dirname "$file")
  for fn in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | awk '{print $2}'); do
    echo "fuzz $dir $fn for $t"
    if ! go test "$dir" -run '^$' -fuzz "^$fn\$" -fuzztime "$t" >/tmp/fuzz.$$.log 2>&1; then
      cat /tmp/fuzz.$$.log; status=1
    fi
  done
done
rm -f /tmp/fuzz.$$.log
exit $status
