#!/usr/bin/env bash
#
# test_image.sh - ctest deploy.image: builds the image with podman
# (tests/deploy/image.sh) and checks it: it runs as uid 10001, not root;
# with a read-only root filesystem the service starts (the sandbox listens)
# and the root cannot be written; `ldd` of the binary inside the image finds
# every library; no compiler came along from the build stage; prints the
# image size. Exit 0 pass, 1 fail, 77 when podman cannot run containers.

set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/podman_lib.sh"

IMG=shopvox:local
NAME=shopvox-deploytest-image-$$
trap 'podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true' EXIT

deploy_prepare

user=$(podman image inspect --format '{{.Config.User}}' "$IMG")
[ "$user" = 10001:10001 ] || deploy_fail "image USER is '$user', want 10001:10001"
uid=$(podman run --rm --pull=never --network none --read-only --entrypoint id "$IMG" -u)
[ "$uid" = 10001 ] || deploy_fail "runs as uid $uid"
deploy_ok "runs as uid 10001 (USER $user), not root"

missing=$(podman run --rm --pull=never --network none --entrypoint ldd "$IMG" /usr/local/bin/shopvox \
    | grep 'not found' || true)
[ -z "$missing" ] || deploy_fail "ldd: $missing"
deploy_ok "ldd /usr/local/bin/shopvox: every library found"

if podman run --rm --pull=never --network none --entrypoint sh "$IMG" -c 'command -v cc gcc cmake' >/dev/null; then
    deploy_fail "the runtime image has a compiler"
fi
deploy_ok "no compiler in the runtime image"

podman run -d --pull=never --name "$NAME" --network none --read-only --cap-drop ALL \
    --security-opt no-new-privileges "$IMG" sandbox --listen 127.0.0.1:8090 >/dev/null
deploy_wait 20 "the sandbox on a read-only root" \
    podman exec "$NAME" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8090'
if podman exec "$NAME" sh -c 'echo x >/usr/local/bin/x' 2>/dev/null; then
    deploy_fail "the root filesystem is writable"
fi
deploy_ok "read-only root: the sandbox listens, writing /usr/local/bin fails"

echo "image size: $(( $(podman image inspect --format '{{.Size}}' "$IMG") / 1000000 )) MB"
deploy_ok "image checked"
