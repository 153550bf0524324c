# awmg as a distroless image: `docker run -i ... < config.json`, launching backends as sibling containers
# through the host's docker socket.

# 1. Build the single binary with the permission set of deno.json (-P=gateway) baked in.
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json runtime.lock ./
COPY tests/deno.json ./tests/
COPY main.ts ./
COPY src ./src
RUN deno task compile

# 2. The docker CLI is a static binary; take it from the official CLI image.
FROM docker:28-cli AS docker-cli

# 3. Runtime: distroless with glibc (the compiled binary links it), no shell.
FROM gcr.io/distroless/cc-debian12
COPY --from=build /src/awmg /usr/local/bin/awmg
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
ENV MCP_GATEWAY_LOG_DIR=/tmp/gh-aw/mcp-logs \
    MCP_GATEWAY_PAYLOAD_DIR=/tmp/jq-payloads
# Root by default: the mounted docker socket is normally root:docker 0660. To run as the distroless
# nonroot user instead: --user 65532 --group-add "$(stat -c %g /var/run/docker.sock)".
USER root
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["/usr/local/bin/awmg", "health"]
ENTRYPOINT ["/usr/local/bin/awmg", "--config-stdin"]
