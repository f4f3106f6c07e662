#!/usr/bin/env bash
# bench/run.sh - shopvox benchmarks; normally run as `./dev bench NAME`, which
# installs the packages and builds build/ first.
#
#   bench/run.sh ingest   webhook ingest: build/loadgen against
#                         POST /webhooks/shopline (max throughput in rounds,
#                         each followed by the Node peer's, ../shared/bench/
#                         peer-node or BENCH_PEER_DIR, with the same loadgen,
#                         for the ratio issue 12 asks for; then a fixed
#                         1,000/s for latency), shopvox peak RSS, and pgbench
#                         running the handler's own SQL (bench/ingest.pgbench)
#                         on the same database, for the ratio issue 2 asked for
#   bench/run.sh scale    the same ingest with 1x, 4x, 16x orders already
#                         stored (bench/scale.sh: 1x = BENCH_SCALE_UNIT orders)
#
# Ingest also reports the database alone at the fixed rate (pgbench -R with
# bench/inbox_rate.pgbench: a deferred delivery's INSERT and COMMIT), the floor
# under shopvox's latency there, and how steady the machine's CPU is
# (build/hostcheck, bench/hostcheck.c): latency targets mean little on a host
# whose CPU slows down in spells.
#
# Everything runs on this machine and talks to 127.0.0.1 only: a private
# PostgreSQL (tests/pg.sh, in a mktemp directory, durable settings as in
# production: fsync=on, synchronous_commit=on), shopvox serve with
# SHOPVOX_WORKERS=0 (only intake is measured) and the load generators. All of
# it is stopped and removed on exit, Ctrl-C included. Works as root (the
# cluster then belongs to the postgres user, see tests/pg.sh).
#
# Knobs (environment): BENCH_DURATION (s, 20), BENCH_CONNECTIONS (loadgen
# connections = pgbench clients, 8), BENCH_ROUNDS (ingest: max-throughput
# rounds, each shopvox then the peer; the median round's ratio counts, 3),
# BENCH_RATE (fixed-rate run, 1000/s),
# BENCH_WARMUP (s, 5), BENCH_ANALYZE (1: ANALYZE before each measured phase,
# see settle), SHOPVOX_HTTP_THREADS (service default 16), BENCH_KEEP_LOGS=1
# (keep the work directory, logs included).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
RATE=${BENCH_RATE:-1000}
WARMUP=${BENCH_WARMUP:-5}
ROUNDS=${BENCH_ROUNDS:-3}
ANALYZE=${BENCH_ANALYZE:-1}
HTTP_THREADS=${SHOPVOX_HTTP_THREADS:-16}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
SECRET=bench-app-secret
SHOP=bench.myshopline.com   # loadgen and pgbench write as the same shop
DBNAME=shopvox_bench

# Targets from issue 2, then issue 12 (p99, RSS, the peer).
TARGET_RATIO_PCT=60
TARGET_P99_MS=10
TARGET_RSS_MIB=32
TARGET_PEER_X=3

. bench/lib.sh

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
}

# ---- lifecycle -------------------------------------------------------------

WORK=""        # mktemp directory: cluster, logs
PG_STARTED=0
PIDS=()        # background processes this script started
LOADGEN_EXTRA=()  # more loadgen options (bench/scale.sh: --seed, --orders, --first-seq)

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$PG_STARTED" = 1 ]; then
    tests/pg.sh stop "$WORK/pg" >/dev/null 2>&1 || say "could not stop PostgreSQL in $WORK/pg"
  fi
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    # logs stay when asked for or when something failed (not on Ctrl-C)
    if [ "${BENCH_KEEP_LOGS:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ "$rc" != 143 ]; }; then
      rm -rf "$WORK/pg/data"
      say "logs kept in $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}

setup_traps() {
  trap cleanup EXIT
  trap 'say "interrupted"; exit 130' INT
  trap 'exit 143' TERM
}

# run_bg LOG CMD...: runs CMD in the background, output to LOG, and waits for
# it, so that a signal reaches the traps at once (bash runs a trap only after
# a foreground child returns). Only the child is redirected, so the traps'
# messages still reach the terminal. Returns CMD's exit status.
run_bg() {
  local rc=0 log=$1
  shift
  "$@" >"$log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  forget "$pid"
  return "$rc"
}

forget() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}


