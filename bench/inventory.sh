#!/usr/bin/env bash
# bench/inventory.sh - the inventory sync at 50,000 SKUs x 2 sites (`./dev bench inventory`).
#
# The fake store holds BENCH_SKUS products (one variant each) and the fake
# Peoplevox their stock at PrimarySite and LONDON, mapped to the store's first
# two locations. The stock table starts as if every level had been pushed
# (the steady state; an initial sync of 100,000 levels takes ~7 hours at 4/s
# and is not what is measured here). The store's budget is enforced
# throughout (its bucket 4/s burst 40, SHOPLINE_RATE_PER_SEC=4):
#
#  1. a full snapshot read and diffed: one sync_inventory_full job (100
#     report pages, 1 % of the levels changed; Peoplevox unthrottled here,
#     1b measures it throttled): shopvox's CPU seconds
#     (utime + stime of the process over the job) and its peak RSS above the
#     RSS before (VmHWM reset through /proc/PID/clear_refs), the job's wall
#     time; targets 2 s CPU, 64 MiB;
#  1b. shopvox restarted with Peoplevox's budget enforced as well
#     (PEOPLEVOX_RATE=15/15s, the fake refusing past 15 calls / 15 s): the
#     same full read again (1 % changed again), its wall time, its report
#     calls and the fake's refusals;
#  2. with both budgets enforced:
#     BENCH_MINUTES (5) minutes at a change rate of BENCH_CHANGE_PCT (1) %
#     of the items a minute at one site, each change hinted as Peoplevox's
#     AvailabilityChanges callback: Peoplevox and Shopline calls per hour
#     (from the fakes' own counts, scaled; plus the hourly full read), and
#     the warehouse-change -> store-visible delay p50 / p99 (change to the
#     push Shopline accepted, stock.pushed_at), measured after up to three
#     more minutes for the last pushes; levels still waiting then count with
#     their age, so the figures are lower bounds when the store's 4/s cannot
#     keep up (it cannot at 50,000 SKUs and 1 %/min: 500 changes a minute
#     against 240 sets).
#
# Knobs: BENCH_SKUS (50000), BENCH_MINUTES (5), BENCH_CHANGE_PCT (1),
# BENCH_WORKERS (4), BENCH_ONLY (unset: all; `full`: part 1 alone, about 3
# minutes; `budget`: parts 1 and 1b, without the wait for 1's pushes).
# Loopback only; everything is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SKUS=${BENCH_SKUS:-50000}
MINUTES=${BENCH_MINUTES:-5}
ONLY=${BENCH_ONLY:-}
case "$ONLY" in ''|full|budget) ;; *) echo "BENCH_ONLY: full or budget, not '$ONLY'" >&2; exit 2 ;; esac
PCT=${BENCH_CHANGE_PCT:-1}
WORKERS=${BENCH_WORKERS:-4}
SECRET=bench-app-secret
TOKEN=bench-token
HINT=bench-peoplevox-callback-token-0123456789
SHOP=sandbox.myshopline.com

. bench/lib.sh
bench_workdir inventory

say "private PostgreSQL in $WORK/pg"
DB=$(tests/pg.sh start "$WORK/pg")
PVX_PORT=$(free_port)
SL_PORT=$(free_port)
SV_PORT=$(free_port)
OPS_PORT=$(free_port)
build/shopvox sandbox --listen "127.0.0.1:$PVX_PORT" --client-id bench --username bench \
  --password bench-pw --shopline-listen "127.0.0.1:$SL_PORT" \
  --shopline-token "$TOKEN" --shopline-secret "$SECRET" --shopline-bucket 4/40 \
  >"$WORK/sandbox.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SL_PORT/_sandbox/state"
q() { psql "$DB" -qtAX -c "$1"; }

