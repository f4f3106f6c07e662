#!/usr/bin/env bash
# bench/orders.sh - end-to-end orders benchmark (`./dev bench orders`).
#
# Paid orders go in through signed webhooks (build/loadgen) and out to the
# Peoplevox sandbox, which adds a fixed latency to every SOAP call, as a real
# tenant on the other side of the internet would. Reports orders per minute
# end to end, p50/p99 webhook -> Sales Order latency (orders.created_at to
# orders.sent_at), and Peoplevox calls per order (from the sandbox's counters).
#
# Knobs: BENCH_PVX_LATENCY_MS (50), BENCH_RATE (webhooks/s, 15), BENCH_DURATION
# (s, 30), BENCH_WORKERS (4), BENCH_PVX_CONCURRENCY (2), BENCH_PVX_LIMIT (the
# sandbox's rate limit as CALLS/SECONDS, e.g. 15/15, and shopvox's
# PEOPLEVOX_RATE set to the same; empty: no limit), BENCH_DRAIN_S (how long to
# wait for the queue to drain after the last webhook, 300). The issue 12 run:
# BENCH_RATE=67 BENCH_DURATION=300 BENCH_PVX_LIMIT=15/15 BENCH_DRAIN_S=900.
# Also reports the sandbox's refusals for its rate limit (throttling provoked).
#
# Every order is delivered: loadgen runs with --deliver-all (every slot of the
# window is sent, late if the generator falls behind; re-deliveries on top, so
# RATE x DURATION new orders exactly) and --retries (a delivery that got no
# answer, a 408, 429 or 5xx is redelivered with the same bytes and webhook id,
# as Shopline does), on BENCH_CONNECTIONS (32) connections; its retries and
# late sends are reported, so the figures are about shopvox, not the generator.
#
# Memory: shopvox's RSS and the orders waiting for Peoplevox (paid, not yet a
# Sales Order) are sampled every second; reported: the peak RSS (VmHWM), the
# RSS when the most orders waited, and the median RSS while 1,000 or more
# waited. BENCH_PVX_HOLD=1 holds every outbound call (the shop's
# outbound_pauses row, as an uninstall does) while the webhooks arrive, so all
# of them wait at once (e.g. BENCH_RATE=67 BENCH_DURATION=150: ~10,000), reports
# the RSS with them all waiting, then lifts the hold and drains as usual.
# BENCH_PVX_FAULT (JSON for the sandbox's /_sandbox/faults, e.g.
# '{"drop_after_apply":3}' or '{"drop_items_after_apply":3}': the answers to
# the next three batched saves lost after Peoplevox applied them) is armed
# BENCH_PVX_FAULT_AT seconds (60) after the first webhook, to measure what an
# unknown outcome costs in the middle of a drain; the GetData calls are
# reported beside the SaveData ones.
# Loopback only; all of it is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

LATENCY=${BENCH_PVX_LATENCY_MS:-50}
RATE=${BENCH_RATE:-15}
DURATION=${BENCH_DURATION:-30}
WORKERS=${BENCH_WORKERS:-4}
CONCURRENCY=${BENCH_PVX_CONCURRENCY:-2}
LIMIT=${BENCH_PVX_LIMIT:-}
DRAIN_S=${BENCH_DRAIN_S:-300}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
HOLD=${BENCH_PVX_HOLD:-0}
FAULT=${BENCH_PVX_FAULT:-}
FAULT_AT=${BENCH_PVX_FAULT_AT:-60}
SECRET=bench-app-secret
SHOP=bench.myshopline.com

. bench/lib.sh
bench_workdir orders

say "private PostgreSQL in $WORK/pg"
DB=$(tests/pg.sh start "$WORK/pg")
SB_PORT=$(free_port)
SV_PORT=$(free_port)
build/shopvox sandbox --listen "127.0.0.1:$SB_PORT" --latency-ms "$LATENCY" --client-id bench \
  --username bench --password bench-pw ${LIMIT:+--rate-limit "$LIMIT"} >"$WORK/sandbox.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SB_PORT/_sandbox/state"
for sku in VOX-TEE-BLK-M VOX-TEE-WHT-L VOX-HOOD-GRY-M VOX-MUG-350 VOX-CAP-NVY VOX-SOCK-3PK VOX-TOTE-NAT; do
  curl -sf -X POST "http://127.0.0.1:$SB_PORT/_sandbox/items" \
    -d "{\"ItemCode\":\"$sku\",\"Name\":\"$sku\",\"stock\":1000000}" >/dev/null
