#!/usr/bin/env bash
# The public verify package must not import internal packages: other
# modules could not build it.
set -euo pipefail
cd "$(dirname "$0")/.."
if go list -deps ./verify | grep -q 'sallyport/internal/'; then
  echo "verify imports internal packages:"; go list -deps ./verify | grep 'sallyport/internal/'
  exit 1
fi
