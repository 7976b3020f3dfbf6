#!/usr/bin/env bash
# Builds the embedded FerretDB of this directory and starts it in the
# background on 127.0.0.1:27017, for the MongoDB tests, with its data in a
# new temporary directory. It returns once the server accepts connections.
#
# It is idempotent: when something already listens on the address, it
# does nothing. Settings, from the environment:
#
#   FERRETDB_ADDR  loopback address to listen on (default 127.0.0.1:27017)
#   FERRETDB_DIR   directory for the binary, the data, the log and the pid
#                  file (default: a new directory under $TMPDIR or /tmp)
#
# Stop it with: kill "$(cat "$FERRETDB_DIR/ferretdb.pid")"
set -euo pipefail

addr=${FERRETDB_ADDR:-127.0.0.1:27017}
host=${addr%:*}
port=${addr##*:}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

listening() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if listening; then
	echo "ferretdb: something already listens on $addr; leaving it as it is"
	exit 0
fi

dir=${FERRETDB_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sallyport-ferretdb.XXXXXX")}
mkdir -p "$dir"
echo "ferretdb: building (the first build takes about a minute)"
(cd "$here" && go build -o "$dir/ferretdb" .)

setsid nohup "$dir/ferretdb" -listen "$addr" -dir "$dir/data" \
	>"$dir/ferretdb.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$dir/ferretdb.pid"

for _ in $(seq 1 300); do
	if listening; then
		echo "ferretdb: listening on $addr (pid $pid, data and log in $dir)"
		exit 0
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "ferretdb: exited before it listened; its log:" >&2
		cat "$dir/ferretdb.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "ferretdb: not listening on $addr after 30 s; its log:" >&2
cat "$dir/ferretdb.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
