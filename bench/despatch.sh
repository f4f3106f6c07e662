#!/usr/bin/env bash
# bench/despatch.sh - the despatch loop under the SHOPLINE budget (`./dev bench despatch`).
#
# N paid orders are made in the fake SHOPLINE store and delivered to shopvox as
# its signed webhooks; once all are Sales Orders in the fake Peoplevox, the
# warehouse despatches every one of them at once (each with its tracking
# number). shopvox reads them back (despatch poll every BENCH_POLL_S) and
# creates one fulfillment per despatch in the store, through the shared limiter
# at the store's budget (SHOPLINE_RATE_PER_SEC / SHOPLINE_BURST, default 4/s,
# 40), against a store whose leaky bucket is the same (a call over budget is a
# 429 there). Reports minutes to drain (first despatch to last fulfillment),
# the request rate the store saw (its traffic record: the most calls in any
# 1 s window, the average over the drain), 429s provoked (target 0), store
# calls per despatch, and p50/p99 despatch -> fulfillment delay (from the
# moment the warehouse despatched to the despatch's confirmed_at).
#
# Knobs: BENCH_DESPATCHES (1000), BENCH_RATE_PER_SEC (4), BENCH_BURST (40),
# BENCH_POLL_S (5), BENCH_WORKERS (4), BENCH_PVX_LATENCY_MS (20). Loopback
# only; everything is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_DESPATCHES:-1000}
RATE=${BENCH_RATE_PER_SEC:-4}
BURST=${BENCH_BURST:-40}
POLL_S=${BENCH_POLL_S:-5}
WORKERS=${BENCH_WORKERS:-4}
LATENCY=${BENCH_PVX_LATENCY_MS:-20}
SECRET=bench-app-secret
TOKEN=bench-token
SHOP=sandbox.myshopline.com # the fake store's domain

. bench/lib.sh
bench_workdir despatch

say "private PostgreSQL in $WORK/pg"
DB=$(tests/pg.sh start "$WORK/pg")
PVX_PORT=$(free_port)
SL_PORT=$(free_port)
SV_PORT=$(free_port)
build/shopvox sandbox --listen "127.0.0.1:$PVX_PORT" --latency-ms "$LATENCY" --client-id bench \
  --username bench --password bench-pw --shopline-listen "127.0.0.1:$SL_PORT" \
  --shopline-token "$TOKEN" --shopline-secret "$SECRET" --shopline-bucket "$RATE/$BURST" \
  --shopline-webhook-url "http://127.0.0.1:$SV_PORT/webhooks/shopline" >"$WORK/sandbox.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SL_PORT/_sandbox/state"

export SHOPVOX_DATABASE_URL=$DB SHOPVOX_LISTEN=127.0.0.1:$SV_PORT SHOPVOX_WORKERS=$WORKERS
export SHOPVOX_OPS_LISTEN=127.0.0.1:$(free_port)
export PEOPLEVOX_RATE=100000/1s # the Peoplevox sandbox here has no cap: Shopline's budget is measured
export SHOPLINE_SHOP_DOMAIN=$SHOP SHOPLINE_ACCESS_TOKEN=$TOKEN SHOPLINE_APP_SECRET=$SECRET
export SHOPLINE_API_BASE=http://127.0.0.1:$SL_PORT/admin/openapi/v20260301
export SHOPLINE_RATE_PER_SEC=$RATE SHOPLINE_BURST=$BURST SHOPVOX_DESPATCH_POLL_S=$POLL_S
export PEOPLEVOX_URL=http://127.0.0.1:$PVX_PORT/bench/resources/integrationservicev4.asmx
export SHOPVOX_ALLOW_INSECURE_HTTP=1
export PEOPLEVOX_CLIENT_ID=bench PEOPLEVOX_USERNAME=bench PEOPLEVOX_PASSWORD=bench-pw
export SHOPVOX_LOG_LEVEL=warn SHOPVOX_ORDER_PREFIX=B
build/shopvox serve --migrate >"$WORK/shopvox.log" 2>&1 &
PIDS+=($!)
q() { psql "$DB" -qtAX -c "$1"; }
for _ in $(seq 1 200); do [ "$(q "SELECT count(*) FROM items" 2>/dev/null || echo 0)" -ge 1 ] && break; sleep 0.1; done

# wait_for SQL WANT SECONDS
wait_for() {
  local deadline=$((SECONDS + $3))
  while [ "$(q "$1")" -lt "$2" ]; do
    [ $SECONDS -lt $deadline ] || { echo "timed out: $1 < $2 (log: $WORK/shopvox.log)" >&2; tail -5 "$WORK/shopvox.log" >&2; exit 1; }
    sleep 1
  done
}

