#!/usr/bin/env bash
# Forward auth with Debian's nginx, for real: nginx on loopback proxies to a
# small backend and asks a real Sallyport binary about each token with
# auth_request, using the snippets in deploy/nginx. Checks that a real token
# reaches the backend with the identity headers, that a missing, forged,
# expired or logged-out token gets Sallyport's 401 contract, that a user
# gets 403 on the admin route, and that clients cannot forge identity
# headers. Exits non-zero on the first failure.
#
# Installs nginx with apt-get when it is missing, but never starts the
# system service: the nginx here runs in the foreground with its own config,
# pid, logs and temp paths in a temporary directory. Set SALLYPORT_BIN to
# use a built binary instead of building cmd/sallyport.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
pids=()

cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        echo "--- sallyport log"; tail -n 30 "$tmp/sallyport.log" 2>/dev/null || true
        echo "--- nginx error log"; tail -n 30 "$tmp/error.log" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }

# --- tools
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    echo "installing nginx (the system service is not started)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq nginx >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v curl >/dev/null || fail "curl is needed"
command -v node >/dev/null || fail "node is needed for the backend"

bin=${SALLYPORT_BIN:-}
if [ -z "$bin" ]; then
    bin="$tmp/sallyport"
    (cd "$root" && go build -o "$bin" ./cmd/sallyport)
fi

free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1",
        () => { console.log(s.address().port); s.close(); })'
}
sp_port=$(free_port)
app_port=$(free_port)
nginx_port=$(free_port)
sp="http://127.0.0.1:$sp_port"
front="http://127.0.0.1:$nginx_port"

wait_for() {
    local url=$1
    for _ in $(seq 1 150); do
        if curl -s -o /dev/null "$url"; then return 0; fi
        sleep 0.1
    done
    fail "nothing answers at $url"
}

# --- Sallyport, with 3 s tokens and 1 s leeway so expiry is quick to see.
# SALLYPORT_* settings of the caller's environment are left out.
clean=()
for name in $(env | sed -n 's/^\(SALLYPORT_[A-Za-z0-9_]*\)=.*/\1/p'); do
    clean+=(-u "$name")
done
data="$tmp/data"
env "${clean[@]}" "$bin" serve --addr "127.0.0.1:$sp_port" --public-url "$sp" \
    --data-dir "$data" --access-ttl 3s --leeway 1s >"$tmp/sallyport.log" 2>&1 &
pids+=($!)
wait_for "$sp/healthz"

# --- the backend
node "$here/backend.mjs" "$app_port" >"$tmp/backend.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$app_port/"

