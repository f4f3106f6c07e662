# bench/lib.sh - what the benchmark scripts share (sourced, never run).
#
# say/die print to stderr; free_port asks tests/pg.sh for a free loopback
# port; bench_workdir NAME makes the run's private directory ($WORK, open to
# the postgres user when run as root), and installs the cleanup that kills
# every pid in PIDS, stops the cluster in $WORK/pg and removes $WORK on any
# exit, Ctrl-C included; wait_http URL waits up to 10 s for URL to answer.
# The caller has cd'd to the repository root.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
free_port() { tests/pg.sh free-port; }

bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  tests/pg.sh stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}

bench_workdir() {
  WORK=$(mktemp -d "/tmp/shopvox-bench-$1.XXXXXX")
  chmod 755 "$WORK"   # the cluster below belongs to the postgres user when run as root
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

wait_http() {
  local _
  for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
  return 1
}
