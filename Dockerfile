# awmg as a distroless image: `docker run -i ... < config.json`, launching backends as sibling containers
# through the host's docker socket; `docker run IMAGE proxy ...` runs the GitHub API proxy.

# GitHub's own guard module, the one the Go gateway's image carries at /guards/github/00-github-guard.wasm,
# taken from that image as GitHub ships it. The release pins the image by digest
# (GITHUB_GUARD_IMAGE=ghcr.io/github/gh-aw-mcpg@sha256:...) and GITHUB_GUARD_SHA256 checks the module.
# To build with a module of your own instead: --build-arg GITHUB_GUARD_SOURCE=local with the file at
# GITHUB_GUARD_FILE (a path in the build context).
ARG GITHUB_GUARD_IMAGE=ghcr.io/github/gh-aw-mcpg:v0.4.25
ARG GITHUB_GUARD_SOURCE=image

FROM ${GITHUB_GUARD_IMAGE} AS guard-image
FROM scratch AS guard-from-image
COPY --from=guard-image /guards/github/00-github-guard.wasm /github-guard.wasm

FROM scratch AS guard-from-local
ARG GITHUB_GUARD_FILE=github_guard.wasm
COPY ${GITHUB_GUARD_FILE} /github-guard.wasm

FROM guard-from-${GITHUB_GUARD_SOURCE} AS guard

# 1. Build the single binary with the permission set of deno.json (-P=gateway) baked in, and check the
#    guard module against its pinned digest when one is given.
FROM denoland/deno:2.9.6 AS build
ARG GITHUB_GUARD_SHA256=
WORKDIR /src
COPY --from=guard /github-guard.wasm /guards/github/00-github-guard.wasm
RUN if [ -n "$GITHUB_GUARD_SHA256" ]; then \
      echo "$GITHUB_GUARD_SHA256  /guards/github/00-github-guard.wasm" | sha256sum -c -; \
    fi
COPY deno.json runtime.lock ./
COPY tests/deno.json ./tests/
COPY main.ts ./
COPY src ./src
COPY tools ./tools
RUN deno task compile

# 2. The docker CLI is a static binary; take it from the official CLI image.
FROM docker:28-cli AS docker-cli

# 3. Runtime: distroless with glibc (the compiled binary links it), no shell. The binary sits where the Go
#    image has its own (/app/awmg), so a workflow that names that entrypoint finds it.
FROM gcr.io/distroless/cc-debian12
COPY --from=build /src/awmg /app/awmg
COPY --from=build /guards /guards
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
# Containerized mode always: the config comes on stdin unless --config names a file, and the Go
# entrypoint's checks run first (`proxy` skips them).
ENV MCP_GATEWAY_CONTAINERIZED=1 \
    MCP_GATEWAY_LOG_DIR=/tmp/gh-aw/mcp-logs \
    MCP_GATEWAY_PAYLOAD_DIR=/tmp/jq-payloads
WORKDIR /app
# Root by default: the mounted docker socket is normally root:docker 0660. gh-aw runs it with
# --user UID:GID --group-add "$(stat -c %g /var/run/docker.sock)".
USER root
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["/app/awmg", "health"]
ENTRYPOINT ["/app/awmg"]
