# mipset container image: a multi-stage build on Debian 12 (bookworm).
#   docker build -t mipset:0.1.0 --build-arg MIPSET_GIT_HASH=$(git rev-parse --short=12 HEAD) .
# The runtime has iptables (nft and legacy; mipset detects which one the
# node uses) and libmnl; libipset is linked statically.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libipset-dev libmnl-dev libclang-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG MIPSET_GIT_HASH=unknown
ENV MIPSET_GIT_HASH=${MIPSET_GIT_HASH}
RUN cargo build --release --locked --bin mipset

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables libmnl0 ipset \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/mipset /usr/local/bin/mipset
COPY --from=build /src/completions/mipset.bash /usr/share/bash-completion/completions/mipset
COPY --from=build /src/man/mipset.1 /usr/share/man/man1/mipset.1
USER 0
ENTRYPOINT ["/usr/local/bin/mipset"]
CMD ["--help"]
