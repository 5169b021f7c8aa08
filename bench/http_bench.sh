#!/bin/sh
# HTTP benchmark: `clearinghouse serve` on loopback against wrk (sharing the
# machine's cores), 64 connections for ~10 s per endpoint: /healthz (answered
# on the event loop) and the OSV-compatible GET /v1/vulns/{id} (a worker and
# a database read per request). Prints requests/s and the 99th percentile
# latency (wrk --latency). Install wrk with `scripts/setup --bench`.
#   bench/http_bench.sh [BINARY]
# Environment: DURATION (default 10s), CONNECTIONS (64), THREADS (wrk
# threads, default 2), LOOPS and WORKERS (server; default: its own),
# LOG_LEVEL (server; default warn, i.e. no access log line per request; "info"
# measures with the access log written to a file).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/src/cli/clearinghouse}
duration=${DURATION:-10s}
conns=${CONNECTIONS:-64}
threads=${THREADS:-2}
command -v wrk >/dev/null || { echo "http_bench: wrk is not installed (scripts/setup --bench)"; exit 1; }
out=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$out"
}
trap cleanup EXIT
db="sqlite:$out/bench.db"
"$bin" --db "$db" --keys "$out/keys" init >/dev/null
"$bin" --db "$db" import "$root/tests/fixtures/osv/good" >/dev/null 2>&1 || true
set -- --listen 127.0.0.1:0
[ -n "${LOOPS:-}" ] && set -- "$@" --loops "$LOOPS"
[ -n "${WORKERS:-}" ] && set -- "$@" --workers "$WORKERS"
"$bin" --db "$db" --keys "$out/keys" --log-level "${LOG_LEVEL:-warn}" serve "$@" \
    >"$out/announce" 2>"$out/log" &
pid=$!
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out/announce" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "http_bench: server did not start"; cat "$out/log"; exit 1; }
echo "clearinghouse serve on 127.0.0.1:$port; wrk -t$threads -c$conns -d$duration --latency ($(nproc) cores shared)"
run() {
    label=$1
    path=$2
    wrk -t"$threads" -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port$path" >"$out/wrk" 2>&1
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out/wrk")
    p99=$(awk '$1 == "99%" { print $2 }' "$out/wrk")
    p50=$(awk '$1 == "50%" { print $2 }' "$out/wrk")
    errs=$(awk '/Non-2xx or 3xx responses:/ { print $5 } /Socket errors:/ { print "socket errors:", $0 }' "$out/wrk")
    printf '%-28s %10s req/s   p50 %8s   p99 %8s %s\n' "$label" "$rps" "$p50" "$p99" "$errs"
}
run "GET /healthz" /healthz
run "GET /v1/vulns/{id}" /v1/vulns/GHSA-test-0001
