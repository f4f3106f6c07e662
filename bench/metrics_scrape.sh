#!/usr/bin/env bash
# bench/metrics_scrape.sh - a /metrics scrape storm against webhook intake
# (`./dev bench metrics`, issue 7 item 3).
#
# A database with many done jobs and orders in every state, BENCH_SCRAPERS
# loops of `curl /metrics` back to back for the whole run, and meanwhile signed
# orders/paid webhooks at a modest fixed rate (build/loadgen). A /metrics that
# queries the database per scrape (full-table GROUP BY on jobs and orders, on
# the HTTP threads) makes the webhooks wait; one that serves its gauges from
# memory does not. Prints one summary line: binary, sizes, scrapers, webhooks
# sent/ok and missed (slots due that loadgen could not send for want of a free
# connection before the run ended), webhook p50/p99 of the answered ones (from
# the scheduled send time, so the wait for a free connection counts) and the scrapes completed while the webhooks ran.
# Each scrape is a new curl process, as the brief of issue 7 has it: on a
# small machine the scrapers' own CPU shows in the figures of a fast /metrics.
#
# Everything runs on this machine and talks to 127.0.0.1 only: a private
# PostgreSQL (tests/pg.sh, in a mktemp directory, durable settings as in
# production: fsync=on, synchronous_commit=on) and BIN serve with
# SHOPVOX_WORKERS=0 (intake only). All of it is stopped and removed on exit,
# Ctrl-C included. Works as root (see tests/pg.sh).
#
# Knobs (environment): BIN (binary under test, build/shopvox; an older build
# works too: it is only run as `migrate` and `serve`), BENCH_DONE_JOBS
# (2000000), BENCH_ORDERS (200000), BENCH_SCRAPERS (16), BENCH_RATE (webhooks/s,
# 50), BENCH_DURATION (s, 30), BENCH_CONNECTIONS (loadgen connections, 8),
# SHOPVOX_HTTP_THREADS (service default 4), BENCH_KEEP_LOGS=1 (keep the work
# directory, logs included).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/shopvox}
DONE_JOBS=${BENCH_DONE_JOBS:-2000000}
ORDERS=${BENCH_ORDERS:-200000}
SCRAPERS=${BENCH_SCRAPERS:-16}
RATE=${BENCH_RATE:-50}
DURATION=${BENCH_DURATION:-30}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
HTTP_THREADS=${SHOPVOX_HTTP_THREADS:-4}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
SECRET=bench-app-secret
SHOP=bench.myshopline.com
DBNAME=shopvox_bench
SCRAPE_TIMEOUT_S=60   # one scrape; bounds the wait for the loops at the end

. bench/lib.sh

# ---- lifecycle -------------------------------------------------------------

