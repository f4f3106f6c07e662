#!/usr/bin/env bash
#
# test_kube.sh - ctest deploy.kube: plays deploy/kubernetes/ with
# `podman kube play`: a stand-in PostgreSQL pod (tests/deploy/kube-postgres.yaml),
# the shopvox-secrets Secret as a podman secret, configmap.yaml and
# deployment.yaml. Checks: the migrate init container and the service start;
# every probe of the Deployment answers 200 on its declared port (named ports
# resolved) and path; the root filesystem is read-only, the process runs as
# uid 10001 with no capabilities and no-new-privileges; SIGTERM (podman pod
# stop with terminationGracePeriodSeconds, then `podman kube down`) ends the
# service with exit 0 within the grace period.
# Prints the start-to-ready time. Exit 0 pass, 1 fail, 77 when podman cannot
# run containers.
#
# What podman 4.3 needs that a cluster does not (the played copy of
# deployment.yaml differs only in these three):
# - replicas: 1. podman runs each replica as a pod on this one host and
#   publishes containerPorts on the host, so a second replica cannot bind;
# - restartPolicy: OnFailure. podman applies the pod's restart policy
#   (Always) to the init container too, restarts the finished migrate and
#   fails removing it ("cannot remove container ... as it is running");
# - hostPort/hostIP on the two ports: podman publishes every containerPort on
#   the host (8080 and 9090 by default, taken by demos here) and 4.3 has no
#   --publish override; free ports on 127.0.0.1 instead.
# And a podman secret's Kubernetes Secret YAML is written to the files as it
# is: `data:` values are not base64-decoded, so this secret holds them plain.

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/podman_lib.sh"
cd "$DEPLOY_ROOT"

