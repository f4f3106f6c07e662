# podman_lib.sh - what the podman deploy scripts share (sourced, not run):
# the machine setup podman needs here, the "can podman run a container at
# all" probe that turns into a ctest skip (77), the lock that serialises the
# deploy tests of every worktree on this machine (they share image tags, pod
# names and podman's store), deadline waits and signed webhooks.
#
# Used by tests/deploy/image.sh (./dev image) and tests/deploy/test_*.sh.
# Needs bash, podman, curl, openssl.

DEPLOY_ROOT=${DEPLOY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DEPLOY_LOCK=${DEPLOY_LOCK:-/var/lock/shopvox-deploy.lock}
# The drop-in this machine's podman needs (written by podman_setup).
PODMAN_DROPIN=/etc/containers/containers.conf.d/50-shopvox.conf

deploy_say() { printf '==> %s\n' "$*" >&2; }
deploy_fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }
deploy_ok() { printf 'ok   %s\n' "$*"; }

# deploy_now_ms: wall clock in milliseconds (for the reported durations).
deploy_now_ms() { date +%s%3N; }

# podman_setup: writes the containers.conf drop-in that lets rootful podman
# start containers on this kind of machine, once:
# - default_ulimits at or below the machine's hard limits (podman's default
#   nofile of 1048576 fails with "setrlimit ... operation not permitted");
# - runc as the OCI runtime: crun refuses the hybrid cgroup v1/v2 layout
#   ("cgroups in hybrid mode not supported").
# Idempotent; needs root.
podman_setup() {
    [ "$(id -u)" = 0 ] || return 0 # rootless: the user's own configuration
    local nofile nproc
    nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
    [ "$nofile" = unlimited ] || [ "$nofile" -gt 4096 ] && nofile=4096
    [ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
    local want
    want=$(printf '# written by shopvox tests/deploy/podman_lib.sh (podman_setup)\n[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n[engine]\nruntime = "runc"\n' \
        "$nofile" "$nofile" "$nproc" "$nproc")
    if [ "$(cat "$PODMAN_DROPIN" 2>/dev/null)" != "$want" ]; then
        mkdir -p "$(dirname "$PODMAN_DROPIN")"
        printf '%s\n' "$want" >"$PODMAN_DROPIN"
    fi
}

# podman_can_run IMAGE: 0 when podman runs a container from IMAGE here;
# otherwise prints why and returns 1.
podman_can_run() {
    local out
    if ! command -v podman >/dev/null; then
        echo "podman is not installed (apt-get install podman)"; return 1
    fi
    if ! out=$(podman run --rm --pull=never --network none "$1" true 2>&1); then
        echo "podman cannot run containers on this machine: $out"; return 1
    fi
}

# deploy_lock: holds the machine-wide deploy lock until the calling process
# exits (waits up to 15 minutes for another worktree's deploy test).
deploy_lock() {
    exec 9>"$DEPLOY_LOCK"
    flock -w 900 9 || deploy_fail "could not take $DEPLOY_LOCK within 15 minutes"
}

# deploy_wait SECONDS WHAT CMD...: runs CMD every 0.5 s until it succeeds;
# fails the test naming WHAT when SECONDS pass first.
deploy_wait() {
    local limit=$1 what=$2; shift 2
    local end=$(($(date +%s) + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || deploy_fail "$what: not within ${limit}s"
        sleep 0.5
    done
}

# http_status URL: the HTTP status of a GET (000 when nothing answers).
http_status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1"; }

# http_is URL STATUS: succeeds when GET URL answers STATUS.
http_is() { [ "$(http_status "$1")" = "$2" ]; }

# webhook_send URL SECRET SHOP TOPIC WEBHOOK_ID BODY: a signed Shopline
# webhook; prints the HTTP status.
webhook_send() {
    local sig
    sig=$(printf '%s' "$6" | openssl dgst -sha256 -hmac "$2" -hex | sed 's/^.*= //')
    curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "$1" \
        -H 'Content-Type: application/json; charset=utf-8' -H "X-Shopline-Topic: $4" \
        -H "X-Shopline-Hmac-Sha256: $sig" -H "X-Shopline-Webhook-Id: $5" \
        -H "X-Shopline-Shop-Domain: $3" --data-binary "$6"
}

# free_port: a TCP port nothing listens on now (for published ports: other
# worktrees' demos and tests use the default 8080/9090/8090).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# deploy_prepare: the common start of every deploy test: the machine-wide
# lock, then the images (tests/deploy/image.sh: cached, a few seconds when
# nothing changed); exits 77 with the reason when podman cannot run
# containers here, so ctest shows the test as skipped.
deploy_prepare() {
    local rc=0
    deploy_lock
    "$DEPLOY_ROOT/tests/deploy/image.sh" || rc=$?
    [ "$rc" = 77 ] && { echo "SKIP the deploy tests need podman to run containers (see above)"; exit 77; }
    [ "$rc" = 0 ] || deploy_fail "tests/deploy/image.sh failed ($rc)"
}

# pod_ip POD: the pod's address on its podman network.
pod_ip() {
    podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
        "$(podman pod inspect --format '{{.InfraContainerID}}' "$1")"
}

# order_body ID NAME SKU: a paid Shopline order with one line.
order_body() {
    printf '{"id":"%s","name":"%s","financial_status":"paid","fulfillment_status":null,"status":"open","created_at":"2026-11-26T09:00:00+08:00","updated_at":"2026-11-26T09:05:00+08:00","currency":"GBP","total_price":"42.50","total_tax":"7.08","total_discounts":"0.00","email":"ada@example.com","customer":{"id":"7001","email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"},"shipping_address":{"name":"Ada Lovelace","address1":"12 St James'"'"'s Square","city":"London","zip":"SW1Y 4JH","country":"United Kingdom","country_code":"GB","phone":"+44 20 7946 0000"},"shipping_lines":[{"title":"Royal Mail Tracked 48","code":"RM48","price":"3.50"}],"line_items":[{"id":"%s01","product_id":"9001","variant_id":"9101","sku":"%s","title":"Tee","variant_title":"M","quantity":2,"price":"19.50","requires_shipping":true}]}' \
        "$1" "$2" "$1" "$3"
}