say "$SKUS products in the fake store, their stock at 2 sites in the fake Peoplevox"
python3 - "$SL_PORT" "$PVX_PORT" "$SKUS" <<'PY'
import http.client, json, sys
sl, pvx, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def post(port, path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 200, (path, r.status)
for at in range(0, n, 1000):
    post(sl, "/_sandbox/products", {"products": [
        {"title": "Item %d" % i, "variants": [{"sku": "BN-%06d" % i}]}
        for i in range(at, min(n, at + 1000))]})
    post(pvx, "/_sandbox/stock", {"stock": [
        {"ItemCode": "BN-%06d" % i, "site": s, "on_hand": (i * k) % 97 + 1}
        for i in range(at, min(n, at + 1000)) for k, s in ((1, "PrimarySite"), (3, "LONDON"))]})
PY
LOCS=$(curl -sf -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$SL_PORT/admin/openapi/v20260301/locations/list.json" |
  python3 -c 'import json,sys; l=json.load(sys.stdin)["locations"]; print(l[0]["id"], l[1]["id"])')
read -r LOC0 LOC1 <<<"$LOCS"

export SHOPVOX_DATABASE_URL=$DB SHOPVOX_LISTEN=127.0.0.1:$SV_PORT SHOPVOX_OPS_LISTEN=127.0.0.1:$OPS_PORT
export SHOPVOX_WORKERS=$WORKERS SHOPLINE_SHOP_DOMAIN=$SHOP SHOPLINE_ACCESS_TOKEN=$TOKEN
export SHOPLINE_APP_SECRET=$SECRET SHOPLINE_API_BASE=http://127.0.0.1:$SL_PORT/admin/openapi/v20260301
export PEOPLEVOX_URL=http://127.0.0.1:$PVX_PORT/bench/resources/integrationservicev4.asmx
export PEOPLEVOX_CLIENT_ID=bench PEOPLEVOX_USERNAME=bench PEOPLEVOX_PASSWORD=bench-pw
export SHOPVOX_ALLOW_INSECURE_HTTP=1 SHOPVOX_LOG_LEVEL=info PEOPLEVOX_WEBHOOK_TOKEN=$HINT
export SHOPVOX_LOCATION_MAP="PrimarySite=$LOC0;LONDON=$LOC1"
export PEOPLEVOX_RATE=100000/1s SHOPLINE_RATE_PER_SEC=4 SHOPLINE_BURST=40
export SHOPVOX_INVENTORY_SYNC_S=60 SHOPVOX_INVENTORY_FULL_SYNC_S=86400
export SHOPVOX_INVENTORY_RECONCILE_S=86400 SHOPVOX_VARIANT_SYNC_S=86400
build/shopvox migrate >/dev/null 2>&1
# the steady state: every level as the warehouse holds it, already pushed
q "INSERT INTO stock (shop, item_code, site, available, desired, pushed, pushed_location, pushed_at, read_at)
   SELECT '$SHOP', 'BN-' || lpad(i::text, 6, '0'), s.site, v, v, v, s.loc, now() - interval '2 hours',
          now() - interval '2 hours'
   FROM generate_series(0, $SKUS - 1) i,
        LATERAL (VALUES ('PrimarySite', '$LOC0', i % 97 + 1), ('LONDON', '$LOC1', (i * 3) % 97 + 1)) s(site, loc, v)"
# the start-up full read is due in a day: the benchmark enqueues its own
for t in sync_inventory_full reconcile_inventory; do
  q "INSERT INTO cursors (name, value) VALUES ('$t', extract(epoch FROM now())::bigint::text)
     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value" >/dev/null
done
serve() {
  build/shopvox serve >>"$WORK/shopvox.log" 2>&1 &
  SV_PID=$!
  PIDS+=($SV_PID)
  wait_http "http://127.0.0.1:$OPS_PORT/readyz" || die "shopvox did not start (log: $WORK/shopvox.log)"
}
serve
say "the Shopline catalogue into variants (sync_variants, 250 products a call at 4/s)"
for _ in $(seq 1 600); do [ "$(q "SELECT count(*) FROM variants")" -ge "$SKUS" ] && break; sleep 1; done
[ "$(q "SELECT count(*) FROM variants")" -ge "$SKUS" ] || die "variants not synced (log: $WORK/shopvox.log)"
sleep 3

# 1 % of the items changed at PrimarySite (to on_hand + the round's offset)
change_one_pct() {
  python3 - "$PVX_PORT" "$SKUS" "$1" <<'PY'
import http.client, json, sys
pvx, n, off = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", pvx, timeout=120)
body = {"stock": [{"ItemCode": "BN-%06d" % i, "site": "PrimarySite", "on_hand": i % 97 + off}
                  for i in range(0, n, 50)]}
c.request("POST", "/_sandbox/stock", json.dumps(body)); r = c.getresponse(); r.read()
assert r.status == 200
PY
}
# Item inventory summary reads the fake Peoplevox answered
pvx_reads() {
  curl -sf "http://127.0.0.1:$PVX_PORT/_sandbox/calls" | python3 -c 'import json,sys
print(sum(1 for c in json.load(sys.stdin)["calls"]
          if c.get("op") == "GetReportData" and c.get("template") == "Item inventory summary"))'
}
pvx_refused() {
  curl -sf "http://127.0.0.1:$PVX_PORT/_sandbox/state" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("refused", 0))'
}
# one sync_inventory_full job, waited for (its done count must reach $1)
full_read() {
  q "INSERT INTO jobs (shop, kind, dedupe_key, payload) VALUES ('$SHOP', 'sync_inventory_full', 'inventory_full', '{}')" >/dev/null
  while [ "$(q "SELECT count(*) FROM jobs WHERE kind = 'sync_inventory_full' AND state = 'done'")" -lt "$1" ]; do
    [ "$(q "SELECT count(*) FROM jobs WHERE kind = 'sync_inventory_full' AND state = 'dead'")" = 0 ] ||
      die "the full read died (log: $WORK/shopvox.log)"
    sleep 0.1
  done
}
cpu() { awk '{ print $14 + $15 }' "/proc/$SV_PID/stat"; }
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SV_PID/status"; }
TICK=$(getconf CLK_TCK)

