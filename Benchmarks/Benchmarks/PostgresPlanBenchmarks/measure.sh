#!/usr/bin/env bash
# Times `trade-lifecycle backfill plan` on 1,000,000 orders in PostgreSQL against the reference
# detection query alone (reference/001 step 1, unchanged, run by psql), on the same data:
#
#   scripts/with-postgres Benchmarks/Benchmarks/PostgresPlanBenchmarks/measure.sh [RUNS [SHAPE...]]
#
# (from the repository root; or with TRADE_LIFECYCLE_POSTGRES_URL set to a server whose role may
# create databases). Shapes (default: both): `ghosts`, 1,000 open lifecycles (the runbook's case:
# a few ghost positions among 1,000,000 orders) and 3,000 fills, the budgeted one; `heavy`,
# 100,000 open lifecycles and 200,000 fills (the shape of BackfillBenchmarks), for information.
# Builds the release `trade-lifecycle` unless TRADE_LIFECYCLE_BIN names one, creates the
# database tl_bench_plan_<shape> on first use, migrates it with `trade-lifecycle migrate`, loads
# load.sql (INSERT ... SELECT generate_series), writes the exchange snapshot file with
# exchange.sql, then alternates RUNS (default 7) timed runs of the detection (with work_mem at
# 256MB, as the plan's scan has it) and of the command
# (which parses the snapshot file, plans and prints JSON), and prints every time, the medians and
# their ratio. The budget is a ratio of at most 1.5 for `ghosts`.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$here/../../.." && pwd)
runs=${1:-7}
shift || true
shapes=("${@:-ghosts heavy}")
shapes=(${shapes[*]})
: "${TRADE_LIFECYCLE_POSTGRES_URL:?set TRADE_LIFECYCLE_POSTGRES_URL or run under scripts/with-postgres}"
psql_bin=${TRADE_LIFECYCLE_PG_BINDIR:+$TRADE_LIFECYCLE_PG_BINDIR/}psql

if [[ -z "${TRADE_LIFECYCLE_BIN:-}" ]]; then
    (cd "$root" && swift build -c release --product trade-lifecycle >&2)
    TRADE_LIFECYCLE_BIN="$root/.build/release/trade-lifecycle"
fi

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# reference/001 step 1, verbatim, for the benchmark's profile.
cat >"$work/detect.sql" <<'SQL'
WITH lifecycle AS (
  SELECT
    profile_id,
    symbol,
    trade_id,
    SUM(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS entry_qty,
    SUM(CASE WHEN action = 'EXIT'  THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS exit_qty
  FROM orders
  WHERE profile_id = '<<PROFILE_ID>>'
    AND status IN ('filled', 'partially_filled', 'partially-filled')
    AND trade_id IS NOT NULL
  GROUP BY profile_id, symbol, trade_id
)
SELECT
  profile_id,
  symbol,
  trade_id,
  entry_qty,
  exit_qty,
  (entry_qty - exit_qty) AS open_qty
FROM lifecycle
WHERE (entry_qty - exit_qty) > 0
ORDER BY symbol, trade_id;
SQL
sed -i 's/<<PROFILE_ID>>/bench-profile/' "$work/detect.sql"

seconds() { # runs "$@", prints its wall time in seconds
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

measure_shape() {
    local shape=$1 open closed fills extra
    case "$shape" in
        ghosts) open=1000; closed=498500; fills=3000; extra=500 ;;
        heavy) open=100000; closed=350000; fills=200000; extra=10000 ;;
        *) echo "unknown shape $shape (ghosts, heavy)" >&2; exit 2 ;;
    esac
    local database=tl_bench_plan_$shape
    local url="${TRADE_LIFECYCLE_POSTGRES_URL%/*}/$database"
    echo "== $shape: $open open lifecycles, 1,000,000 orders, $fills fills"
    if [[ -z $("$psql_bin" -At "$TRADE_LIFECYCLE_POSTGRES_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$database'") ]]; then
        "$psql_bin" -q "$TRADE_LIFECYCLE_POSTGRES_URL" -c "CREATE DATABASE $database"
    fi
    local loaded=0
    if [[ $("$psql_bin" -At "$url" -c "SELECT to_regclass('orders') IS NOT NULL AND to_regclass('bench_fills') IS NOT NULL") == t ]]; then
        loaded=$("$psql_bin" -At "$url" -c "SELECT count(*) FROM orders WHERE profile_id = 'bench-profile'")
    fi
    if [[ "$loaded" != "1000000" ]]; then
        echo "loading 1,000,000 orders and $fills fills into $database" >&2
        "$TRADE_LIFECYCLE_BIN" migrate --database-url "$url" >&2
        sed -e "s/{{OPEN}}/$open/g; s/{{CLOSED}}/$closed/g; s/{{FILLS}}/$fills/g; s/{{EXTRA}}/$extra/g" "$here/load.sql" >"$work/load.sql"
        "$psql_bin" -q -v ON_ERROR_STOP=1 "$url" -f "$work/load.sql" >&2
    fi
    "$psql_bin" -At "$url" -f "$here/exchange.sql" >"$work/exchange.json"


    # The plan's scan runs with work_mem at 256MB (SET LOCAL in its transaction); the query gets
    # the same setting for its session (PGOPTIONS).
    detect() { PGOPTIONS="-c work_mem=256MB" "$psql_bin" -At "$url" -f "$work/detect.sql" >"$work/detect.out"; }
    plan() {
        ENABLE_RECON_EXIT_BACKFILL=true "$TRADE_LIFECYCLE_BIN" backfill plan --database-url "$url" --profile bench-profile \
            --exchange "$work/exchange.json" --now 2026-02-15T12:00:00Z --json >"$work/plan.json" 2>/dev/null
    }

    detect; plan # warm up, and check the shapes
    [[ $(wc -l <"$work/detect.out") -eq $open ]] || { echo "detection returned $(wc -l <"$work/detect.out") rows" >&2; exit 1; }
    rows=$(grep -c '"profileId"' "$work/plan.json" || true)
    echo "detection rows: $open; plan rows: $rows"

    local detect_times=() plan_times=() run detect_median plan_median
    for ((run = 1; run <= runs; run++)); do
        detect_times+=("$(seconds detect)")
        plan_times+=("$(seconds plan)")
        printf 'run %d: detection %.3f s, backfill plan %.3f s\n' "$run" "${detect_times[-1]}" "${plan_times[-1]}"
    done
    detect_median=$(median "${detect_times[@]}")
    plan_median=$(median "${plan_times[@]}")
    printf 'median: detection %.3f s, backfill plan %.3f s, ratio %.2f (budget 1.5)\n' \
        "$detect_median" "$plan_median" "$(echo "$plan_median / $detect_median" | bc -l)"
}

for shape in "${shapes[@]}"; do
    measure_shape "$shape"
done