say "$N paid orders made in the fake store and delivered to shopvox as its webhooks"
python3 - "$SL_PORT" "$N" <<'PY'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(n):
    body = json.dumps({"name": "#B%05d" % i, "financial_status": "paid",
                       "lines": [{"sku": "TEE-BLK-M", "quantity": 1}],
                       "deliver": {"topic": "orders/paid"}})
    c.request("POST", "/_sandbox/orders", body)
    r = json.loads(c.getresponse().read())
    if r["deliveries"][0]["status"] != 200:
        sys.exit("delivery of order %d answered %s" % (i, r["deliveries"][0]["status"]))
PY
wait_for "SELECT count(*) FROM orders WHERE state = 'sent'" "$N" 600

say "the warehouse despatches all $N; the store's budget is $RATE/s, burst $BURST"
q "SELECT sales_order_number FROM orders ORDER BY id" >"$WORK/sos"
python3 - "$PVX_PORT" "$WORK/sos" >"$WORK/despatched.csv" <<'PY'
import http.client, json, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i, so in enumerate(open(sys.argv[2]).read().split()):
    c.request("POST", "/_sandbox/despatch", json.dumps({"SalesOrderNumber": so, "Carrier": "DPD",
              "Service": "Next day", "TrackingNumber": "TRK-BENCH-%05d" % i}))
    r = json.loads(c.getresponse().read())
    print("%s,%.6f" % (r["DespatchNumber"], time.time()))
PY
wait_for "SELECT count(*) FROM despatches WHERE state = 'fulfilled'" "$N" $((N * 3 / RATE + 300))

psql "$DB" -qX -c "CREATE TABLE bench_despatched (number text PRIMARY KEY, at_s float8)" \
  -c "\\copy bench_despatched FROM '$WORK/despatched.csv' WITH (FORMAT csv)"
read -r DRAIN_S P50 P99 < <(q "SELECT
  round(extract(epoch FROM max(d.confirmed_at))::numeric - min(b.at_s)::numeric, 1),
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.confirmed_at) - b.at_s)::numeric, 1),
  round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.confirmed_at) - b.at_s)::numeric, 1)
  FROM despatches d JOIN bench_despatched b ON b.number = d.despatch_number" | tr '|' ' ')
FULFILLED=$(q "SELECT count(*) FROM orders WHERE state = 'fulfilled'")
curl -sf "http://127.0.0.1:$SL_PORT/_sandbox/state" >"$WORK/state.json"
curl -sf "http://127.0.0.1:$SL_PORT/_sandbox/traffic" >"$WORK/traffic.json"
python3 - "$N" "$RATE" "$BURST" "$DRAIN_S" "$P50" "$P99" "$FULFILLED" "$WORK/state.json" "$WORK/traffic.json" <<'PY'
import json, sys
n, rate, burst = map(int, sys.argv[1:4])
drain, p50, p99 = map(float, sys.argv[4:7])
fulfilled = int(sys.argv[7])
state, t = json.load(open(sys.argv[8])), json.load(open(sys.argv[9]))
once = sum(1 for o in state["orders"] if len(o["fulfillments"]) == 1)
span = (t["last_at_ms"] - t["first_at_ms"]) / 1000.0
avg = t["requests"] / span if span > 0 else 0
print("despatches                 %d, orders fulfilled %d; store orders with exactly one fulfillment %d (%s)"
      % (n, fulfilled, once, "each once" if once == n and state["fulfillments"] == n else "NOT each once"))
print("drain                      %.1f s = %.2f minutes (floor %d / %d per s = %.2f minutes, less the burst)"
      % (drain, drain / 60, n, rate, n / rate / 60))
print("store requests             %d (%.2f per despatch); most in any 1 s window %d; average %.2f/s over %.0f s (budget %d/s, burst %d)"
      % (t["requests"], t["requests"] / n, t["busiest_1s"], avg, span, rate, burst))
print("429s provoked              %d" % t["refused"])
print("despatch -> fulfillment    p50 %.1f s, p99 %.1f s" % (p50, p99))
print("RESULT despatches=%d drain_min=%.2f requests=%d per_despatch=%.2f busiest_1s=%d avg_per_s=%.2f refused=%d p50_s=%.1f p99_s=%.1f"
      % (n, drain / 60, t["requests"], t["requests"] / n, t["busiest_1s"], avg, t["refused"], p50, p99))
PY
