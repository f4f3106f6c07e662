# syntax=docker/dockerfile:1
#
# shopvox image. Two stages: the build stage has the compiler and the -dev
# packages; the runtime stage (bookworm-slim) gets only the shared libraries
# the binary links against, the binary and the SQL migrations, and runs as
# an unprivileged numeric user so Kubernetes can verify runAsNonRoot.
#
# No zone files in the runtime stage: PEOPLEVOX_TIMEZONE is applied by
# PostgreSQL (its own tz database; the zone is checked there at start). Only
# `shopvox sandbox --timezone` reads /usr/share/zoneinfo: add tzdata to run
# the sandbox from this image with a time zone.
#
# No HEALTHCHECK here on purpose: the same image runs one-shot jobs
# (`shopvox migrate`) and the sandbox (port 8090), which an image-level check
# of :8080 would mark unhealthy, and Kubernetes ignores HEALTHCHECK anyway.
# docker-compose.yml and deploy/kubernetes/ define checks per service.

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libpq-dev libssl-dev libxml2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY include/ include/
COPY service/ service/
COPY sql/ sql/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOPVOX_TESTS=OFF \
 && cmake --build build --target shopvox --parallel "$(nproc)" \
 && strip --strip-unneeded build/shopvox

FROM debian:bookworm-slim AS runtime
# Runtime libraries only (bookworm names; trixie renamed some to *t64).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libcurl4 libjson-c5 libpq5 libssl3 libxml2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 shopvox \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin shopvox
COPY --from=build /src/build/shopvox /usr/local/bin/shopvox
COPY --from=build /src/sql/ /usr/share/shopvox/sql/
# The compiled-in default points into the build tree; the image uses its own copy.
ENV SHOPVOX_SQL_DIR=/usr/share/shopvox/sql \
    SHOPVOX_LISTEN=0.0.0.0:8080 \
    SHOPVOX_OPS_LISTEN=0.0.0.0:9090
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/shopvox"]
CMD ["serve"]