WORK=$(mktemp -d /tmp/shopvox-bench-metrics.XXXXXX)
chmod 755 "$WORK"   # the cluster below belongs to the postgres user when run as root
PG_STARTED=0
PIDS=()

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  touch "$WORK/stop"   # the scrape loops end after their current scrape
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$PG_STARTED" = 1 ]; then
    tests/pg.sh stop "$WORK/pg" >/dev/null 2>&1 || say "could not stop PostgreSQL in $WORK/pg"
  fi
  if [ "${BENCH_KEEP_LOGS:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ "$rc" != 143 ]; }; then
    rm -rf "$WORK/pg/data"
    say "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'exit 143' TERM

for b in "$BIN" build/loadgen "$PGBIN/psql"; do
  [ -x "$b" ] || die "$b is missing (./dev bench metrics builds build/)"
done
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

psql_q() { "$PGBIN/psql" -qtAX -v ON_ERROR_STOP=1 "$PG_URL" -c "$1"; }

# Seconds since START (a date +%s.%N value), one decimal.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Scrapes answered 200 so far, over every loop.
scrapes_ok() { cat "$WORK"/scrape.* 2>/dev/null | grep -c '^200$' || true; }
scrapes_failed() { cat "$WORK"/scrape.* 2>/dev/null | grep -vc '^200$' || true; }

# Field KEY of the RESULT line in FILE.
result_kv() { grep '^RESULT ' "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---- database --------------------------------------------------------------

say "private PostgreSQL in $WORK/pg (fsync=on, synchronous_commit=on)"
PG_STARTED=1
ADMIN_URL=$(PG_FSYNC=on PG_SYNC_COMMIT=on tests/pg.sh start "$WORK/pg")
"$PGBIN/psql" -qX "$ADMIN_URL" -c "CREATE DATABASE $DBNAME" >/dev/null
PG_URL="postgresql://shopvox@127.0.0.1:$(cat "$WORK/pg/port")/$DBNAME"

SV_PORT=$(tests/pg.sh free-port)
OPS_PORT=$(tests/pg.sh free-port)
SV_URL=http://127.0.0.1:$SV_PORT
OPS_URL=http://127.0.0.1:$OPS_PORT   # /readyz and /metrics live on the ops listener
# The service's environment, as in bench/run.sh. An older binary ignores the
# variables it does not know (SHOPVOX_ALLOW_INSECURE_HTTP).
export SHOPVOX_DATABASE_URL=$PG_URL SHOPVOX_LISTEN=127.0.0.1:$SV_PORT SHOPVOX_WORKERS=0
export SHOPVOX_OPS_LISTEN=127.0.0.1:$OPS_PORT
export SHOPVOX_HTTP_THREADS=$HTTP_THREADS SHOPVOX_LOG_LEVEL=warn
export SHOPLINE_SHOP_DOMAIN=$SHOP SHOPLINE_ACCESS_TOKEN=bench-access-token SHOPLINE_APP_SECRET=$SECRET
export SHOPLINE_API_BASE=http://127.0.0.1:9/admin/openapi/v20260301
export PEOPLEVOX_URL=http://127.0.0.1:9/bench/resources/integrationservicev4.asmx
export SHOPVOX_ALLOW_INSECURE_HTTP=1
export PEOPLEVOX_CLIENT_ID=bench PEOPLEVOX_USERNAME=bench PEOPLEVOX_PASSWORD=bench-password
export SHOPVOX_ORDER_PREFIX=SL SHOPVOX_ROUTING_RULES="default=PrimarySite"

say "migrating with $BIN"
"$BIN" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "migrate failed"; }

# Done jobs finished over the last 30 days (inside the default retention, so a
# newer binary would keep them too) and orders in every state, most of them
# long fulfilled, as on a store that has run for a while.
say "filling: $DONE_JOBS done jobs, $ORDERS orders"
T_FILL=$(date +%s.%N)
psql_q "
INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts, run_at,
                  created_at, updated_at, finished_at)
SELECT '$SHOP',
       (ARRAY['post_sales_order', 'post_sales_order', 'post_sales_order', 'cancel_sales_order',
              'catalogue_sync', 'purge_retention', 'detect_stalled'])[1 + g % 7],
       'fill-' || g, jsonb_build_object('order_id', g), 'done', 1, t, t, t, t
  FROM generate_series(1, $DONE_JOBS) AS g,
       LATERAL (SELECT now() - (g % 2592000) * interval '1 second' AS t) AS at" >/dev/null
psql_q "
INSERT INTO orders (shop, shopline_order_id, name, state, financial_status, currency,
                    total_price, sales_order_number, site, sent_at, ready_at,
                    created_at, updated_at)
SELECT '$SHOP', 'fill-' || g, '#F' || g, s, 'paid', 'USD', 42.5,
       CASE WHEN s IN ('sent', 'partially_despatched', 'despatched', 'fulfilled')
            THEN 'FILL' || g END,
       'PrimarySite',
       CASE WHEN s IN ('sent', 'partially_despatched', 'despatched', 'fulfilled') THEN t END,
       CASE WHEN s <> 'awaiting_payment' THEN t END, t, t
  FROM generate_series(1, $ORDERS) AS g,
       LATERAL (SELECT now() - (g % 2592000) * interval '1 second' AS t,
                       (ARRAY['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled',
                              'fulfilled', 'despatched', 'partially_despatched', 'sent', 'ready',
                              'awaiting_payment', 'on_hold', 'cancelled',
                              'not_for_warehouse'])[1 + g % 14] AS s) AS x" >/dev/null
# What autovacuum would have done long ago on such tables.
psql_q "VACUUM (ANALYZE) jobs" >/dev/null
psql_q "VACUUM (ANALYZE) orders" >/dev/null
psql_q "CHECKPOINT" >/dev/null
FILL_S=$(since "$T_FILL")
say "filled in ${FILL_S}s (jobs $(psql_q "SELECT pg_size_pretty(pg_total_relation_size('jobs'))"), orders $(psql_q "SELECT pg_size_pretty(pg_total_relation_size('orders'))"))"

