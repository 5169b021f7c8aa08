#!/bin/sh
# Import benchmark (knowledge base): imports all of the shared OSV data into a
# fresh SQLite file, end to end through the CLI, and reports wall time,
# records per second and peak memory (maximum resident set size).
#   bench/import_bench.sh [BINARY] [DATA_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/src/cli/clearinghouse}
data=${2:-${CH_SHARED_DATA:-$root/../shared/data}}
[ -d "$data/osv" ] || { echo "import_bench: no shared data at $data/osv; skipped"; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
db="sqlite:$out/bench.db"
"$bin" --db "$db" --keys "$out/keys" init >/dev/null
run() {
    label=$1; shift
    /usr/bin/time -f "%e %M" -o "$out/time" "$bin" --db "$db" import --json "$@" >"$out/summary.json" || true
    set -- $(cat "$out/time")
    secs=$1; rss_kb=$2
    records=$(sed -n 's/.*"records": \([0-9]*\).*/\1/p' "$out/summary.json" | head -1)
    rate=$(awk -v r="$records" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }')
    printf '%-28s %7s records %7.2f s %8s rec/s  peak RSS %5d MB\n' "$label" "$records" "$secs" "$rate" $((rss_kb / 1024))
}
run "osv (fresh database)" "$data"/osv/*.zip
run "osv (re-import, unchanged)" "$data"/osv/*.zip
if [ -f "$data/cve5/vulnrichment-cve5.tar.zst" ]; then
    run "cve5 tar.zst" "$data/cve5/vulnrichment-cve5.tar.zst"
fi
if [ -f "$data/csaf/cisa-csaf-advisories.zip" ]; then
    run "csaf zip" "$data/csaf/cisa-csaf-advisories.zip"
fi
run "kev" "$data/kev/known_exploited_vulnerabilities.json"
ls -l "$out/bench.db" | awk '{ printf "database size: %d MB\n", $5 / 1048576 }'
