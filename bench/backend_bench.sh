#!/bin/sh
# Backend benchmark: SQLite against PostgreSQL in one run, end to end through
# the CLI, as ratios.
#   1. import: a subset of the shared OSV data (four ecosystems) into a fresh
#      database: records/s (skipped when the shared data is absent);
#   2. jobs: N no-op test.record jobs queued at once, then drained by one
#      worker process, and again by three (one thread each): jobs/s.
# PostgreSQL is a throwaway server started with tests/pg/pg-server (Unix
# socket, fsync off, like the test server), or $CH_BENCH_PG_DSN if set (a
# database the benchmark may fill). Without PostgreSQL binaries the
# PostgreSQL column is skipped.
#   bench/backend_bench.sh [BINARY] [DATA_DIR]     (CH_BENCH_JOBS=N, default 2000)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/src/cli/clearinghouse}
data=${2:-${CH_SHARED_DATA:-$root/../shared/data}}
jobs=${CH_BENCH_JOBS:-2000}
[ -x "$bin" ] || { echo "backend_bench: no binary at $bin (build first)"; exit 1; }
out=$(mktemp -d)
pg_state=$out/pg
cleanup() {
    sh "$root/tests/pg/pg-server" stop "$pg_state" >/dev/null 2>&1 || true
    rm -rf "$out"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

subset=""
for f in crates-rustsec.zip go-vulndb.zip psf.zip pypi-pypa.zip; do
    [ -f "$data/osv/$f" ] && subset="$subset $data/osv/$f"
done

# bench_backend NAME URL: prints "import_rate jobs1_rate jobs3_rate" to $out/NAME.res
bench_backend() {
    name=$1
    url=$2
    "$bin" --db "$url" --keys "$out/keys" init >/dev/null
    imp=0
    if [ -n "$subset" ]; then
        t0=$(now)
        # shellcheck disable=SC2086
        "$bin" --db "$url" import --json $subset >"$out/$name.import.json" 2>/dev/null || true
        t1=$(now)
        records=$(sed -n 's/.*"records": \([0-9]*\).*/\1/p' "$out/$name.import.json" | head -1)
        secs=$(elapsed "$t0" "$t1")
        imp=$(rate "$records" "$secs")
        printf '%-9s import   %6s records in %7s s: %7s records/s\n' "$name" "$records" "$secs" "$imp"
    fi
    for workers in 1 3; do
        "$bin" --db "$url" jobs enqueue test.record --payload '{}' --count "$jobs" >/dev/null
        t0=$(now)
        i=0
        pids=""
        while [ $i -lt $workers ]; do
            "$bin" --db "$url" --log-level warn worker --once --concurrency 1 --poll 10 \
                >>"$out/$name.worker.log" 2>&1 &
            pids="$pids $!"
            i=$((i + 1))
        done
        # shellcheck disable=SC2086
        wait $pids
        t1=$(now)
        secs=$(elapsed "$t0" "$t1")
        r=$(rate "$jobs" "$secs")
        eval "jobs_$workers=\$r"
        printf '%-9s jobs     %6s jobs, %d worker(s) in %7s s: %7s jobs/s\n' "$name" "$jobs" "$workers" "$secs" "$r"
    done
    left=$("$bin" --db "$url" jobs list --state queued --json | grep -c '"id"' || true)
    [ "$left" -eq 0 ] || echo "$name: warning: $left jobs left queued"
    echo "$imp $jobs_1 $jobs_3" >"$out/$name.res"
}

echo "backend_bench: $(nproc) cores, $jobs jobs per run, binary $bin"
[ -n "$subset" ] || echo "backend_bench: no shared OSV data at $data/osv; import skipped"
bench_backend sqlite "sqlite:$out/bench.db"

pg_url=${CH_BENCH_PG_DSN:-}
if [ -z "$pg_url" ]; then
    if pg_url=$(sh "$root/tests/pg/pg-server" start "$pg_state" "${CH_BENCH_PG_PORT:-55439}" 2>"$out/pg.err"); then
        :
    else
        echo "backend_bench: no PostgreSQL server ($(head -1 "$out/pg.err")); PostgreSQL skipped"
        pg_url=""
    fi
fi
if [ -n "$pg_url" ]; then
    bench_backend postgres "$pg_url"
    set -- $(cat "$out/sqlite.res") $(cat "$out/postgres.res")
    echo "ratios (PostgreSQL / SQLite): import $(ratio "$4" "$1"), jobs 1 worker $(ratio "$5" "$2"), jobs 3 workers $(ratio "$6" "$3")"
    echo "scaling (3 workers / 1): SQLite $(ratio "$3" "$2"), PostgreSQL $(ratio "$6" "$5")"
fi