done

export SHOPVOX_DATABASE_URL=$DB SHOPVOX_LISTEN=127.0.0.1:$SV_PORT SHOPVOX_WORKERS=$WORKERS
export SHOPVOX_OPS_LISTEN=127.0.0.1:$(free_port)
# without BENCH_PVX_LIMIT the sandbox has no rate cap: the shared limiter would only measure itself
export PEOPLEVOX_RATE=${LIMIT:+${LIMIT}s}
[ -n "$PEOPLEVOX_RATE" ] || PEOPLEVOX_RATE=100000/1s
export SHOPLINE_SHOP_DOMAIN=$SHOP SHOPLINE_ACCESS_TOKEN=bench SHOPLINE_APP_SECRET=$SECRET
export PEOPLEVOX_URL=http://127.0.0.1:$SB_PORT/bench/resources/integrationservicev4.asmx
export SHOPVOX_ALLOW_INSECURE_HTTP=1
export PEOPLEVOX_CLIENT_ID=bench PEOPLEVOX_USERNAME=bench PEOPLEVOX_PASSWORD=bench-pw
export PEOPLEVOX_MAX_CONCURRENCY=$CONCURRENCY SHOPVOX_LOG_LEVEL=warn SHOPVOX_ORDER_PREFIX=B
build/shopvox serve --migrate >"$WORK/shopvox.log" 2>&1 &
SV_PID=$!
PIDS+=($SV_PID)
q() { psql "$DB" -qtAX -c "$1"; }
for _ in $(seq 1 200); do [ "$(q "SELECT count(*) FROM items" 2>/dev/null || echo 0)" -ge 7 ] && break; sleep 0.1; done
WAITING="SELECT count(*) FROM orders WHERE state IN ('ready', 'awaiting_payment')"
# one line a second: epoch seconds, shopvox RSS (KiB), orders waiting for Peoplevox
( while kill -0 "$SV_PID" 2>/dev/null; do
    printf '%s %s %s\n' "$(date +%s)" "$(awk '/^VmRSS/ {print $2}' "/proc/$SV_PID/status" 2>/dev/null)" \
      "$(q "$WAITING" 2>/dev/null || echo -)"
    sleep 1
  done ) >"$WORK/rss.txt" &
PIDS+=($!)
if [ "$HOLD" = 1 ]; then
  say "holding every outbound call (outbound_pauses) while the orders arrive"
  q "INSERT INTO outbound_pauses (shop, reason) VALUES ('$SHOP', 'bench hold')"
fi

say "sending paid orders: ${RATE}/s for ${DURATION}s; Peoplevox latency ${LATENCY} ms/call, ${WORKERS} workers, ${CONCURRENCY} calls in flight"
if [ -n "$FAULT" ]; then
  ( sleep "$FAULT_AT"
    curl -sf -X POST "http://127.0.0.1:$SB_PORT/_sandbox/faults" -d "$FAULT" >/dev/null
    echo "fault armed at ${FAULT_AT}s: $FAULT" >&2 ) &
  PIDS+=($!)
fi
build/loadgen --url "http://127.0.0.1:$SV_PORT/webhooks/shopline" --secret "$SECRET" \
  --shop-domain "$SHOP" --rate "$RATE" --duration "$DURATION" --connections "$CONNECTIONS" \
  --orders 10000000 --dup-ratio 0.05 --deliver-all --retries 20 >"$WORK/loadgen.out" 2>&1 || true
grep '^RESULT' "$WORK/loadgen.out" >&2 || tail -5 "$WORK/loadgen.out" >&2
LG=$(grep '^RESULT' "$WORK/loadgen.out" || true)
lg() { printf '%s' "$LG" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
HELD_RSS=-
if [ "$HOLD" = 1 ]; then
  sleep 10
  HELD_RSS="$(awk '/^VmRSS/ {print $2}' "/proc/$SV_PID/status") $(q "$WAITING")"
  say "lifting the hold: RSS ${HELD_RSS% *} KiB with ${HELD_RSS#* } orders waiting"
  q "DELETE FROM outbound_pauses WHERE shop = '$SHOP'"
fi

say "waiting for the queue to drain"
for _ in $(seq 1 $((DRAIN_S * 2))); do
  [ "$(q "SELECT count(*) FROM orders WHERE state IN ('ready', 'awaiting_payment')")" = 0 ] && break
  sleep 0.5
done

read -r N SENT HELD SPAN_S P50 P99 < <(q "SELECT count(*), count(*) FILTER (WHERE state = 'sent'),
  count(*) FILTER (WHERE state = 'on_hold'),
  round(extract(epoch FROM max(sent_at) - min(created_at))::numeric, 2),
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at) * 1000)::numeric, 1),
  round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at) * 1000)::numeric, 1)
  FROM orders" | tr '|' ' ')
