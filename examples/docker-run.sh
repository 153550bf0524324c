#!/usr/bin/env bash
# awmg in a container, as in production: the JSON config on stdin (-i), backends started as sibling
# containers through the host's docker socket, logs kept on the host. Check the environment first with:
#   docker run --rm -i ... ghcr.io/OWNER/awmg --validate-env < examples/config.json
set -euo pipefail
: "${MCP_GATEWAY_API_KEY:?set MCP_GATEWAY_API_KEY}"
mkdir -p "$PWD/mcp-logs"
exec docker run --rm -i \
  -e MCP_GATEWAY_PORT=8000 \
  -e MCP_GATEWAY_DOMAIN=localhost \
  -e MCP_GATEWAY_API_KEY \
  -e GITHUB_PERSONAL_ACCESS_TOKEN \
  -e HOME="$HOME" \
  -v /var/run/docker.sock:/var/run/docker.sock \
  -v "$PWD/mcp-logs:/tmp/gh-aw/mcp-logs" \
  -p 8000:8000 \
  "${AWMG_IMAGE:-ghcr.io/github/awmg:latest}" < "${1:-examples/config.json}"
