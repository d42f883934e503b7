# entex container image: `docker build -t entex .` then `docker run -p 50051:50051 entex`.
#
# Two stages:
#   build    the official Rust image; dependencies are compiled in their own layer
#            (manifests + stub sources), so a change to src/, proto/, build.rs or
#            dictionaries/ recompiles only entex itself;
#   runtime  distroless cc (glibc, libgcc, CA certificates; no shell, no package
#            manager) running as the numeric non-root user 65532.
# The default dictionary is compiled into the binary (build.rs embeds
# dictionaries/default/), so the image serves with no volume. protoc comes from the
# protoc-bin-vendored crate: the builder needs no apt step.
#
# Base images are build arguments with full names, so a mirror or a pinned digest
# is one flag away: --build-arg RUST_IMAGE=registry.example/rust@sha256:...
ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS build
WORKDIR /src
# Cargo.toml sets `debug = 1` for profiling benchmarks; the image needs no debug
# info (function names stay, for backtraces), and compiles faster without it.
# --build-arg CARGO_PROFILE_RELEASE_DEBUG=1 puts it back.
ARG CARGO_PROFILE_RELEASE_DEBUG=0

# Dependency layer: rebuilt only when Cargo.toml or Cargo.lock change. Cargo
# reads every target the manifest names, so each gets a stub (every [[bench]]
# the manifest lists, read from it: a new bench needs no edit here), build.rs too (its
# build-dependencies, tonic-prost-build and protoc-bin-vendored, still compile
# here); only the `entex` binary is built. A change to proto/, build.rs, src/
# or dictionaries/ reuses this layer.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src/bin benches tests/api \
 && echo 'fn main() {}' > build.rs \
 && echo 'fn main() {}' > src/main.rs \
 && echo 'fn main() {}' > src/bin/entex-load.rs \
 && for bench in $(awk '/^\[\[bench\]\]/ { b = 1; next } b && /^name/ { gsub(/"/, "", $3); print $3; b = 0 }' Cargo.toml); do \
        echo 'fn main() {}' > "benches/${bench}.rs"; done \
 && echo 'fn main() {}' > tests/api/main.rs \
 && : > src/lib.rs \
 && cargo build --release --locked --bin entex

# Sources. COPY keeps the files' own modification times, which are older than
# the stub build, so cargo would take the stubs (and an empty embedded
# dictionary) as up to date: forget entex's own fingerprints (its build script
# and its crates), not the dependencies'. `entex check` then fails the build if
# the embedded dictionary is broken or empty.
COPY build.rs ./
COPY proto ./proto
COPY dictionaries ./dictionaries
COPY src ./src
RUN rm -rf target/release/.fingerprint/entex-* \
 && cargo build --release --locked --bin entex \
 && cp target/release/entex /entex \
 && /entex check | grep '^ok: [1-9]'

FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="entex" \
      org.opencontainers.image.description="gRPC service that finds named entities in text and links each mention to a canonical entity" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /entex /usr/local/bin/entex
# Numeric, so a runtime can check runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# Container logs are not a terminal: no colour codes. Prometheus metrics on 9090
# (plain HTTP, GET /metrics); -e ENTEX_METRICS_LISTEN=127.0.0.1:9090 keeps them
# inside the container. The admin service stays off unless configured.
ENV NO_COLOR=1 \
    ENTEX_LISTEN=0.0.0.0:50051 \
    ENTEX_METRICS_LISTEN=0.0.0.0:9090
EXPOSE 50051 9090
# serve turns health NOT_SERVING on SIGTERM, keeps serving for ENTEX_DRAIN_DELAY
# seconds, then sends GOAWAY and lets in-flight requests finish (exit 0).
STOPSIGNAL SIGTERM
# The binary is its own grpc.health.v1 client: no shell, no grpcurl. It checks
# 127.0.0.1:50051; with another ENTEX_LISTEN port, set ENTEX_HEALTHCHECK_ADDR too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/entex", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/entex"]
CMD ["serve"]
