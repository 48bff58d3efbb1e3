# mipset container image: a multi-stage build on Debian 12 (bookworm).
#   docker build -t mipset:0.1.0 --build-arg MIPSET_GIT_HASH=$(git rev-parse --short=12 HEAD) .
# mipset is one static binary (it talks to the kernel over its own netlink
# code); the runtime has iptables (nft and legacy; mipset detects which one
# the node uses) and the stock ipset command for people who look around.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
ARG MIPSET_GIT_HASH=unknown
ENV MIPSET_GIT_HASH=${MIPSET_GIT_HASH}
RUN scripts/build

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables ipset \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/mipset /usr/local/bin/mipset
COPY --from=build /src/completions/mipset.bash /usr/share/bash-completion/completions/mipset
COPY --from=build /src/man/*.1 /usr/share/man/man1/
USER 0
ENTRYPOINT ["/usr/local/bin/mipset"]
CMD ["--help"]
