# mipset container image: a multi-stage build on Debian 12 (bookworm).
#   docker build -t mipset:0.1.0 --build-arg MIPSET_GIT_HASH=$(git rev-parse --short=12 HEAD) .
# mipset is one static binary (it talks to the kernel over its own netlink
# code); the runtime has iptables (nft and legacy; mipset detects which one
# the node uses) and the stock ipset command for people who look around.
#
# Build arguments:
#   BUILDER_IMAGE  Rust toolchain image for the `builder` stage
#   RUNTIME_IMAGE  Debian bookworm image the runtime stage starts from
#   MIPSET_FROM    `builder` (default: compile here) or `prebuilt` (take
#                  target/release/mipset from the build context, as
#                  scripts/build makes it). The runtime stage is the same
#                  either way; only the stage the files come from differs.
# The stage MIPSET_FROM does not name is not built (BuildKit, buildah/podman).
# scripts/image-check builds it with podman from a local base and runs it.

ARG BUILDER_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG MIPSET_FROM=builder

FROM ${BUILDER_IMAGE} AS builder
WORKDIR /src
COPY . .
ARG MIPSET_GIT_HASH=unknown
ENV MIPSET_GIT_HASH=${MIPSET_GIT_HASH}
RUN scripts/build

# The same files at the same paths, built outside (scripts/build).
FROM scratch AS prebuilt
COPY target/release/mipset /src/target/release/mipset
COPY completions/mipset.bash /src/completions/mipset.bash
COPY man/ /src/man/

FROM ${MIPSET_FROM} AS mipset

FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables ipset \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
COPY --from=mipset /src/target/release/mipset /usr/local/bin/mipset
COPY --from=mipset /src/completions/mipset.bash /usr/share/bash-completion/completions/mipset
COPY --from=mipset /src/man/*.1 /usr/share/man/man1/
USER 0
ENTRYPOINT ["/usr/local/bin/mipset"]
CMD ["--help"]