STATE=$(curl -sf "http://127.0.0.1:$SB_PORT/_sandbox/state")
SOS=$(printf '%s' "$STATE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sales_orders"])')
CALLS=$(printf '%s' "$STATE" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(s["calls"].values()))')
SAVES=$(printf '%s' "$STATE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"].get("SaveData", 0))')
GETS=$(printf '%s' "$STATE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"].get("GetData", 0))')
REFUSED=$(printf '%s' "$STATE" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("refused", 0))')
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$SV_PID/status")
python3 - "$N" "$SENT" "$HELD" "$SPAN_S" "$P50" "$P99" "$SOS" "$CALLS" "$SAVES" "$REFUSED" \
  "$(lg new)" "$(lg missed)" "$(lg retries)" "$(lg late)" "$(lg ok)" "$(lg sent)" "$HWM" \
  "$HELD_RSS" "$WORK/rss.txt" "$GETS" <<'PY'
import statistics, sys
n, sent, held = map(int, sys.argv[1:4])
span, p50, p99 = (float(x or 0) for x in sys.argv[4:7])
sos, calls, saves, refused = map(int, sys.argv[7:11])
lg_new, lg_missed, lg_retries, lg_late, lg_ok, lg_sent = (int(x or 0) for x in sys.argv[11:17])
hwm = int(sys.argv[17] or 0)
held_rss = sys.argv[18]
gets = int(sys.argv[20] or 0)
samples = []
for line in open(sys.argv[19]):
    f = line.split()
    if len(f) == 3 and f[1].isdigit() and f[2].isdigit():
        samples.append((int(f[1]), int(f[2])))
print("webhooks (loadgen)         %d new orders, %d sent (re-deliveries included), %d answered 2xx, "
      "%d missed, %d retries, %d sent late" % (lg_new, lg_sent, lg_ok, lg_missed, lg_retries, lg_late))
print("orders received            %d (sent %d, on hold %d)" % (n, sent, held))
print("Sales Orders in sandbox    %d (exactly once: %s)" % (sos, "yes" if sos == sent else "NO"))
print("end to end                 %.0f orders/minute" % (sent / span * 60 if span else 0))
print("webhook -> Sales Order     p50 %.1f ms, p99 %.1f ms" % (p50, p99))
print("first paid -> last SO     %.1f s" % span)
print("Peoplevox calls per order  %.3f (SaveData %.3f; %d calls: %d SaveData, %d GetData)"
      % (calls / sent if sent else 0, saves / sent if sent else 0, calls, saves, gets))
print("throttle refusals          %d (the sandbox's rate limit)" % refused)
most_rss, most_waiting = max(samples, key=lambda s: (s[1], s[0])) if samples else (0, 0)
busy = [r for r, w in samples if w >= 1000]
steady = statistics.median(busy) if busy else 0
print("shopvox RSS                peak %.1f MiB; %.1f MiB with %d orders waiting (the most); "
      "median %.1f MiB while >= 1,000 waited (%d samples)"
      % (hwm / 1024, most_rss / 1024, most_waiting, steady / 1024, len(busy)))
if held_rss != "-":
    r, w = map(int, held_rss.split())
    print("held (BENCH_PVX_HOLD=1)    RSS %.1f MiB with %d orders waiting" % (r / 1024, w))
print("RESULT orders=%d sent=%d sales_orders=%d span_s=%.1f orders_per_min=%.0f p50_ms=%.1f p99_ms=%.1f calls_per_order=%.3f refused=%d"
      " lg_missed=%d lg_retries=%d rss_peak_kib=%d rss_most_waiting_kib=%d most_waiting=%d rss_median_busy_kib=%d"
      % (n, sent, sos, span, sent / span * 60 if span else 0, p50, p99, calls / sent if sent else 0, refused,
         lg_missed, lg_retries, hwm, most_rss, most_waiting, steady))
PY
