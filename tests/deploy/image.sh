#!/usr/bin/env bash
#
# image.sh - builds the shopvox image with podman from nothing but the
# Debian package registry (./dev image runs it; so does the deploy test
# group):
#
#   1. the base: `mmdebstrap --variant=minbase bookworm` (docs, man pages and
#      locales left out, like the official slim image), imported as
#      localhost/shopvox-base:bookworm-YYYYMMDD and tagged debian:bookworm and
#      debian:bookworm-slim, the names the Dockerfile uses. Made once a day:
#      an image of today's date is reused.
#   2. postgres:15, the stand-in for the public PostgreSQL image that the
#      compose file names and the Kubernetes test plays
#      (tests/deploy/postgres/: Debian's postgresql-15 on that base);
#   3. the Dockerfile, unchanged, as shopvox:local (compose) and
#      shopvox:0.1.0 (deploy/kubernetes).
#
# `podman build --pull=never` never reaches an image registry; the RUN steps
# reach only deb.debian.org. Elsewhere `docker build .` uses the public
# debian images as before.
#
#   tests/deploy/image.sh          prints the times and the image size
#
# Exit 0 when built, 77 when podman cannot run containers here (with the
# reason), 1 on a failed build. Needs root, podman, mmdebstrap, runc.

set -euo pipefail
# shellcheck source=tests/deploy/podman_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/podman_lib.sh"
cd "$DEPLOY_ROOT"

SUITE=bookworm
MIRROR=http://deb.debian.org/debian
BASE=localhost/shopvox-base:$SUITE-$(date +%Y%m%d)

# base_build: the dated base image, unless it already exists.
base_build() {
    if podman image exists "$BASE"; then
        deploy_say "base $BASE: made earlier today, reused"
        return 0
    fi
    local tmp t0
    t0=$(deploy_now_ms)
    tmp=$(mktemp -d /tmp/shopvox-base.XXXXXX)
    deploy_say "base: mmdebstrap --variant=minbase $SUITE (from $MIRROR)"
    mmdebstrap --quiet --variant=minbase \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        "$SUITE" "$tmp/base.tar" \
        "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" \
        "deb ${MIRROR}-security $SUITE-security main" \
        || { rm -rf "$tmp"; deploy_fail "mmdebstrap failed"; }
    podman import --quiet --change 'CMD ["bash"]' "$tmp/base.tar" "$BASE" >/dev/null
    rm -rf "$tmp"
    echo "base_build_s=$(( ($(deploy_now_ms) - t0) / 1000 ))"
}

main() {
    local tool
    for tool in podman mmdebstrap runc; do
        command -v "$tool" >/dev/null || { echo "SKIP $tool is not installed (./dev deps installs it)"; exit 77; }
    done
    podman_setup
    base_build
    podman tag "$BASE" debian:$SUITE debian:$SUITE-slim
    local why
    if ! why=$(podman_can_run "$BASE"); then
        echo "SKIP $why"
        exit 77
    fi
    local t0
    t0=$(deploy_now_ms)
    deploy_say "postgres:15 (Debian's postgresql-15 on the base)"
    podman build --quiet --pull=never -t postgres:15 tests/deploy/postgres >/dev/null
    deploy_say "shopvox: podman build of the Dockerfile"
    podman build --quiet --pull=never -f Dockerfile -t shopvox:local -t shopvox:0.1.0 . >/dev/null
    echo "image_build_s=$(( ($(deploy_now_ms) - t0) / 1000 ))"
    echo "image_size=$(podman image inspect --format '{{.Size}}' shopvox:local)"
    podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
        | grep -E '^localhost/(shopvox:local|postgres:15|debian:bookworm-slim) ' || true
}

main "$@"
