# bench/scale.sh - how ingest cost grows with the orders already stored
# (issue 12); sourced by bench/run.sh (`./dev bench scale`), whose helpers
# (start_pg, start_shopvox, loadgen, settle, ...) it uses.
#
# One private PostgreSQL (production settings, as `./dev bench ingest`;
# max_wal_size raised for the seeding), migrated by `shopvox migrate`. For
# each size factor F (BENCH_SCALE_FACTORS, "1 4 16"), the database is grown to
# F x BENCH_SCALE_UNIT (1,000,000) stored orders by bench/scale_seed.sql
# (set-based, 1M orders per transaction: orders, lines, history, despatches,
# and deliveries and done jobs within retention), VACUUM ANALYZE, then
# shopvox serve takes the same load as the ingest benchmark: a warm-up, a max
# rate run and a fixed rate run (BENCH_SCALE_RATE, 300/s), every delivery a
# signed orders/paid webhook; BENCH_SCALE_UPDATES (0.2) of them update a
# stored order (the loadgen's --seed is the seeder's, so its order ids are
# the stored ones), the rest are new orders. Recorded per size: seeding time,
# database size, webhooks/s, p50/p99, shopvox peak RSS, and EXPLAIN ANALYZE
# of the intake's lookups on the grown tables.
#
# Disk: after the first size the bytes per stored order are measured; a size
# whose projected database (plus max_wal_size and 25%) does not fit in the
# free space is skipped and reported. Run the smaller sizes with
# BENCH_SCALE_UNIT (e.g. 100000).

SCALE_UNIT=${BENCH_SCALE_UNIT:-1000000}
SCALE_FACTORS=${BENCH_SCALE_FACTORS:-"1 4 16"}
SCALE_RATE=${BENCH_SCALE_RATE:-300}
SCALE_UPDATES=${BENCH_SCALE_UPDATES:-0.2}
SCALE_CHUNK=${BENCH_SCALE_CHUNK:-1000000}
SCALE_DAYS=${BENCH_SCALE_DAYS:-365}
SCALE_SEED=424242   # the stored orders' and the loadgen's --seed
SCALE_WAL_GB=4

# Grows the stored orders to $1 (indexes lo..hi-1 of the seeder, in chunks);
# prints nothing, sets SEED_S (seconds).
scale_grow() {
  local target=$1 lo hi t0
  lo=${SCALE_NEXT:-0}
  t0=$(date +%s.%N)
  while [ "$lo" -lt "$target" ]; do
    hi=$(( lo + SCALE_CHUNK < target ? lo + SCALE_CHUNK : target ))
    say "seeding orders $lo .. $((hi - 1))"
    run_bg "$WORK/seed.log" "$PGBIN/psql" -qX "$PG_URL" -v lo="$lo" -v hi="$hi" -v seed="$SCALE_SEED" \
      -v shop="$SHOP" -v days="$SCALE_DAYS" -v retention_days=30 -f bench/scale_seed.sql \
      || { cat "$WORK/seed.log" >&2; die "seeding failed"; }
    lo=$hi
  done
  SCALE_NEXT=$target
  say "VACUUM ANALYZE"
  psql_q "VACUUM ANALYZE" >/dev/null
  SEED_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
}

# EXPLAIN ANALYZE of the intake's lookups for a stored order (into FILE).
scale_explain() {
  local oid
  oid=$(psql_q "SELECT id FROM orders ORDER BY id DESC LIMIT 1 OFFSET 1000")
  "$PGBIN/psql" -qX "$PG_URL" >"$1" 2>&1 <<EOF
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT id, state FROM orders WHERE shop = '$SHOP' AND shopline_order_id = (SELECT shopline_order_id FROM orders WHERE id = $oid) FOR UPDATE;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT 1 FROM webhook_events WHERE order_id = $oid AND body_sha256 = sha256('x') LIMIT 1;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT EXISTS (SELECT line_id, sku, quantity FROM order_lines WHERE order_id = $oid);
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT 1 FROM jobs WHERE kind = 'post_sales_order' AND dedupe_key = '$oid' AND state IN ('pending', 'running');
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT 1 FROM webhook_events WHERE shop = '$SHOP' AND webhook_id = 'x';
EOF
  grep -c "Seq Scan" "$1" || true
}

# "table seq_scan seq_tup_read" per table (the statistics of closed sessions).
scale_seq_stats() { psql_q "SELECT relname, seq_scan, seq_tup_read FROM pg_stat_user_tables" | tr '|' ' '; }