need_binaries() {
  local b
  for b in build/shopvox build/loadgen build/hostcheck "$PGBIN/pgbench" "$PGBIN/psql"; do
    [ -x "$b" ] || die "$b is missing (run ./dev bench ..., which builds and installs what is missing)"
  done
}

# Starts the private cluster and creates $DBNAME; sets PG_URL.
start_pg() {
  WORK=$(mktemp -d /tmp/shopvox-bench.XXXXXX)
  chmod 755 "$WORK"
  say "starting a private PostgreSQL in $WORK/pg (fsync=on, synchronous_commit=on)"
  PG_STARTED=1
  local admin_url
  admin_url=$(PG_FSYNC=on PG_SYNC_COMMIT=on tests/pg.sh start "$WORK/pg")
  PG_PORT=$(cat "$WORK/pg/port")
  "$PGBIN/psql" -qX "$admin_url" -c "CREATE DATABASE $DBNAME" >/dev/null
  PG_URL="postgresql://shopvox@127.0.0.1:$PG_PORT/$DBNAME"
  PG_VERSION=$(psql_q "SHOW server_version")
  PG_FSYNC_SHOWN=$(psql_q "SHOW fsync")
  PG_SYNC_SHOWN=$(psql_q "SHOW synchronous_commit")
}

# run_var NAME: the value of the variable NAME, one of those set per run
# (PENDING_x and DRAIN_x by drained, STEAL_x by loadgen).
run_var() { printf '%s' "${!1}"; }

psql_q() { "$PGBIN/psql" -qtAX "$PG_URL" -c "$1"; }

# The service's environment (names as in the dev script's demo_env). Nothing
# outside 127.0.0.1 is configured; with SHOPVOX_WORKERS=0 nothing outbound runs.
service_env() {
  export SHOPVOX_DATABASE_URL=$PG_URL
  export SHOPVOX_LISTEN=127.0.0.1:$SV_PORT
  export SHOPVOX_OPS_LISTEN=127.0.0.1:$OPS_PORT
  export SHOPVOX_WORKERS=0
  export SHOPVOX_HTTP_THREADS=$HTTP_THREADS
  export SHOPVOX_LOG_LEVEL=warn
  export SHOPLINE_SHOP_DOMAIN=$SHOP
  export SHOPLINE_API_BASE=http://127.0.0.1:9/admin/openapi/v20260301
  export SHOPLINE_ACCESS_TOKEN=bench-access-token
  export SHOPLINE_APP_SECRET=$SECRET
  export PEOPLEVOX_URL=http://127.0.0.1:9/bench/resources/integrationservicev4.asmx
  export SHOPVOX_ALLOW_INSECURE_HTTP=1
  export PEOPLEVOX_CLIENT_ID=bench PEOPLEVOX_USERNAME=bench PEOPLEVOX_PASSWORD=bench-password
  export SHOPVOX_ORDER_PREFIX=SL
  export SHOPVOX_ROUTING_RULES="default=PrimarySite"
}

# Migrates, starts shopvox serve on a free loopback port; sets SV_PID, SV_URL.
start_shopvox() {
  SV_PORT=$(free_port)
  OPS_PORT=$(free_port)
  service_env
  say "migrating and starting shopvox on 127.0.0.1:$SV_PORT (workers 0, $HTTP_THREADS HTTP threads)"
  build/shopvox migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "migrate failed"; }
  build/shopvox serve >"$WORK/shopvox.log" 2>&1 &
  SV_PID=$!
  PIDS+=("$SV_PID")
  SV_URL=http://127.0.0.1:$SV_PORT
  for _ in $(seq 1 100); do
    curl -sf --noproxy '*' "http://127.0.0.1:$OPS_PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SV_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$WORK/shopvox.log" >&2
  die "shopvox did not become ready on $SV_URL"
}

stop_shopvox() {
  kill -TERM "$SV_PID" 2>/dev/null || true
  wait "$SV_PID" 2>/dev/null || true
  forget "$SV_PID"
}