# --- nginx, with the snippets from deploy/nginx
mkdir -p "$tmp/snippets"
cp "$root"/deploy/nginx/sallyport-*.conf "$tmp/snippets/"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log notice;
events { worker_connections 64; }
http {
    access_log $tmp/access.log;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;

    include $tmp/snippets/sallyport-http.conf;
    upstream sallyport { server 127.0.0.1:$sp_port; keepalive 4; }
    upstream app { server 127.0.0.1:$app_port; keepalive 4; }

    server {
        listen 127.0.0.1:$nginx_port;
        include $tmp/snippets/sallyport-server.conf;

        location /api/auth/ { proxy_pass http://sallyport; }
        location /api/ {
            include $tmp/snippets/sallyport-protect.conf;
            proxy_pass http://app;
        }
        location / {
            proxy_set_header X-Sallyport-User "";
            proxy_set_header X-Sallyport-Role "";
            proxy_set_header X-Sallyport-Session "";
            proxy_set_header X-Sallyport-Email "";
            proxy_pass http://app;
        }
    }
}
CONF
"$NGINX" -t -q -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' 2>"$tmp/nginx-t.log" ||
    { cat "$tmp/nginx-t.log"; fail "nginx rejects the config"; }
"$NGINX" -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' 2>>"$tmp/error.log" &
pids+=($!)
wait_for "$front/"

# --- helpers
# request PATH [TOKEN [HEADER]]: sets status, body and challenge.
request() {
    local args=(-s -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}')
    [ -n "${2:-}" ] && args+=(-H "Authorization: Bearer $2")
    [ -n "${3:-}" ] && args+=(-H "$3")
    status=$(curl "${args[@]}" "$front$1")
    body=$(cat "$tmp/body")
    challenge=$(grep -i '^WWW-Authenticate:' "$tmp/headers" | sed 's/^[^:]*: //' | tr -d '\r' ||
        true)
    challenges=$(grep -ci '^WWW-Authenticate:' "$tmp/headers" || true)
}
expect() { # expect NAME STATUS BODY-FRAGMENT
    [ "$status" = "$2" ] || fail "$1: got status $status, want $2 (body $body)"
    case "$body" in *"$3"*) ;; *) fail "$1: body $body lacks $3" ;; esac
    ok "$1"
}
expect_401() { # expect_401 NAME CODE MESSAGE CHALLENGE
    expect "$1" 401 "{\"error\":\"$2\",\"message\":\"$3\"}"
    [ "$challenge" = "$4" ] || fail "$1: got WWW-Authenticate '$challenge', want '$4'"
    [ "$challenges" = 1 ] || fail "$1: got $challenges WWW-Authenticate headers, want 1"
}
json_field() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",
    ()=>console.log(JSON.parse(d)[process.argv[1]] ?? ""))' "$1"; }
signup() {
    curl -s -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"correct horse battery\"}" "$front/api/auth/$2"
}
invalid='Bearer realm="sallyport", error="invalid_token", error_description='

# --- the checks
request /public/hello "" "X-Sallyport-User: forged"
expect "public route, forged identity header dropped" 200 '"user":""'

request /api/private
expect_401 "no token" token_missing "an access token is required" 'Bearer realm="sallyport"'

user_json=$(signup user@example.com signup)
user_token=$(echo "$user_json" | json_field access_token)
user_exp=$(echo "$user_json" | json_field expires_at)
[ -n "$user_token" ] || fail "signup gave no token: $user_json"

request /api/private "$user_token" "X-Sallyport-Role: admin"
expect "real token reaches the backend" 200 '"role":"user"'
case "$body" in *"\"session\":\"\""*) fail "no session header: $body" ;; esac
case "$body" in *"\"user\":\"\""*) fail "no user header: $body" ;; esac
ok "identity headers come from Sallyport, not the client"

request /api/private "${user_token%????}AAAA"
expect_401 "forged signature" token_invalid "access token is invalid" \
    "${invalid}\"access token is invalid\""

request /api/admin "$user_token"
expect "user on the admin route" 403 '"error":"forbidden"'

signup boss@example.com signup >/dev/null
env "${clean[@]}" "$bin" user set-role --email boss@example.com --role admin \
    --data-dir "$data" >/dev/null
boss_token=$(signup boss@example.com login | json_field access_token)
request /api/admin "$boss_token"
expect "admin on the admin route" 200 '"role":"admin"'

status=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $boss_token" "$front/api/auth/logout")
[ "$status" = 204 ] || fail "logout: got $status, want 204"
start=$(date +%s%N)
while :; do
    request /api/private "$boss_token"
    [ "$status" = 401 ] && break
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] ||
        fail "token still accepted 5 s after logout"
    sleep 0.1
done
expect_401 "logged-out session" session_revoked "the session has been revoked" \
    "${invalid}\"the session has been revoked\""

# Wait out the user's token: 3 s lifetime plus 1 s leeway.
now=$(date +%s)
[ "$now" -gt $((user_exp + 1)) ] || sleep $((user_exp + 2 - now))
request /api/private "$user_token"
expect_401 "expired token" token_expired "access token expired" \
    "${invalid}\"access token expired\""

# Sallyport down: fail closed with 503.
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
request /api/private "$user_token"
expect "Sallyport unreachable" 503 '"error":"unavailable"'

echo "forwardauth: $pass passed, 0 failed"
