#!/usr/bin/env bash
# awmg in a container, as in production: the JSON config on stdin (-i), backends started as sibling
# containers through the host's docker socket, logs kept on the host. The serena server mounts from $HOME,
# so $HOME is an allowed mount root (MCP_GATEWAY_ALLOWED_MOUNT_ROOTS). Check the environment first with:
#   docker run --rm -i ... ghcr.io/OWNER/awmg --validate-env < examples/config.json
set -euo pipefail
: "${MCP_GATEWAY_AGENT_ID:?set MCP_GATEWAY_AGENT_ID, the key clients send}"
mkdir -p "$PWD/mcp-logs"
exec docker run --rm -i \
  -e MCP_GATEWAY_PORT=8000 \
  -e MCP_GATEWAY_DOMAIN=localhost \
  -e MCP_GATEWAY_AGENT_ID \
  -e MCP_GATEWAY_ALLOWED_MOUNT_ROOTS="$HOME:rw" \
  -e GITHUB_PERSONAL_ACCESS_TOKEN \
  -e HOME="$HOME" \
  -v /var/run/docker.sock:/var/run/docker.sock \
  -v "$PWD/mcp-logs:/tmp/gh-aw/mcp-logs" \
  -p 8000:8000 \
  "${AWMG_IMAGE:-ghcr.io/github/awmg:latest}" < "${1:-examples/config.json}"