# Field KEY of the RESULT line in FILE.
result_kv() { grep '^RESULT ' "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

proc_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# Before each measured phase: a flushed WAL, a quiet second and, unless
# BENCH_ANALYZE=0, fresh planner statistics. Without them a cached generic plan
# made while orders was near-empty can stick for the whole run (autovacuum's
# first analyze comes only after its 60 s nap), which is not the steady state
# of a production database; BENCH_ANALYZE=0 measures that cold start.
settle() {
  psql_q "CHECKPOINT" >/dev/null
  [ "$ANALYZE" = 0 ] || psql_q "ANALYZE" >/dev/null
  sleep 1
}

# drained NAME: waits until the pending inbox is empty (the deliveries answered
# "accepted" had their order logic applied, sql/031); sets PENDING_NAME (rows
# pending when the run ended) and DRAIN_NAME (seconds until none was).
drained() {
  local t0 n first drain
  t0=$(date +%s.%N)
  first=$(psql_q "SELECT count(*) FROM webhook_events WHERE outcome = 'pending'")
  n=$first
  while [ "$n" != 0 ]; do
    kill -0 "$SV_PID" 2>/dev/null || die "shopvox died while applying the pending inbox"
    sleep 0.2
    n=$(psql_q "SELECT count(*) FROM webhook_events WHERE outcome = 'pending'")
  done
  drain=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  printf -v "PENDING_$1" '%s' "$first"
  printf -v "DRAIN_$1" '%s' "$drain"
  say "pending inbox: $first rows when the run ended, all applied $drain s later"
}

# utime + stime of PID, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# The machine's CPU time so far, in ticks: "total steal" (/proc/stat).
cpu_total_steal() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9; exit }' /proc/stat; }

# loadgen NAME RATE DURATION [PID URL]: one run against shopvox (or the
# process PID serving URL, the peer), output in $WORK/NAME.log (and on screen);
# sets STEAL_NAME: the share of the machine's CPU time the hypervisor took
# from this virtual machine during the run (steal, %), which shows in the
# latency tails and is no property of the server under test.
loadgen() {
  local name=$1 rate=$2 dur=$3 pid=${4:-$SV_PID} url=${5:-$SV_URL} rc=0 before after
  kill -0 "$pid" 2>/dev/null || die "the server under test is not running (see $WORK/*.log)"
  before=$(cpu_total_steal)
  LAST_CMD=(build/loadgen --url "$url/webhooks/shopline" --secret-file "$WORK/secret"
            --rate "$rate" --duration "$dur" --connections "$CONNECTIONS"
            --shop-domain "$SHOP" --orders 100000000 --dup-ratio 0 --timeout-ms 10000
            "${LOADGEN_EXTRA[@]}")
  run_bg "$WORK/$name.log" "${LAST_CMD[@]}" || rc=$?
  after=$(cpu_total_steal)
  printf -v "STEAL_${name//-/_}" '%s' "$(awk -v b="$before" -v a="$after" 'BEGIN {
    split(b, x, " "); split(a, y, " "); t = y[1] - x[1]
    printf "%.1f", (t > 0) ? 100 * (y[2] - x[2]) / t : 0 }')"
  grep -v '^slow ' "$WORK/$name.log" | sed 's/^/    /' >&2 # --slow-ms lines: slow_clusters
  grep -q '^RESULT ' "$WORK/$name.log" || die "loadgen ($name) failed (exit $rc)"
  [ "$(result_kv "$WORK/$name.log" interrupted)" = 0 ] || die "loadgen ($name) was interrupted"
  [ "$rc" = 0 ] || say "warning: loadgen ($name) saw non-2xx answers or errors (exit $rc)"
}

# Prints "ok" or "MISSED" for value OP target (OP: ge or le), floats allowed.
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == "ge") ? (v >= t) : (v <= t); print ok ? "ok" : "MISSED" }'; }

# ---- the Node peer ---------------------------------------------------------

# The peer (../shared/bench/peer-node, see its README) is copied to
# build/peer-node and its packages installed there once (npm ci), so the
# shared copy stays untouched. Starts it on the same database, one worker per
# CPU; sets PEER_PID, PEER_URL.
start_peer() {
  local src=${BENCH_PEER_DIR:-$ROOT/../shared/bench/peer-node} dst=$ROOT/build/peer-node port _
  [ -f "$src/server.js" ] || die "the Node peer is missing ($src/server.js; set BENCH_PEER_DIR)"
  command -v node >/dev/null || die "node is missing (the peer needs Node.js and npm)"
  mkdir -p "$dst"
  cp "$src/server.js" "$src/schema.sql" "$src/package.json" "$src/package-lock.json" "$dst/"
  [ -d "$dst/node_modules/pg" ] || (cd "$dst" && npm ci --silent >/dev/null) || die "npm ci failed in $dst"
  "$PGBIN/psql" -qX "$PG_URL" -f "$dst/schema.sql" >/dev/null
  port=$(free_port)
  DATABASE_URL=$PG_URL PORT=$port WORKERS=$(nproc) SECRET=$SECRET node "$dst/server.js" \
    >"$WORK/peer-server.log" 2>&1 &
  PEER_PID=$!
  PIDS+=("$PEER_PID")
  PEER_URL=http://127.0.0.1:$port
  for _ in $(seq 1 100); do
    [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "$PEER_URL/webhooks/shopline")" = 401 ] && return 0
    sleep 0.1
  done
  die "the peer did not start (see $WORK/peer-server.log)"
}