K=deploy/kubernetes
WORK=$(mktemp -d /tmp/shopvox-kube.XXXXXX)
CTR=shopvox-pod-0-shopvox
cleanup() {
    set +e
    podman kube down "$WORK/deployment.yaml" >/dev/null 2>&1
    podman kube down tests/deploy/kube-postgres.yaml >/dev/null 2>&1
    podman pod rm -f shopvox-pod-0 shopvox-test-postgres >/dev/null 2>&1
    podman volume rm -f shopvox-secrets tmp >/dev/null 2>&1
    podman secret rm shopvox-secrets >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

deploy_prepare
cleanup; WORK=$(mktemp -d /tmp/shopvox-kube.XXXXXX)
# containerPorts are published on the host: on free ports, not 8080/9090
http_port=$(free_port); ops_port=$(free_port)
python3 - "$K/deployment.yaml" "$WORK/deployment.yaml" "$http_port" "$ops_port" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
d["spec"]["replicas"] = 1
spec = d["spec"]["template"]["spec"]
spec["restartPolicy"] = "OnFailure"
host = {8080: int(sys.argv[3]), 9090: int(sys.argv[4])}
for p in spec["containers"][0]["ports"]:
    p["hostIP"], p["hostPort"] = "127.0.0.1", host[p["containerPort"]]
yaml.safe_dump(d, open(sys.argv[2], "w"))
PY

podman kube play --quiet tests/deploy/kube-postgres.yaml >/dev/null
pg=$(pod_ip shopvox-test-postgres)
deploy_wait 60 "the stand-in PostgreSQL" \
    podman exec shopvox-test-postgres-postgres pg_isready -q -h 127.0.0.1 -U shopvox -d shopvox
deploy_ok "stand-in PostgreSQL pod at $pg"

cat >"$WORK/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: shopvox-secrets
type: Opaque
data:
  SHOPVOX_DATABASE_URL: "postgresql://shopvox:kube-test@$pg:5432/shopvox"
  SHOPVOX_ADMIN_TOKEN: "kube-admin-token-0123456789abcdef0123"
  SHOPLINE_ACCESS_TOKEN: "kube-access-token"
  SHOPLINE_APP_SECRET: "kube-app-secret"
  PEOPLEVOX_PASSWORD: "kube-password"
YAML
podman secret create shopvox-secrets "$WORK/secret.yaml" >/dev/null

t0=$(deploy_now_ms)
podman kube play --quiet --configmap "$K/configmap.yaml" "$WORK/deployment.yaml" >/dev/null \
    || { podman logs shopvox-pod-0-migrate 2>&1 | tail; deploy_fail "podman kube play"; }
ip=$(pod_ip shopvox-pod-0)
deploy_wait 60 "/readyz of the played pod" http_is "http://$ip:9090/readyz" 200
echo "kube_ready_ms=$(( $(deploy_now_ms) - t0 ))"
[ "$(podman inspect --format '{{.State.ExitCode}}' shopvox-pod-0-migrate 2>/dev/null || echo 0)" = 0 ] \
    || deploy_fail "the migrate init container failed"
deploy_ok "pod started (migrate init container, then the service) at $ip"

# every probe of the Deployment, on its declared port and path
python3 - "$K/deployment.yaml" >"$WORK/probes" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
    g = c[kind]["httpGet"]
    print(kind, ports.get(g["port"], g["port"]), g["path"])
PY
while read -r kind port path; do
    http_is "http://$ip:$port$path" 200 || deploy_fail "$kind: GET :$port$path answered $(http_status "http://$ip:$port$path")"
    deploy_ok "$kind: GET :$port$path 200"
done <"$WORK/probes"
http_is "http://127.0.0.1:$ops_port/metrics" 200 || deploy_fail "/metrics on the published ops port"

# the security context as the kernel sees it
[ "$(podman exec "$CTR" id -u)" = 10001 ] || deploy_fail "not uid 10001"
[ "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$CTR")" = true ] || deploy_fail "root not read-only"
if podman exec "$CTR" sh -c 'echo x >/usr/local/bin/x' 2>/dev/null; then deploy_fail "the root is writable"; fi
podman exec "$CTR" sh -c 'echo x >/tmp/x' || deploy_fail "the /tmp emptyDir is not writable"
caps=$(podman exec "$CTR" sh -c "grep -E '^Cap(Eff|Prm|Bnd):' /proc/1/status | awk '{print \$2}' | sort -u")
[ "$caps" = 0000000000000000 ] || deploy_fail "capabilities left: $caps"
[ "$(podman exec "$CTR" sh -c "awk '/^NoNewPrivs:/ {print \$2}' /proc/1/status")" = 1 ] || deploy_fail "no_new_privs not set"
deploy_ok "uid 10001, read-only root (/tmp writable), no capabilities, no_new_privs"

grace=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])' "$K/deployment.yaml")
# podman 4.3's `kube down` removes a running pod with SIGKILL (no SIGTERM,
# exit 137: measured), so the pod is first stopped the way the kubelet does
# it, SIGTERM with terminationGracePeriodSeconds, then taken down.
t0=$(deploy_now_ms)
podman pod stop -t "$grace" shopvox-pod-0 >/dev/null || deploy_fail "podman pod stop"
took=$(( $(deploy_now_ms) - t0 ))
code=$(podman inspect --format '{{.State.ExitCode}}' "$CTR")
[ "$code" = 0 ] || { podman logs --tail 5 "$CTR"; deploy_fail "the service exited $code on SIGTERM after $took ms"; }
podman logs "$CTR" 2>&1 | grep -q '"event":"stopped"' || deploy_fail "no stopped event in the log"
[ "$took" -lt $((grace * 1000)) ] || deploy_fail "stopping took $took ms (grace ${grace}s)"
deploy_ok "SIGTERM: drained, exit 0 in $took ms (grace period ${grace} s)"
podman kube down "$WORK/deployment.yaml" >/dev/null 2>&1 || deploy_fail "podman kube down"
deploy_ok "podman kube down"