say "1. a full snapshot read and diffed: $((SKUS * 2)) levels, 1 % changed in the warehouse"
change_one_pct 500
echo 5 >"/proc/$SV_PID/clear_refs"
RSS0=$(kb VmRSS)
CPU0=$(cpu)
full_read 1
CPU1=$(cpu)
HWM=$(kb VmHWM)
LINE=$(grep 'event=inventory_synced kind=full' "$WORK/shopvox.log" | tail -1)
echo "  $LINE" | sed 's/^ *ts=[^ ]* //'
awk -v c0="$CPU0" -v c1="$CPU1" -v t="$TICK" -v r0="$RSS0" -v h="$HWM" 'BEGIN {
  printf "  shopvox CPU %.2f s (target < 2 s); RSS before %.1f MiB, peak %.1f MiB: +%.1f MiB (target < 64 MiB)\n",
         (c1 - c0) / t, r0 / 1024, h / 1024, (h - r0) / 1024 }'
[ "$ONLY" = full ] && exit 0

backlog() { q "SELECT count(*) FROM jobs WHERE kind = 'set_inventory' AND state IN ('pending', 'running')"; }
if [ "$ONLY" != budget ]; then
  say "   (its pushes drain at 4/s first: $(backlog) queued)"
  for _ in $(seq 1 900); do [ "$(backlog)" = 0 ] && break; sleep 1; done
fi
say "   shopvox restarted with the Peoplevox budget enforced (PEOPLEVOX_RATE=15/15s, the fake refusing past it)"
kill -TERM "$SV_PID"
wait "$SV_PID" 2>/dev/null || true
export PEOPLEVOX_RATE=15/15s
curl -sf -X POST "http://127.0.0.1:$PVX_PORT/_sandbox/faults" -d '{"rate_limit":{"calls":15,"window_ms":15000}}' >/dev/null
serve
say "1b. the same full read within PEOPLEVOX_RATE=15/15s (1 % changed again)"
change_one_pct 700
R0=$(pvx_reads)
F0=$(pvx_refused)
T1=$(date +%s.%N)
full_read 2
T2=$(date +%s.%N)
LINE=$(grep 'event=inventory_synced kind=full' "$WORK/shopvox.log" | tail -1)
echo "  $LINE" | sed 's/^ *ts=[^ ]* //'
awk -v t1="$T1" -v t2="$T2" -v r0="$R0" -v r1="$(pvx_reads)" -v f0="$F0" -v f1="$(pvx_refused)" 'BEGIN {
  printf "  completed in %.1f s: %d Item inventory summary calls answered, %d refused by the fake for load\n",
         t2 - t1, r1 - r0, f1 - f0 }'
