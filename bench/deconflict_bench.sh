#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# deconflict_bench.sh: the deconfliction batch path end to end, through the
# command line: `clearinghouse deconflict --batch` over a SQLite database of
# LEASES network leases (default 100,000, each with 1-8 IPv4 /24../32 or
# IPv6 /48../64 prefixes, a source prefix and a user-agent token, windows of
# an hour to a week within one month), answering QUERIES questions (default
# 1,000,000: half aimed at a random lease's target, source and window, half
# random). Reports the time to start (open, load the leases, build and
# compact the index: one single question) and the batch throughput
# (questions per second, output written to /dev/null). Then the same
# questions over loopback: `clearinghouse serve` answers POST
# /api/v1/deconflict bodies of BATCH questions (default 10,000) sent by
# CLIENTS concurrent connections (default 2), as an analyst.
#
# The rows are written straight into the tables with sqlite3 (the service's
# request path, with its conflict checks and audit entries, is not what is
# measured here); the schema comes from `clearinghouse init`.
#
# Usage: bench/deconflict_bench.sh [BINARY] [LEASES] [QUERIES]  (env BATCH, CLIENTS)
#   BINARY defaults to build/src/cli/clearinghouse. Needs python3 and sqlite3.
set -eu

BIN=${1:-build/src/cli/clearinghouse}
LEASES=${2:-100000}
QUERIES=${3:-1000000}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/deconflict-bench.XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT
DB="sqlite:$DIR/bench.db"

"$BIN" --db "$DB" --keys "$DIR/keys" init >/dev/null

python3 - "$DIR" "$LEASES" "$QUERIES" <<'EOF'
import random, sys
d, n_leases, n_queries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
T0 = 1780272000  # 2026-06-01T00:00:00Z
MONTH = 30 * 86400
sql = open(d + "/load.sql", "w")
w = sql.write
w("BEGIN;\n")
w("INSERT INTO orgs (id, slug, name, category, created_at) VALUES (1, 'grid', 'Grid', 'fceb', 0);\n")
partners = 100
for p in range(partners):
    w("INSERT INTO orgs (id, slug, name, category, created_at) VALUES (%d, 'p%d', 'P%d', 'partner', 0);\n" % (p + 2, p, p))
w("INSERT INTO coord_targets (id, org_id, kind, name, locator, scope, created_at, created_by)"
  " VALUES (1, 1, 'network', 'everything', '10.0.0.0/8 2001:db8::/32', '10.0.0.0/8 2001:db8::/32', 0, 'bench');\n")
for p in range(partners):
    w("INSERT INTO coord_authorizations (id, target_id, partner_org_id, starts_at, ends_at, rules,"
      " created_at, created_by) VALUES (%d, 1, %d, %d, %d, '{\"contacts\":[\"x\"]}', 0, 'bench');\n"
      % (p + 1, p + 2, T0 - 86400, T0 + 2 * MONTH))