stop_peer() {
  kill -TERM "$PEER_PID" 2>/dev/null || true
  wait "$PEER_PID" 2>/dev/null || true
  forget "$PEER_PID"
}

# slow_clusters FILE GAP_MS: "answers clusters interval_s" of the loadgen's
# --slow-ms lines in FILE, an answer due within GAP_MS of the previous slow one
# joining its cluster; interval_s: the mean time between the clusters' starts
# (0 for fewer than two). Clusters at a steady interval point at the host
# (build/hostcheck), slow answers spread over the run at the server.
slow_clusters() {
  { grep '^slow ' "$1" || true; } | sed 's/.*due_ms=\([0-9.]*\).*/\1/' | sort -n | awk -v gap="$2" '
    { if (n == 0 || $1 - last > gap) { c++; if (c == 1) first = $1; start = $1 } last = $1; n++ }
    END { printf "%d %d %.2f\n", n, c, (c > 1) ? (start - first) / (c - 1) / 1000 : 0 }'
}

# ---- ingest ----------------------------------------------------------------

bench_ingest() {
  need_binaries
  LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
  start_pg
  printf '%s\n' "$SECRET" >"$WORK/secret"
  start_shopvox
  local mem_start_kib
  mem_start_kib=$(proc_kib "$SV_PID" VmRSS)

  say "warm-up: ${WARMUP}s at max rate (not measured)"
  loadgen warmup 0 "$WARMUP"
  drained warmup

  say "the Node peer (Express + pg, $(nproc) workers) beside it, warm-up ${WARMUP}s (not measured)"
  start_peer
  loadgen peer-warmup 0 "$WARMUP" "$PEER_PID" "$PEER_URL"

  # Max throughput in ROUNDS rounds, each shopvox then the peer, back to back,
  # so that a stretch of noise (the host's steal time) hits both sides alike;
  # the round with the median ratio is the one reported.
  local r t0 ticks=0 sent=0 round_lines=()
  for r in $(seq 1 "$ROUNDS"); do
    settle
    say "round $r/$ROUNDS: shopvox, max throughput, $CONNECTIONS connections, ${DURATION}s"
    t0=$(cpu_ticks "$SV_PID")
    loadgen "max-$r" 0 "$DURATION"
    ticks=$((ticks + $(cpu_ticks "$SV_PID") - t0))
    sent=$((sent + $(result_kv "$WORK/max-$r.log" sent)))
    drained "max_$r"
    settle
    say "round $r/$ROUNDS: the peer, max throughput, $CONNECTIONS connections, ${DURATION}s"
    loadgen "peer-max-$r" 0 "$DURATION" "$PEER_PID" "$PEER_URL"
    round_lines+=("$(awk -v r="$r" -v a="$(result_kv "$WORK/max-$r.log" rps)" \
      -v b="$(result_kv "$WORK/peer-max-$r.log" rps)" -v sa="$(run_var "STEAL_max_$r")" \
      -v sb="$(run_var "STEAL_peer_max_$r")" \
      'BEGIN { printf "%.4f %d %s / %s = %.2fx (steal %s / %s %%)", (b > 0) ? a / b : 0, r, a, b, (b > 0) ? a / b : 0, sa, sb }')")
  done
  local peer_cmd="${LAST_CMD[*]}" max_cmd
  max_cmd="${peer_cmd/$PEER_URL/$SV_URL}"
  stop_peer
  # the median round (the lower of the two middle ones for an even count)
  local med
  med=$(printf '%s\n' "${round_lines[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p" | cut -d' ' -f2)
  cp "$WORK/max-$med.log" "$WORK/max.log"
  cp "$WORK/peer-max-$med.log" "$WORK/peer.log"
  PENDING_max=$(run_var "PENDING_max_$med")
  DRAIN_max=$(run_var "DRAIN_max_$med")
  STEAL_max=$(run_var "STEAL_max_$med")
  STEAL_peer=$(run_var "STEAL_peer_max_$med")

  settle
  say "fixed ${RATE} webhooks/s, $CONNECTIONS connections, ${DURATION}s"
  local extra=("${LOADGEN_EXTRA[@]}")
  LOADGEN_EXTRA+=(--slow-ms "$TARGET_P99_MS")
  loadgen fixed "$RATE" "$DURATION"
  LOADGEN_EXTRA=("${extra[@]}")
  local fixed_cmd="${LAST_CMD[*]}" slow_n slow_c slow_every
  read -r slow_n slow_c slow_every < <(slow_clusters "$WORK/fixed.log" 250)
  drained fixed

  local hwm_kib rss_kib
  hwm_kib=$(proc_kib "$SV_PID" VmHWM)
  rss_kib=$(proc_kib "$SV_PID" VmRSS)
  kill -0 "$SV_PID" 2>/dev/null || die "shopvox died during the runs (see $WORK/shopvox.log)"
  stop_shopvox

  # The yardstick for the latency figures: whether this machine's CPU runs
  # fixed work at a steady cost (bench/hostcheck.c), with nothing else running.
  say "hostcheck: fixed work every 1 ms for 10 s, nothing else running"
  run_bg "$WORK/hostcheck.log" build/hostcheck 10 || die "hostcheck failed"
  sed 's/^/    /' "$WORK/hostcheck.log" >&2

  settle
  say "pgbench, bench/ingest.pgbench, $CONNECTIONS clients, ${DURATION}s (shopvox stopped)"
  local pgb_cmd=("$PGBIN/pgbench" -n -M prepared -c "$CONNECTIONS" -j "$(nproc)" -T "$DURATION"
                 -D "shop=$SHOP" -f bench/ingest.pgbench "$PG_URL")
  local rc=0
  run_bg "$WORK/pgbench.log" "${pgb_cmd[@]}" || rc=$?
  sed 's/^/    /' "$WORK/pgbench.log" >&2
  [ "$rc" = 0 ] || die "pgbench failed (exit $rc)"

  local tps failed
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*without initial connection time.*/\1/p' "$WORK/pgbench.log")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.log")
  [ -n "$tps" ] || die "no tps in the pgbench output"

  # The database alone at the fixed rate: what one deferred delivery costs it
  # (bench/inbox_rate.pgbench), latency from the schedule (pgbench's own
  # latency plus its schedule lag), the floor under shopvox's figure.
  settle
  say "pgbench at ${RATE}/s, bench/inbox_rate.pgbench (a deferred delivery's INSERT and COMMIT), $CONNECTIONS clients, ${DURATION}s"
  local floor_cmd=("$PGBIN/pgbench" -n -M prepared -c "$CONNECTIONS" -j "$(nproc)" -R "$RATE"
                   -T "$DURATION" -l "--log-prefix=$WORK/pgb-rate" -D "shop=$SHOP"
                   -f bench/inbox_rate.pgbench "$PG_URL")
  rc=0
  run_bg "$WORK/pgbench-rate.log" "${floor_cmd[@]}" || rc=$?
  sed 's/^/    /' "$WORK/pgbench-rate.log" >&2
  [ "$rc" = 0 ] || die "pgbench at ${RATE}/s failed (exit $rc)"
  local floor_p50 floor_p99
  read -r floor_p50 floor_p99 < <(cat "$WORK"/pgb-rate.* | awk '{ print ($3 + $7) / 1000 }' | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1] }')

  # What each side actually wrote: same tables, comparable rows.
  local rows
  rows=$("$PGBIN/psql" -qX "$PG_URL" -c "
    CREATE TEMP TABLE w AS
      SELECT CASE WHEN webhook_id LIKE 'pgbench-rate-%' THEN 'pgbench -R'
                  WHEN webhook_id LIKE 'pgbench-%' THEN 'pgbench' ELSE 'shopvox' END AS by,
             order_id, length(body) AS len FROM webhook_events;
    SELECT w.by AS written_by, count(*) AS deliveries, round(avg(w.len)) AS avg_body_bytes,
           count(DISTINCT w.order_id) AS orders,
           (SELECT count(*) FROM order_lines l WHERE l.order_id IN
              (SELECT order_id FROM w w2 WHERE w2.by = w.by)) AS lines,
           (SELECT count(*) FROM jobs j WHERE j.dedupe_key IN
              (SELECT order_id::text FROM w w2 WHERE w2.by = w.by)) AS jobs,
           (SELECT count(*) FROM order_events e WHERE e.order_id IN
              (SELECT order_id FROM w w2 WHERE w2.by = w.by)) AS events
      FROM w GROUP BY w.by ORDER BY w.by")

  local max_rps max_p50 max_p99 max_bad fix_rps fix_p50 fix_p99 fix_sp99 fix_bad fix_missed
  max_rps=$(result_kv "$WORK/max.log" rps)
  max_p50=$(result_kv "$WORK/max.log" p50_ms)
  max_p99=$(result_kv "$WORK/max.log" p99_ms)
  max_bad=$(( $(result_kv "$WORK/max.log" non2xx) + $(result_kv "$WORK/max.log" errors) ))
  fix_rps=$(result_kv "$WORK/fixed.log" rps)
  fix_p50=$(result_kv "$WORK/fixed.log" p50_ms)
  fix_p99=$(result_kv "$WORK/fixed.log" p99_ms)
  fix_sp99=$(result_kv "$WORK/fixed.log" send_p99_ms)
  fix_missed=$(result_kv "$WORK/fixed.log" missed)
  fix_bad=$(( $(result_kv "$WORK/fixed.log" non2xx) + $(result_kv "$WORK/fixed.log" errors) ))

  local peer_rps peer_p99 peer_bad peer_ratio
  peer_rps=$(result_kv "$WORK/peer.log" rps)
  peer_p99=$(result_kv "$WORK/peer.log" p99_ms)
  peer_bad=$(( $(result_kv "$WORK/peer.log" non2xx) + $(result_kv "$WORK/peer.log" errors) ))
  peer_ratio=$(awk -v a="$max_rps" -v b="$peer_rps" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')

  local ratio hwm_mib start_mib rss_mib
  ratio=$(awk -v a="$max_rps" -v b="$tps" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }')
  hwm_mib=$(awk -v k="$hwm_kib" 'BEGIN { printf "%.1f", k / 1024 }')
  rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
  start_mib=$(awk -v k="${mem_start_kib:-0}" 'BEGIN { printf "%.1f", k / 1024 }')
  local cpu_us
  cpu_us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$sent" \
    'BEGIN { printf "%.0f", (n > 0) ? 1e6 * t / hz / n : 0 }')

  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  {
    echo
    echo "== shopvox ingest benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
    echo "machine     $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
    echo "postgresql  $PG_VERSION, private cluster, fsync=$PG_FSYNC_SHOWN synchronous_commit=$PG_SYNC_SHOWN (production settings)"
    echo "            load average at start $LOADAVG (other work on the machine skews the figures)"
    echo "shopvox     serve, SHOPVOX_WORKERS=0 (intake only), SHOPVOX_HTTP_THREADS=$HTTP_THREADS, log level warn"
    echo "load        signed orders/paid bodies, every delivery a new order (--orders 100000000 --dup-ratio 0),"
    echo "            $CONNECTIONS keep-alive connections; pgbench: $CONNECTIONS clients, -M prepared, same SQL per delivery;
            ${WARMUP}s warm-up first; CHECKPOINT$([ "$ANALYZE" = 0 ] && echo "" || echo " + ANALYZE") before each measured phase"
    echo
    printf '%-44s %14s   %s\n' "measure" "value" "target"
    printf '%-44s %14s   %s\n' "--------------------------------------------" "--------------" "------"
    printf '%-44s %14s   %s\n' "webhooks/s, max (${DURATION}s, rate 0)" "$max_rps" ""
    printf '%-44s %14s   %s\n' "  p50 / p99 ms at max" "$max_p50 / $max_p99" ""
    printf '%-44s %14s   %s\n' "  shopvox CPU us per webhook at max" "$cpu_us" ""
    printf '%-44s %14s   %s\n' "  pending at the end / applied s later" "$PENDING_max / $DRAIN_max" ""
    printf '%-44s %14s   %s\n' "p50 ms at ${RATE}/s (achieved $fix_rps/s)" "$fix_p50" ""
    printf '%-44s %14s   %s\n' "p99 ms at ${RATE}/s (from schedule)" "$fix_p99" \
      "<= $TARGET_P99_MS ms: $(verdict "$fix_p99" le "$TARGET_P99_MS")"
    printf '%-44s %14s   %s\n' "  p99 ms at ${RATE}/s (from send)" "$fix_sp99" ""
    printf '%-44s %14s   %s\n' "  pending at the end / applied s later" "$PENDING_fixed / $DRAIN_fixed" ""
    printf '%-44s %14s   %s\n' "  answers over $TARGET_P99_MS ms / clusters / every s" \
      "$slow_n / $slow_c / $slow_every" "(clusters 250 ms apart at most)"
    printf '%-44s %14s   %s\n' "  the database alone: p50 / p99 ms" "$floor_p50 / $floor_p99" \
      "(pgbench -R $RATE, one INSERT + COMMIT each)"
    printf '%-44s %14s   %s\n' "shopvox peak RSS MiB (VmHWM)" "$hwm_mib" \
      "<= $TARGET_RSS_MIB MiB: $(verdict "$hwm_mib" le "$TARGET_RSS_MIB")"
    printf '%-44s %14s   %s\n' "  RSS MiB after start / after the runs" "$start_mib / $rss_mib" ""
    printf '%-44s %14s   %s\n' "pgbench tps (bench/ingest.pgbench)" "$tps" ""
    printf '%-44s %14s   %s\n' "ratio webhooks/s / pgbench tps" "$ratio %" \
      ">= $TARGET_RATIO_PCT %: $(verdict "$ratio" ge "$TARGET_RATIO_PCT")"
    printf '%-44s %14s   %s\n' "Node peer webhooks/s, max (same loadgen)" "$peer_rps" ""
    printf '%-44s %14s   %s\n' "  peer p99 ms at max / failed requests" "$peer_p99 / $peer_bad" ""
    printf '%-44s %14s   %s\n' "ratio shopvox / Node peer (median round)" "$peer_ratio x" \
      ">= $TARGET_PEER_X x: $(verdict "$peer_ratio" ge "$TARGET_PEER_X")"
    printf '  round %s\n' "${round_lines[@]#* }"
    printf '%-44s %14s   %s\n' "host steal % (max / fixed / peer run)" \
      "$STEAL_max / $STEAL_fixed / $STEAL_peer" ""
    printf '%-44s %14s   %s\n' "host slow CPU units % / slow spells" \
      "$(result_kv "$WORK/hostcheck.log" slow_pct) / $(result_kv "$WORK/hostcheck.log" spells)" \
      "steady: 0 / 0 (build/hostcheck 10)"
    printf '%-44s %14s   %s\n' "failed requests (max run / fixed run)" "$max_bad / $fix_bad" "0"
    printf '%-44s %14s   %s\n' "missed slots at ${RATE}/s" "$fix_missed" "0"
    printf '%-44s %14s   %s\n' "pgbench failed transactions" "${failed:-0}" "0"
    echo
    echo "rows written (shopvox: loadgen deliveries incl. warm-up; pgbench: bench/ingest.pgbench):"
    echo "$rows" | sed 's/^/  /'
    echo
    echo "command:    ./dev bench ingest   (i.e. bench/run.sh ingest; BENCH_DURATION=$DURATION BENCH_ROUNDS=$ROUNDS BENCH_CONNECTIONS=$CONNECTIONS BENCH_RATE=$RATE)"
    echo "  max:      ${max_cmd/$ROOT\//}"
    echo "  fixed:    ${fixed_cmd/$ROOT\//}"
    echo "  pgbench:  ${pgb_cmd[*]}"
    echo "  at rate:  ${floor_cmd[*]/$WORK\//}"
    echo "  peer:     ${peer_cmd/$ROOT\//}"
  } | tee "$WORK/summary.txt"
}

# ---- main ------------------------------------------------------------------

case "${1:-}" in
  ingest)
    setup_traps
    bench_ingest
    ;;
  scale)
    setup_traps
    . bench/scale.sh
    bench_scale
    ;;
  -h|--help|help)
    usage
    ;;
  "")
    usage
    exit 2
    ;;
  *)
    echo "bench: unknown benchmark \"$1\" (known: ingest, scale)" >&2
    usage
    exit 2
    ;;
esac
