#!/usr/bin/env bash
# Runs the curl walk-through of README.md exactly as written against a
# fresh server on the README's default address, and checks its output.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

if curl -s -o /dev/null http://127.0.0.1:8080/ 2>/dev/null; then
  echo "walkthrough: something already listens on 127.0.0.1:8080; stop it first"; exit 1
fi
go build -o "$tmp/sallyport" "$root/cmd/sallyport"
(cd "$tmp" && exec ./sallyport serve 2>"$tmp/server.log") &
pid=$!
for _ in $(seq 50); do
  curl -sf http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf http://127.0.0.1:8080/healthz >/dev/null || {
  echo "walkthrough: server did not start"; cat "$tmp/server.log"; exit 1; }

awk '/^```sh$/{on=1; next} /^```$/{on=0} on' "$root/README.md" > "$tmp/walk.sh"
out=$(cd "$tmp" && bash -euo pipefail walk.sh 2>&1)

fail=0
check() {
  if ! grep -qiE -- "$1" <<<"$out"; then
    echo "walkthrough: output lacks /$1/"; fail=1
  fi
}
check '"access_token":"ey'
check '"user":\{"id":"[^"]+","email":"ada@example.com"'
check '^204$'
check '^HTTP/1.1 401'
check '"error":"session_revoked"'
check 'WWW-Authenticate: Bearer realm="sallyport", error="invalid_token"'
if grep -qiE 'correct horse|"access_token":"ey' "$tmp/server.log"; then
  echo "walkthrough: the server log holds a password or token"; fail=1
fi
if [ "$fail" != 0 ]; then echo "$out"; exit 1; fi
echo "walkthrough: 1 passed, 0 failed"
