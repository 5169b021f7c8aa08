#!/bin/sh
# HTTP benchmark: `clearinghouse serve` on loopback against wrk (sharing the
# machine's cores), 64 connections for ~10 s per endpoint: /healthz (answered
# on the event loop) and the OSV-compatible GET /v1/vulns/{id} (a worker and
# a database read per request), POST /v1/query (the matching index) and the
# latency of one POST /v1/querybatch of 1,000 packages (curl, median of 5).
# Prints requests/s and the 99th percentile latency (wrk --latency).
# Install wrk with `scripts/setup --bench`.
#   bench/http_bench.sh [BINARY]
# IMPORT names more to load besides tests/fixtures/osv/good, e.g. an OSV
# export zip, so that queries run against a realistic index.
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
"$bin" --db "$db" import ${IMPORT:-} "$root/tests/fixtures/osv/good" >/dev/null 2>&1 || true
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
    script=${3:-}
    if [ -n "$script" ]; then
        wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$script" \
            "http://127.0.0.1:$port$path" >"$out/wrk" 2>&1
    else
        wrk -t"$threads" -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port$path" \
            >"$out/wrk" 2>&1
    fi
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out/wrk")
    p99=$(awk '$1 == "99%" { print $2 }' "$out/wrk")
    p50=$(awk '$1 == "50%" { print $2 }' "$out/wrk")
    errs=$(awk '/Non-2xx or 3xx responses:/ { print $5 } /Socket errors:/ { print "socket errors:", $0 }' "$out/wrk")
    printf '%-28s %10s req/s   p50 %8s   p99 %8s %s\n' "$label" "$rps" "$p50" "$p99" "$errs"
}
run "GET /healthz" /healthz
run "GET /v1/vulns/{id}" /v1/vulns/GHSA-test-0001
# POST /v1/query: one package version per request, as osv-scanner sends them
cat >"$out/query.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"package":{"ecosystem":"PyPI","name":"example-lib"},"version":"1.4.1"}'
LUA
run "POST /v1/query" /v1/query "$out/query.lua"
# POST /v1/querybatch of 1,000 packages: latency of one whole request
python3 - "$out/batch.json" <<'PY'
import json, sys
names = ["example-lib", "django", "requests", "flask", "jinja2", "urllib3", "pillow", "numpy"]
qs = [{"package": {"ecosystem": "PyPI", "name": names[i % len(names)]},
       "version": "1.%d.%d" % (i % 7, i % 13)} for i in range(1000)]
json.dump({"queries": qs}, open(sys.argv[1], "w"))
PY
for _ in 1 2 3 4 5; do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
        --data-binary @"$out/batch.json" "http://127.0.0.1:$port/v1/querybatch"
done | sort -n | awk '{ t[NR] = $1 } END { printf "%-28s median %.1f ms (min %.1f, max %.1f; 5 requests)\n", "POST /v1/querybatch x1000", t[3] * 1000, t[1] * 1000, t[5] * 1000 }'