[ "$ONLY" = budget ] && exit 0
say "2. $MINUTES minutes at $PCT % of the items a minute changing at PrimarySite (hinted), budgets enforced"
q "CREATE TABLE bench_changes (item_code text PRIMARY KEY, value int, changed_at timestamptz)" >/dev/null
PVX0=$(pvx_reads)
REF0=$(pvx_refused)
SL0=$(curl -sf "http://127.0.0.1:$SL_PORT/_sandbox/traffic" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
T0=$SECONDS
python3 - "$PVX_PORT" "$SV_PORT" "$SKUS" "$MINUTES" "$PCT" "$HINT" "$DB" <<'PY'
import http.client, json, subprocess, sys, time
pvx, sv, n, minutes, pct, hint, db = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                      int(sys.argv[4]), float(sys.argv[5]), sys.argv[6], sys.argv[7])
per_min = int(n * pct / 100)
start = time.time()
for m in range(minutes):
    items = [25 + 50 * ((m * per_min + k) % (n // 50)) + (m * per_min + k) // (n // 50)
             for k in range(per_min)]
    # spread over the minute, 10 batches
    for b in range(10):
        batch = items[b::10]
        body = {"stock": [{"ItemCode": "BN-%06d" % i, "site": "PrimarySite",
                           "on_hand": 1000 + m} for i in batch]}
        c = http.client.HTTPConnection("127.0.0.1", pvx, timeout=60)
        c.request("POST", "/_sandbox/stock", json.dumps(body)); r = c.getresponse(); r.read()
        rows = ",".join("('BN-%06d', %d, now())" % (i, 1000 + m) for i in batch)
        subprocess.run(["psql", db, "-qtAX", "-c",
                        "INSERT INTO bench_changes VALUES " + rows +
                        " ON CONFLICT (item_code) DO UPDATE SET value = EXCLUDED.value,"
                        " changed_at = EXCLUDED.changed_at"], check=True)
        h = http.client.HTTPConnection("127.0.0.1", sv, timeout=10)
        for i in batch:
            h.request("GET", "/webhooks/peoplevox/%s?ItemCode=BN-%06d" % (hint, i))
            h.getresponse().read()
        wake = start + m * 60 + (b + 1) * 6
        time.sleep(max(0, wake - time.time()))
PY
ELAPSED=$((SECONDS - T0))
PVX1=$(pvx_reads)
SL1=$(curl -sf "http://127.0.0.1:$SL_PORT/_sandbox/traffic" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["requests"], t["refused"], t["busiest_1s"])')
read -r SLN SLREF SLBUSY <<<"$SL1"
REFUSED=$(($(pvx_refused) - REF0))
awk -v p0="$PVX0" -v p1="$PVX1" -v s0="$SL0" -v s1="$SLN" -v e="$ELAPSED" -v pages=$(( (SKUS * 2 + 999) / 1000 )) 'BEGIN {
  printf "  over %d s: Peoplevox report calls %d -> %.0f/h, plus the hourly full read %d = %.0f/h of 2,880\n",
         e, p1 - p0, (p1 - p0) * 3600 / e, pages, (p1 - p0) * 3600 / e + pages
  printf "  Shopline calls %d -> %.0f/h of 14,400\n", s1 - s0, (s1 - s0) * 3600 / e }'
echo "  store: 429s $SLREF, at most $SLBUSY calls in one second; Peoplevox refusals $REFUSED"
say "   the changes' pushes: up to 3 minutes more for the last ones to reach the store"
for _ in $(seq 1 180); do
  [ "$(q "SELECT count(*) FROM bench_changes c JOIN stock t ON t.item_code = c.item_code
          AND t.site = 'PrimarySite' WHERE t.pushed IS DISTINCT FROM c.value")" = 0 ] && break
  sleep 1
done
q "WITH x AS (SELECT t.pushed = c.value AS seen, extract(epoch FROM CASE WHEN t.pushed = c.value
            THEN t.pushed_at ELSE now() END - c.changed_at) AS d
          FROM bench_changes c JOIN stock t ON t.item_code = c.item_code AND t.site = 'PrimarySite')
   SELECT count(*) FILTER (WHERE seen) || ' of ' || count(*) || ' changes visible in the store; delay p50 '
          || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 1) || ' s, p99 '
          || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY d)::numeric, 1)
          || ' s (those still waiting counted at their age)' FROM x" | sed 's/^/  /'
echo "  backlog at the end: $(backlog) set_inventory jobs"