# Rows read by sequential scans between two scale_seq_stats files, and the
# tables they were read from ("none" when none).
scale_seq_delta() {
  awk 'NR == FNR { s[$1] = $2; r[$1] = $3; next }
       { d = $3 - r[$1]; if (d > 0) { t += d; l = l sprintf("%s%s %d scans %d rows", l ? ", " : "", $1, $2 - s[$1], d) } }
       END { printf "%d|%s\n", t, l ? l : "none" }' "$1" "$2"
}

# "hit read" shared-buffer blocks of the database so far: per delivery, the
# database work that does not depend on the machine's load.
scale_blocks() { psql_q "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()" | tr '|' ' '; }

# Bytes the database may still take: free space where the cluster lives.
scale_free_bytes() { df -B1 --output=avail "$WORK" | tail -n 1; }

bench_scale() {
  need_binaries
  ANALYZE=0   # the seeding ends in VACUUM ANALYZE; settle's would count in blks/read
  LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
  start_pg
  psql_q "ALTER SYSTEM SET max_wal_size = '${SCALE_WAL_GB}GB'" >/dev/null
  psql_q "SELECT pg_reload_conf()" >/dev/null
  printf '%s\n' "$SECRET" >"$WORK/secret"
  start_shopvox   # migrates
  stop_shopvox
  local rows=() ROW_NOTES=() f target phase=0 skipped=""
  local per_order=${BENCH_SCALE_BYTES_PER_ORDER:-3500}   # measured on 100k; re-measured per size
  for f in $SCALE_FACTORS; do
    target=$(( f * SCALE_UNIT ))
    if [ "$per_order" -gt 0 ]; then
      local need free
      need=$(awk -v n="$target" -v b="$per_order" -v d="$(psql_q "SELECT pg_database_size(current_database())")" \
             -v w="$SCALE_WAL_GB" 'BEGIN { printf "%.0f", (n * b - d) * 1.25 + w * 2^30 }')
      free=$(scale_free_bytes)
      if [ "$need" -gt "$free" ]; then
        say "${f}x ($target orders) skipped: needs ~$((need >> 30)) GiB more, $((free >> 30)) GiB free"
        skipped="$skipped ${f}x(needs ~$((need >> 30)) GiB more, $((free >> 30)) GiB free)"
        continue
      fi
    fi
    phase=$((phase + 1))
    say "size ${f}x: growing to $target stored orders"
    scale_grow "$target"
    local orders db_bytes seqscans
    orders=$(psql_q "SELECT count(*) FROM orders")
    db_bytes=$(psql_q "SELECT pg_database_size(current_database())")
    per_order=$(( db_bytes / orders ))
    seqscans=$(scale_explain "$WORK/explain-${f}x.txt")
    "$PGBIN/psql" -qX "$PG_URL" -c "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) AS total
        FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 8" >"$WORK/sizes-${f}x.txt"

    # the stored orders are loadgen indexes 0..target-1: --orders target/U
    LOADGEN_EXTRA=(--seed "$SCALE_SEED" --dup-ratio 0
                   --orders "$(awk -v t="$target" -v u="$SCALE_UPDATES" 'BEGIN { printf "%.0f", t / u }')"
                   --first-seq "$((phase * 1000000000))")
    local t_runs
    t_runs=$(psql_q "SELECT now()")
    scale_seq_stats >"$WORK/seq-before-${f}x.txt"
    local blks0
    blks0=$(scale_blocks)
    start_shopvox
    say "size ${f}x: warm-up ${WARMUP}s, max rate ${DURATION}s, ${SCALE_RATE}/s ${DURATION}s"
    loadgen "warmup-${f}x" 0 "$WARMUP"
    drained "warmup_${f}x"
    LOADGEN_EXTRA[-1]=$((phase * 1000000000 + 100000000))
    settle
    loadgen "max-${f}x" 0 "$DURATION"
    local max_cmd="${LAST_CMD[*]}"
    drained "max_${f}x"
    LOADGEN_EXTRA[-1]=$((phase * 1000000000 + 200000000))
    settle
    loadgen "fixed-${f}x" "$SCALE_RATE" "$DURATION"
    drained "fixed_${f}x"
    local hwm
    hwm=$(awk -v k="$(proc_kib "$SV_PID" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')
    kill -0 "$SV_PID" 2>/dev/null || die "shopvox died (see $WORK/shopvox.log)"
    stop_shopvox
    scale_seq_stats >"$WORK/seq-after-${f}x.txt"
    local blks1 sent_all
    blks1=$(scale_blocks)
    sent_all=$(( $(result_kv "$WORK/warmup-${f}x.log" sent) + $(result_kv "$WORK/max-${f}x.log" sent)
                 + $(result_kv "$WORK/fixed-${f}x.log" sent) ))
    local seq
    seq=$(scale_seq_delta "$WORK/seq-before-${f}x.txt" "$WORK/seq-after-${f}x.txt")
    local updates
    updates=$(psql_q "SELECT count(*) FILTER (WHERE o.created_at < '$t_runs'), count(*)
                        FROM webhook_events w JOIN orders o ON o.id = w.order_id
                       WHERE w.received_at >= '$t_runs'" | tr '|' '/')
    local pend drain
    pend=$(run_var "PENDING_max_${f}x")
    drain=$(run_var "DRAIN_max_${f}x")
    rows+=("$(printf '%-5s %10s %8s %9s %10s %9s %9s %10s %9s %7s %7s %9s %12s %10s' "${f}x" "$orders" "$SEED_S" \
      "$(awk -v b="$db_bytes" 'BEGIN { printf "%.2f", b / 2^30 }')" \
      "$(result_kv "$WORK/max-${f}x.log" rps)" "$(result_kv "$WORK/max-${f}x.log" p50_ms)" \
      "$(result_kv "$WORK/max-${f}x.log" p99_ms)" "$(result_kv "$WORK/fixed-${f}x.log" rps)" \
      "$(result_kv "$WORK/fixed-${f}x.log" p99_ms)" "$hwm" "$seqscans" "${seq%%|*}" \
      "$(awk -v a="$blks0" -v b="$blks1" -v n="$sent_all" 'BEGIN { split(a, x, " "); split(b, y, " ");
         printf "%.1f/%.2f", (y[1] - x[1] + y[2] - x[2]) / n, (y[2] - x[2]) / n }')" \
      "$(awk -v p="$pend" -v d="$drain" 'BEGIN { printf "%.0f", (d > 0) ? p / d : 0 }')")")
    local excs
    excs=$(psql_q "SELECT coalesce(string_agg(type || ' ' || n, ', '), 'none') FROM (SELECT type, count(*) AS n
                     FROM exceptions WHERE first_seen >= '$t_runs' GROUP BY type) AS x")
    ROW_NOTES+=("${f}x: deliveries stored for already stored orders / all: $updates; exceptions raised: $excs; bytes per stored order: $per_order; sequential scans during the runs: ${seq#*|}; host steal % during the max / fixed run: $(run_var "STEAL_max_${f}x") / $(run_var "STEAL_fixed_${f}x")")
  done

  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  {
    echo
    echo "== shopvox ingest vs stored orders ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
    echo "machine     $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
    echo "postgresql  $PG_VERSION, fsync=$PG_FSYNC_SHOWN synchronous_commit=$PG_SYNC_SHOWN, shared_buffers $(psql_q "SHOW shared_buffers")"
    echo "            load average at start $LOADAVG, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "load        1x = $SCALE_UNIT stored orders; ${SCALE_UPDATES} of deliveries update a stored order, the rest are new;"
    echo "            $CONNECTIONS connections; max: ${DURATION}s at rate 0; fixed: ${DURATION}s at ${SCALE_RATE}/s"
    echo
    printf '%-5s %10s %8s %9s %10s %9s %9s %10s %9s %7s %7s %9s %12s %10s\n' size orders seed_s db_GiB max_rps \
      p50_ms p99_ms fixed_rps fixed_p99 rss_MiB explain seq_rows blks/read apply_rps
    printf '%s\n' "${rows[@]}"
    echo
    printf '%s\n' "${ROW_NOTES[@]}"
    [ -z "$skipped" ] || echo "skipped (disk):$skipped"
    echo "explain: Seq Scan nodes in EXPLAIN ANALYZE of the intake's lookups (0 expected);"
    echo "seq_rows: rows read by sequential scans while shopvox ran (pg_stat_user_tables; 0 expected)"
    echo "blks/read: shared-buffer blocks the database touched per delivery / of them read from outside"
    echo "           shared_buffers (pg_stat_database over the three runs and the order logic applied after"
    echo "           them; independent of the machine's load)"
    echo "apply_rps: pending deliveries left by the max run / seconds until all were applied (the order"
    echo "           logic's rate at this size, the burst over)"
    echo
    echo "command:    ./dev bench scale   (BENCH_SCALE_UNIT=$SCALE_UNIT BENCH_SCALE_FACTORS=\"$SCALE_FACTORS\" BENCH_DURATION=$DURATION BENCH_SCALE_RATE=$SCALE_RATE)"
    echo "  max:      ${max_cmd/$ROOT\//}"
  } | tee "$WORK/summary.txt"
}
