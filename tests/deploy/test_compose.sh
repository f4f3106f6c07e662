#!/usr/bin/env bash
#
# test_compose.sh - ctest deploy.compose: runs docker-compose.yml with
# podman (tests/deploy/compose_pod.py: PostgreSQL, migrate, sandbox,
# shopvox, each service's health check and depends_on condition as written)
# on free host ports, sends signed paid-order webhooks to the published
# webhook port and waits until the orders reach the sandbox warehouse
# (GET /_sandbox/state on the sandbox's published port); the health checks
# are green, /readyz and /metrics answer on the published ops port and the
# public port serves no probe; `podman pod stop` (SIGTERM) ends shopvox
# with exit 0 within stop_grace_period. Prints the start-to-ready time.
# Exit 0 pass, 1 fail, 77 when podman cannot run containers.

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/podman_lib.sh"
cd "$DEPLOY_ROOT"

PROJECT=shopvox-deploytest
COMPOSE=(tests/deploy/compose_pod.py --project "$PROJECT")
trap '"${COMPOSE[@]}" down >/dev/null 2>&1 || true' EXIT

deploy_prepare
"${COMPOSE[@]}" down >/dev/null 2>&1 || true
export SHOPVOX_HTTP_PORT SHOPVOX_OPS_PORT SANDBOX_PORT
SHOPVOX_HTTP_PORT=$(free_port); SHOPVOX_OPS_PORT=$(free_port); SANDBOX_PORT=$(free_port)
"${COMPOSE[@]}" up
deploy_ok "compose stack up, every health check green"

ops=http://127.0.0.1:$SHOPVOX_OPS_PORT
http_is "$ops/readyz" 200 || deploy_fail "/readyz on the published ops port"
http_is "$ops/metrics" 200 || deploy_fail "/metrics on the published ops port"
http_is "http://127.0.0.1:$SHOPVOX_HTTP_PORT/readyz" 404 || deploy_fail "the public port serves /readyz"
deploy_ok "probes and /metrics on :$SHOPVOX_OPS_PORT, not on the public port"

secret=${SHOPLINE_APP_SECRET:-demo-app-secret} shop=${SHOPLINE_SHOP_DOMAIN:-demo.myshopline.com}
hook=http://127.0.0.1:$SHOPVOX_HTTP_PORT/webhooks/shopline
for i in 1 2 3; do
    st=$(webhook_send "$hook" "$secret" "$shop" orders/paid "deploytest-$i" \
        "$(order_body "90000000000000000$i" "#C$i" TEE-BLK-M)")
    [ "$st" = 200 ] || deploy_fail "webhook $i answered $st"
done
bad=$(webhook_send "$hook" wrong-secret "$shop" orders/paid deploytest-bad "$(order_body 900 '#CX' TEE-BLK-M)")
[ "$bad" = 401 ] || deploy_fail "a wrongly signed webhook answered $bad"
deploy_ok "3 signed webhooks accepted (200), a wrongly signed one refused (401)"

state() { curl -s -m 5 "http://127.0.0.1:$SANDBOX_PORT/_sandbox/state"; }
three_orders() { state | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["sales_orders"] != 3)'; }
deploy_wait 60 "3 Sales Orders in the sandbox warehouse" three_orders
deploy_ok "3 Sales Orders reached the sandbox warehouse: $(state | python3 -c 'import json,sys; print(sorted(o["SalesOrderNumber"] for o in json.load(sys.stdin)["orders"]))')"

t0=$(deploy_now_ms)
podman stop -t 30 "$PROJECT-shopvox" >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$PROJECT-shopvox")
[ "$code" = 0 ] || deploy_fail "shopvox exited $code on SIGTERM"
podman logs "$PROJECT-shopvox" 2>&1 | grep -q '"event":"stopped"\|event=stopped' || deploy_fail "no stopped event in the log"
deploy_ok "SIGTERM: shopvox stopped with exit 0 in $(( $(deploy_now_ms) - t0 )) ms (stop_grace_period 30 s)"
