#!/bin/sh
# Matching benchmark: with all shared OSV data imported, the index build time
# and memory, and `clearinghouse scan` of a generated 10,000-component
# CycloneDX SBOM (real package names and versions from the data) and of the
# real SBOMs in the shared data. `scan --stats` reports the phases.
#   bench/scan_bench.sh [BINARY] [DATA_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/src/cli/clearinghouse}
data=${2:-${CH_SHARED_DATA:-$root/../shared/data}}
[ -d "$data/osv" ] || { echo "scan_bench: no shared data at $data; skipped"; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
db="sqlite:$out/bench.db"
"$bin" --db "$db" --keys "$out/keys" init >/dev/null
"$bin" --db "$db" import "$data"/osv/*.zip >/dev/null
# 10,000 components: one version per affected package, taken from the advisory's own lists
/usr/bin/python3 - "$out/bench.db" "$out/bom.json" <<'PY'
import json, sqlite3, sys, random
db = sqlite3.connect(sys.argv[1])
types = {"PyPI": "pypi", "crates.io": "cargo", "Go": "golang", "CRAN": "cran", "Hackage": "hackage",
         "npm": "npm", "Maven": "maven", "RubyGems": "gem", "Packagist": "composer"}
comps, seen = [], set()
rows = db.execute("SELECT ecosystem, name, versions, ranges FROM affected WHERE ecosystem IN (%s)"
                  % ",".join("'%s'" % e for e in types)).fetchall()
random.seed(7)
random.shuffle(rows)
for eco, name, versions, ranges in rows:
    vs = json.loads(versions) if versions else []
    if not vs and ranges:
        for r in json.loads(ranges):
            for e in r.get("events", []):
                v = e.get("introduced") or e.get("fixed")
                if v and v != "0":
                    vs.append(v)
    random.shuffle(vs)
    for v in vs[:3]:
        key = (eco, name, v)
        if key in seen:
            continue
        seen.add(key)
        t = types[eco]
        ns, n = (name.split(":", 1) if eco == "Maven" else (None, name))
        purl = "pkg:%s/%s%s@%s" % (t, (ns + "/") if ns else "", n, v)
        comps.append({"type": "library", "bom-ref": "c%d" % len(comps), "name": n, "version": v, "purl": purl})
    if len(comps) >= 10000:
        comps = comps[:10000]
        break
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps},
          open(sys.argv[2], "w"))
print("generated %d components" % len(comps))
PY
run() {
    label=$1; shift
    /usr/bin/time -f "%e %M" -o "$out/time" "$bin" --db "$db" scan --stats --format json "$@" \
        >"$out/scan.json" 2>"$out/stats" || true
    set -- $(cat "$out/time")
    findings=$(grep -c '"id":' "$out/scan.json" || true)
    printf '%-34s process %6.2f s, peak RSS %4d MB | %s\n' "$label" "$1" $(($2 / 1024)) \
        "$(grep '^read' "$out/stats")"
}
run "generated 10,000 components" "$out/bom.json"
run "cyclonedx-bom-examples (dir)" "$data/sbom/cyclonedx-bom-examples"
run "spdx-examples (dir)" "$data/sbom/spdx-examples"
run "osv-scanner-testdata (dir)" "$data/sbom/osv-scanner-testdata"
