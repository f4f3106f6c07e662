#!/usr/bin/env bash
# bench/inbox.sh - how fast a burst's pending inbox is applied (`./dev bench inbox`).
#
# A quiet spell first: BENCH_QUIET_RATE webhooks/s for 10 s, answered inline,
# then ANALYZE, so the planner's statistics say what they say after a quiet
# spell in production (almost nothing pending). Then the burst: BENCH_RATE
# webhooks/s for BENCH_DURATION s, every slot delivered (loadgen
# --deliver-all), which the service stores as pending rows and answers
# "accepted"; its applier holds back during the burst. Reported: the rows
# pending when the burst ended, the seconds until none was (polled every
# 0.2 s) and the rate that makes, and per claim of the applier
# (inbox_claim_pending, from pg_stat_statements): calls, milliseconds, shared
# blocks and temp blocks written (a sort on disk).
#
# Knobs: BENCH_RATE (3000), BENCH_DURATION (15), BENCH_CONNECTIONS (8),
# BENCH_QUIET_RATE (100; 0: no quiet spell, the burst meets empty tables and
# whatever autovacuum makes of them meanwhile), BENCH_SHOPVOX (the binary, build/shopvox: another
# build for a before/after; it migrates the database to its own schema). Durable PostgreSQL (fsync, synchronous_commit on),
# shopvox with SHOPVOX_WORKERS=0 (nothing outbound), loopback only; all of it
# is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${BENCH_RATE:-3000}
DURATION=${BENCH_DURATION:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
QUIET_RATE=${BENCH_QUIET_RATE:-100}
SHOPVOX=${BENCH_SHOPVOX:-build/shopvox}
SECRET=bench-app-secret
SHOP=bench.myshopline.com

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_workdir inbox

say "private PostgreSQL in $WORK/pg (fsync=on, synchronous_commit=on, pg_stat_statements)"
DB=$(PG_FSYNC=on PG_SYNC_COMMIT=on tests/pg.sh start "$WORK/pg")
q() { psql "$DB" -qtAX -c "$1"; }
q "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
PG_FSYNC=on PG_SYNC_COMMIT=on tests/pg.sh restart "$WORK/pg" >/dev/null
q "CREATE EXTENSION pg_stat_statements" >/dev/null

SV_PORT=$(free_port)
OPS_PORT=$(free_port)
export SHOPVOX_DATABASE_URL=$DB SHOPVOX_LISTEN=127.0.0.1:$SV_PORT SHOPVOX_WORKERS=0
export SHOPVOX_OPS_LISTEN=127.0.0.1:$OPS_PORT SHOPVOX_LOG_LEVEL=warn
export SHOPLINE_SHOP_DOMAIN=$SHOP SHOPLINE_ACCESS_TOKEN=bench SHOPLINE_APP_SECRET=$SECRET
export SHOPLINE_API_BASE=http://127.0.0.1:9/admin/openapi/v20260301
export PEOPLEVOX_URL=http://127.0.0.1:9/bench/resources/integrationservicev4.asmx
export SHOPVOX_ALLOW_INSECURE_HTTP=1 SHOPVOX_ORDER_PREFIX=B
export PEOPLEVOX_CLIENT_ID=bench PEOPLEVOX_USERNAME=bench PEOPLEVOX_PASSWORD=bench-pw
"$SHOPVOX" serve --migrate >"$WORK/shopvox.log" 2>&1 &
SV_PID=$!
PIDS+=("$SV_PID")
wait_http "http://${SHOPVOX_OPS_LISTEN}/readyz" || { tail -20 "$WORK/shopvox.log" >&2; die "shopvox did not start"; }

# loadgen NAME RATE DURATION FIRST_SEQ: every slot delivered, output in $WORK/NAME.out.
loadgen() {
  build/loadgen --url "http://127.0.0.1:$SV_PORT/webhooks/shopline" --secret "$SECRET" \
    --shop-domain "$SHOP" --rate "$2" --duration "$3" --connections "$CONNECTIONS" \
    --orders 100000000 --dup-ratio 0 --deliver-all --first-seq "$4" >"$WORK/$1.out" 2>&1 || true
  grep '^RESULT' "$WORK/$1.out" >&2 || { tail -5 "$WORK/$1.out" >&2; die "loadgen ($1) failed"; }
}
pending() { q "SELECT count(*) FROM webhook_events WHERE outcome = 'pending'"; }

if [ "$QUIET_RATE" != 0 ]; then
  say "a quiet spell: ${QUIET_RATE}/s for 10 s, then ANALYZE"
  loadgen quiet "$QUIET_RATE" 10 0
  for _ in $(seq 1 300); do [ "$(pending)" = 0 ] && break; sleep 0.2; done
  q "ANALYZE" >/dev/null
fi
q "SELECT pg_stat_statements_reset()" >/dev/null

say "the burst: ${RATE}/s for ${DURATION} s"
loadgen burst "$RATE" "$DURATION" 1000000
t0=$(date +%s.%N)
first=$(pending)
n=$first
while [ "$n" != 0 ]; do
  kill -0 "$SV_PID" 2>/dev/null || die "shopvox died while applying the pending inbox"
  sleep 0.2
  n=$(pending)
done
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
claims=$(q "SELECT calls, round((total_exec_time / calls)::numeric, 2),
                   round(shared_blks_hit::numeric / calls + shared_blks_read::numeric / calls),
                   temp_blks_written
              FROM pg_stat_statements
             WHERE (query LIKE '%inbox_claim_pending%' -- before sql/033, the claim's own SELECT:
                    OR query LIKE 'SELECT id, shop, webhook_id, topic%SKIP LOCKED') AND calls > 0
             ORDER BY calls DESC LIMIT 1" | tr '|' ' ')
read -r c_calls c_ms c_blks c_temp <<<"${claims:-0 - - -}"
rate=$(awk -v n="$first" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')

echo
echo "burst                      ${RATE}/s for ${DURATION} s: $(grep -o 'sent=[0-9]*' "$WORK/burst.out") deliveries, $(grep -o ' ok=[0-9]*' "$WORK/burst.out" | tr -d ' ') answered 2xx"
echo "pending when it ended      $first"
echo "applied after              $secs s ($rate rows/s)"
echo "applier claims             $c_calls, $c_ms ms each, $c_blks shared blocks each, $c_temp temp blocks written"
echo "RESULT pending=$first apply_s=$secs apply_rps=$rate claims=$c_calls claim_ms=$c_ms claim_blocks=$c_blks claim_temp_blocks=$c_temp"
echo "command: ./dev bench inbox   (BENCH_RATE=$RATE BENCH_DURATION=$DURATION BENCH_CONNECTIONS=$CONNECTIONS BENCH_QUIET_RATE=$QUIET_RATE BENCH_SHOPVOX=$SHOPVOX)"