aims = []
for i in range(1, n_leases + 1):
    k = rnd.randint(1, 8)
    pfx = []
    for _ in range(k):
        if rnd.random() < 0.7:
            ln = rnd.choice([24, 24, 28, 32])
            a = (10 << 24) | rnd.getrandbits(24)
            a &= (0xffffffff << (32 - ln)) & 0xffffffff
            pfx.append(("%d.%d.%d.%d/%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, ln), a, 4))
        else:
            g = rnd.getrandbits(16)
            h = rnd.getrandbits(16)
            ln = rnd.choice([48, 56, 64])
            if ln == 48:
                pfx.append(("2001:db8:%x::/48" % g, (g, 0), 6))
            elif ln == 56:
                pfx.append(("2001:db8:%x:%x::/56" % (g, h & 0xff00), (g, h & 0xff00), 6))
            else:
                pfx.append(("2001:db8:%x:%x::/64" % (g, h), (g, h), 6))
    start = T0 + rnd.randrange(MONTH)
    end = start + rnd.randint(3600, 7 * 86400)
    src = "198.%d.%d.0/24" % (18 + (i >> 16) % 2, (i >> 8) & 255)
    p = rnd.randrange(partners)
    w("INSERT INTO coord_leases (id, target_id, org_id, authorization_id, mode, starts_at, ends_at,"
      " scope, sources, ua_tokens, state, created_at, created_by, change_seq) VALUES"
      " (%d, 1, %d, %d, '%s', %d, %d, '%s', '%s', 'Scan%d', 'active', 0, 'bench', 0);\n"
      % (i, p + 2, p + 1, 'exclusive' if rnd.random() < 0.2 else 'shared', start, end,
         ' '.join(x[0] for x in pfx), src, i))
    aims.append((pfx[0], src, start, end))
w("COMMIT;\n")
sql.close()
q = open(d + "/queries.txt", "w")
for j in range(n_queries):
    if j % 2 == 0:
        (text, a, fam), src, start, end = aims[rnd.randrange(len(aims))]
        s = src.split("/")[0][:-1] + str(rnd.randint(1, 254))
        t = rnd.randrange(start, end)
        if fam == 4:
            tgt = "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
        else:
            tgt = "2001:db8:%x:%x::1" % a
    else:
        s = "203.0.113.%d" % rnd.randint(1, 254)
        tgt = "10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        t = T0 + rnd.randrange(MONTH)
    q.write("%s %s %d\n" % (s, tgt, t))
q.close()
EOF

sqlite3 "$DIR/bench.db" < "$DIR/load.sql"

now() { date +%s.%N; }
t0=$(now)
"$BIN" --db "$DB" deconflict 198.18.0.1 10.0.0.1 --at 2026-06-02T00:00:00Z >/dev/null || true
t1=$(now)
"$BIN" --db "$DB" deconflict --batch "$DIR/queries.txt" >"$DIR/answers.txt" || true
t2=$(now)
authorised=$(grep -c ' authorised' "$DIR/answers.txt" || true)
answers=$(wc -l <"$DIR/answers.txt")
python3 - "$t0" "$t1" "$t2" "$LEASES" "$QUERIES" "$answers" "$authorised" <<'EOF'
import sys
t0, t1, t2 = map(float, sys.argv[1:4])
leases, queries, answers, auth = map(int, sys.argv[4:8])
start = t1 - t0
batch = t2 - t1
print("leases %d, questions %d, answers %d (%d authorised)" % (leases, queries, answers, auth))
print("start (load + index + one question): %.2f s" % start)
print("batch: %.2f s in all, %.2f s after start: %.0f questions/s end to end, %.0f/s after start"
      % (batch, batch - start, queries / batch, queries / max(batch - start, 1e-9)))
EOF

# ---- the batch route over loopback ----
"$BIN" --db "$DB" org create ch --name Clearinghouse --category clearinghouse >/dev/null
"$BIN" --db "$DB" user create bench --org ch --roles analyst >/dev/null
TOKEN=$("$BIN" --db "$DB" token create --user bench | tail -1)
"$BIN" --db "$DB" --keys "$DIR/keys" --log-level warn serve --listen 127.0.0.1:0 \
    >"$DIR/announce" 2>"$DIR/log" &
PID=$!
PORT=""
for _ in $(seq 1 300); do
    PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$DIR/announce" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "deconflict_bench: server did not start"; cat "$DIR/log"; exit 1; }
python3 - "$DIR/queries.txt" "$PORT" "$TOKEN" "${BATCH:-10000}" "${CLIENTS:-2}" <<'EOF'
import http.client, json, sys, threading, time
path, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
batch, clients = int(sys.argv[4]), int(sys.argv[5])
qs = []
for line in open(path):
    s, t, at = line.split()
    qs.append({"source": s, "target": t, "time": int(at)})
bodies = [json.dumps(qs[i:i + batch]).encode() for i in range(0, len(qs), batch)]
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
def post(conn, body):
    conn.request("POST", "/api/v1/deconflict", body, headers)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("deconflict_bench: HTTP %d: %s" % (r.status, data[:300]))
    return data.count(b'"authorised":true')
post(http.client.HTTPConnection("127.0.0.1", port), bodies[0])  # loads the index
totals = [0] * clients
lat = []
def worker(k):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(k, len(bodies), clients):
        t = time.perf_counter()
        totals[k] += post(conn, bodies[i])
        lat.append(time.perf_counter() - t)
t0 = time.perf_counter()
th = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
for x in th:
    x.start()
for x in th:
    x.join()
dt = time.perf_counter() - t0
lat.sort()
print("HTTP batch: %d questions, %d requests of %d, %d connections: %.2f s, %.0f questions/s;"
      " request median %.1f ms, max %.1f ms; %d authorised"
      % (len(qs), len(bodies), batch, clients, dt, len(qs) / dt, 1000 * lat[len(lat) // 2],
         1000 * lat[-1], sum(totals)))
EOF
