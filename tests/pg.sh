#!/usr/bin/env bash
# tests/pg.sh - a private, throw-away PostgreSQL cluster for tests and the demo.
#
#   tests/pg.sh start DIR   initdb into DIR (if new), start on a free port,
#                           create database "shopvox"; prints the admin URL
#   tests/pg.sh stop DIR    stop it (fast)
#   tests/pg.sh restart DIR start it again on the same port
#   tests/pg.sh url DIR     print the URL of the running cluster
#   tests/pg.sh free-port   print a free TCP port on 127.0.0.1 (for other servers)
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# "postgres" system user (created by the Debian package).
set -euo pipefail

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
cmd=${1:?usage: pg.sh start|stop|restart|url DIR | free-port}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A port below the kernel's ephemeral range, so no outgoing connection can
# hold it between this check and the server's bind.
free_port() {
  local p low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 1 200); do
    p=$(( 15000 + RANDOM % (low - 15000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "pg.sh: could not find a free port" >&2; return 1
}

if [ "$cmd" = free-port ]; then free_port; exit; fi
dir=${2:?usage: pg.sh start|stop|restart|url DIR}

url() { echo "postgresql://shopvox@127.0.0.1:$(cat "$dir/port")/shopvox"; }

start() {
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$PGBIN/initdb" -D "$dir/data" -U shopvox --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  [ -f "$dir/port" ] || free_port >"$dir/port"
  # already running (a demo that was killed without its cleanup): reuse it
  if [ -f "$dir/data/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    url; return 0
  fi
  local tries=0
  until as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $(cat "$dir/port") -c listen_addresses=127.0.0.1 -k $dir -c max_connections=300 -c fsync=${PG_FSYNC:-on} -c synchronous_commit=${PG_SYNC_COMMIT:-on}" start >/dev/null; do
    tries=$((tries + 1))
    # another process took the port between the check and the bind: pick another
    if [ $tries -lt 5 ] && grep -q "could not bind" "$dir/server.log"; then
      free_port >"$dir/port"; continue
    fi
    tail -n 20 "$dir/server.log" >&2; exit 1
  done
  "$PGBIN/psql" -q -h 127.0.0.1 -p "$(cat "$dir/port")" -U shopvox -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'shopvox'" | grep -q 1 \
    || "$PGBIN/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U shopvox shopvox
  url
}

stop() {
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  url) url ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
