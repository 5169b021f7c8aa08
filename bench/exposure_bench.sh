#!/bin/sh
# Exposure benchmark (docs/remediation.md): with all shared OSV data imported,
# 1,000 assets of 500 components each: 100 packages named by advisories (real
# names from the knowledge base, one in ten at a version an advisory lists)
# and 400 packages no advisory names, as in real inventories; then
#   1. the full exposure computation: `exposure recompute --all`
#      (matching index build + every asset + deadlines);   target <= 5 s
#   2. one new advisory for a popular package imported, then the incremental
#      `exposure recompute` (re-checks only the assets holding it, writes
#      exposures and notices);                              target <= 100 ms
# Inventories are written straight into the database by the generator, so the
# first figure is the computation from scratch, not 1,000 CLI runs.
#   bench/exposure_bench.sh [BINARY] [DATA_DIR]
# With BASELINE=OTHER_BINARY both binaries run, alternately, ROUNDS times
# (default 3) each on a copy of the same database, and the ratios of their
# medians are printed: on a shared machine that is the comparison to trust.
# The database is then made by the baseline (an older binary cannot open a
# newer schema; the newer one migrates it when it opens it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/src/cli/clearinghouse}
data=${2:-${CH_SHARED_DATA:-$root/../shared/data}}
base=${BASELINE:-}
rounds=${ROUNDS:-3}
[ -z "$base" ] && rounds=1
maker=${base:-$bin}
[ -d "$data/osv" ] || { echo "exposure_bench: no shared data at $data; skipped"; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
db="sqlite:$out/bench.db"
export CLEARINGHOUSE_DIRECTIVES="$root/directives"
ch() { "$maker" --db "$db" --keys "$out/keys" "$@"; }
ch --now 2026-07-01 init >/dev/null 2>&1
ch --now 2026-07-01 import "$data"/osv/*.zip >/dev/null 2>&1 || true
ch --now 2026-07-01 org create bench-fceb --name "Bench FCEB" --category fceb >/dev/null
ch --now 2026-07-01 org create bench-ci --name "Bench CI" --category ci --sector energy >/dev/null
/usr/bin/python3 - "$out/bench.db" "$out/adv.json" <<'PY'
import json, os, random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
random.seed(11)
rows = db.execute("SELECT DISTINCT f.ecosystem, f.name, f.norm_name, f.versions FROM affected f"
                  " WHERE f.ecosystem IN ('PyPI','Go','crates.io','npm','Maven','RubyGems','Packagist')"
                  " AND f.versions IS NOT NULL").fetchall()
pool = []
for eco, name, norm, versions in rows:
    vs = json.loads(versions)
    if vs and norm:
        pool.append((eco, name, norm, vs))
random.shuffle(pool)
pool = pool[:20000]
popular = pool[:50]           # in every asset
orgs = [r[0] for r in db.execute("SELECT id FROM orgs ORDER BY id")]
now = 1782900000              # 2026-07-01
n_assets = int(os.environ.get('BENCH_ASSETS', '1000'))
for a in range(n_assets):
    org = orgs[a % len(orgs)]
    cur = db.execute("INSERT INTO assets (org_id, name, environment, internet_facing, exposed_since,"
                     " mission_impact, wellbeing_impact, tags, created_at) VALUES"
                     " (?, ?, 'production', ?, ?, 'medium', 'medium', '', ?)",
                     (org, "asset-%04d" % a, ["yes", "no", "unknown"][a % 3], now, now))
    aid = cur.lastrowid
    inv = db.execute("INSERT INTO asset_inventories (asset_id, version, file_name, format, sha256,"
                     " content, n_components, attached_at, attached_by) VALUES"
                     " (?, 1, 'bom.json', 'cyclonedx', 'x', x'00', 500, ?, 'bench')", (aid, now)).lastrowid
    # 100 packages that advisories name (50 popular ones in every asset), 400 that none
    # does (most of a real inventory): those cost one hash probe each
    comps = popular + random.sample(pool[50:], 50)
    comps += [("PyPI", "bench-lib-%d" % k, "bench-lib-%d" % k, ["1.0"])
              for k in random.sample(range(100000), 400)]
    for i, (eco, name, norm, vs) in enumerate(comps):
        # about one component in ten runs a version some advisory lists; the
        # rest run a version above every range (no match), as in real estates
        if i == 0:
            v = vs[0]
        elif random.random() < 0.1:
            v = random.choice(vs)
        else:
            v = ("v" if eco == "Go" else "") + "999.999.999"

        db.execute("INSERT INTO inventory_components (inventory_id, ecosystem, name, version,"
                   " eco_key, norm_name) VALUES (?, ?, ?, ?, ?, ?)", (inv, eco, name, v, eco, norm))
        db.execute("INSERT INTO asset_packages (eco_key, norm_name, asset_id) VALUES (?, ?, ?)"
                   " ON CONFLICT DO NOTHING", (eco, norm, aid))
    db.execute("UPDATE assets SET inventory_id = ? WHERE id = ?", (inv, aid))
db.commit()
eco, name, norm, vs = popular[0]
adv = {"schema_version": "1.6.0", "id": "BENCH-2026-0001", "modified": "2026-07-02T00:00:00Z",
       "published": "2026-07-02T00:00:00Z", "aliases": ["CVE-2026-99999"],
       "summary": "benchmark advisory", "affected": [{"package": {"ecosystem": eco, "name": name},
       "versions": [vs[0]]}]}
json.dump(adv, open(sys.argv[2], "w"))
print("generated %d assets x 500 components;" % n_assets + " new advisory for %s %s" % (eco, name))
PY
# CPU time (user + system) beside the wall clock: on a shared machine it is
# the steadier figure
cpu() { awk '{ printf "%.2f", $1 + $2 }' "$out/cpu"; }
# the database before the full computation, and (made by the binary under
# test, then copied) before the incremental one
cp "$out/bench.db" "$out/pre-full.db"
# run LABEL BINARY: one full and one incremental computation on fresh copies
run() {
    label=$1 b=$2
    rm -f "$out/bench.db-wal" "$out/bench.db-shm"
    cp "$out/pre-full.db" "$out/bench.db"
    t0=$(date +%s.%N)
    /usr/bin/time -o "$out/cpu" -f '%U %S' "$b" --db "$db" --keys "$out/keys" \
        --now 2026-07-01T12:00:00Z exposure recompute --all >"$out/all.json"
    t1=$(date +%s.%N)
    full=$(echo "$t1 - $t0" | bc)
    echo "$full" >>"$out/full.$label"
    printf '%-9s full computation:  process %.2f s, cpu %s s | %s\n' "$label" "$full" \
        "$(cpu)" "$(tr -d '\n ' <"$out/all.json")"
    "$b" --db "$db" --keys "$out/keys" --now 2026-07-02T00:00:00Z import "$out/adv.json" >/dev/null
    t0=$(date +%s.%N)
    /usr/bin/time -o "$out/cpu" -f '%U %S' "$b" --db "$db" --keys "$out/keys" \
        --now 2026-07-02T00:00:01Z exposure recompute >"$out/inc.json"
    t1=$(date +%s.%N)
    inc=$(echo "$t1 - $t0" | bc)
    echo "$inc" >>"$out/inc.$label"
    printf '%-9s one new advisory:  process %.3f s, cpu %s s | %s\n' "$label" "$inc" \
        "$(cpu)" "$(tr -d '\n ' <"$out/inc.json")"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
i=0
while [ "$i" -lt "$rounds" ]; do
    [ -n "$base" ] && run baseline "$base"
    run current "$bin"
    i=$((i + 1))
done
if [ -n "$base" ]; then
    for k in full inc; do
        b=$(median "$out/$k.baseline") c=$(median "$out/$k.current")
        printf 'median %-4s baseline %s s, current %s s: current/baseline %.2f\n' "$k" "$b" "$c" \
            "$(echo "$c / $b" | bc -l)"
    done
fi