# ---- service ---------------------------------------------------------------

say "starting $BIN serve on $SV_URL (workers 0, $HTTP_THREADS HTTP threads)"
"$BIN" serve >"$WORK/shopvox.log" 2>&1 &
SV_PID=$!
PIDS+=("$SV_PID")
ready=0
for _ in $(seq 1 100); do
  curl -sf --noproxy '*' "$OPS_URL/readyz" >/dev/null 2>&1 && { ready=1; break; }
  kill -0 "$SV_PID" 2>/dev/null || break
  sleep 0.1
done
[ "$ready" = 1 ] || { tail -n 20 "$WORK/shopvox.log" >&2; die "shopvox did not become ready on $SV_URL"; }
# The gauges as one scrape shows them (a refreshing binary fills them at start).
curl -s --noproxy '*' --max-time "$SCRAPE_TIMEOUT_S" "$OPS_URL/metrics" >"$WORK/metrics.first" || true

# ---- load ------------------------------------------------------------------

# One scraper: /metrics back to back until $WORK/stop exists; one line per
# finished scrape (the HTTP status, 000 for a transport error or timeout).
scraper() {
  while [ ! -e "$WORK/stop" ]; do
    curl -s -o /dev/null --noproxy '*' --max-time "$SCRAPE_TIMEOUT_S" -w '%{http_code}\n' \
      "$OPS_URL/metrics" >>"$WORK/scrape.$1" || true
  done
}

say "$SCRAPERS scrapers on $OPS_URL/metrics; 2 s for the storm to build up"
for i in $(seq 1 "$SCRAPERS"); do
  scraper "$i" &
  PIDS+=($!)
done
sleep 2

say "webhooks: ${RATE}/s for ${DURATION}s, $CONNECTIONS connections (loadgen)"
printf '%s\n' "$SECRET" >"$WORK/secret"
LG_CMD=(build/loadgen --url "$SV_URL/webhooks/shopline" --secret-file "$WORK/secret"
        --rate "$RATE" --duration "$DURATION" --connections "$CONNECTIONS"
        --shop-domain "$SHOP" --orders 100000000 --dup-ratio 0 --timeout-ms 10000)
S0=$(scrapes_ok)
T_LOAD=$(date +%s.%N)
lg_rc=0
"${LG_CMD[@]}" >"$WORK/loadgen.log" 2>&1 &
LG_PID=$!
PIDS+=("$LG_PID")
wait "$LG_PID" || lg_rc=$?
LOAD_S=$(since "$T_LOAD")
S1=$(scrapes_ok)
SCRAPE_FAILED=$(scrapes_failed)
touch "$WORK/stop"
sed 's/^/    /' "$WORK/loadgen.log" >&2
grep -q '^RESULT ' "$WORK/loadgen.log" || die "loadgen failed (exit $lg_rc)"
[ "$lg_rc" = 0 ] || say "warning: some webhooks got a non-2xx answer or an error (exit $lg_rc)"
kill -0 "$SV_PID" 2>/dev/null || die "shopvox died during the run (see $WORK/shopvox.log)"

SCRAPES=$((S1 - S0))
SCRAPE_RATE=$(awk -v n="$SCRAPES" -v s="$LOAD_S" 'BEGIN { printf "%.1f", (s > 0) ? n / s : 0 }')
L=$WORK/loadgen.log
{
  echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) after the run; fill ${FILL_S}s"
  echo "loadgen: ${LG_CMD[*]/$WORK\//}"
  printf 'metrics_scrape bin=%s done_jobs=%s orders=%s scrapers=%s rate=%s/s duration=%ss' \
    "$BIN" "$DONE_JOBS" "$ORDERS" "$SCRAPERS" "$RATE" "$DURATION"
  printf ' webhooks_sent=%s webhooks_ok=%s missed=%s p50_ms=%s p99_ms=%s scrapes=%s (%s/s, %s failed)\n' \
    "$(result_kv "$L" sent)" "$(result_kv "$L" ok)" "$(result_kv "$L" missed)" "$(result_kv "$L" p50_ms)" \
    "$(result_kv "$L" p99_ms)" "$SCRAPES" "$SCRAPE_RATE" "$SCRAPE_FAILED"
} | tee "$WORK/summary.txt"
