#!/usr/bin/env bash
# Real Docker for the container tests, offline: `env.sh start` installs the engine (Debian's docker.io) if
# needed, starts dockerd without networking (bridge, iptables and masquerading off) on a temporary data
# root, and builds the test image awmg-test/everything:local from a root filesystem assembled here: this
# machine's node binary with the libraries ldd names, and real MCP servers from npm. `env.sh stop` stops
# the daemon it started.
set -euo pipefail
IMAGE=awmg-test/everything:local
STATE=${AWMG_DOCKER_STATE:-/tmp/awmg-docker}
SERVERS="@modelcontextprotocol/server-everything@2026.8.31 @modelcontextprotocol/server-filesystem@2026.8.31"

start_daemon() {
  if docker info >/dev/null 2>&1; then return 0; fi
  if ! command -v dockerd >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  mkdir -p "$STATE/data"
  nohup dockerd --bridge=none --iptables=false --ip-masq=false --data-root "$STATE/data" \
    --host unix:///var/run/docker.sock --pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "dockerd did not start; its log:" >&2
  tail -n 20 "$STATE/dockerd.log" >&2
  return 1
}

build_image() {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
  local root
  root=$(mktemp -d)
  mkdir -p "$root/usr/local/bin" "$root/app" "$root/tmp" "$root/data"
  chmod 1777 "$root/tmp"
  cp "$(command -v node)" "$root/usr/local/bin/node"
  for lib in $(ldd "$(command -v node)" | grep -o '/[^ ]*'); do cp --parents -L "$lib" "$root"; done
  (cd "$root/app" && npm install --no-audit --no-fund --loglevel=error $SERVERS >/dev/null)
  tar -C "$root" -c . | docker import \
    -c 'ENTRYPOINT ["/usr/local/bin/node", "/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js"]' \
    -c 'CMD ["stdio"]' -c 'WORKDIR /app' - "$IMAGE" >/dev/null
  rm -rf "$root"
}

case "${1:-}" in
  start) start_daemon && build_image && echo "docker ready: $IMAGE" ;;
  stop)
    if [ -f "$STATE/dockerd.pid" ]; then kill "$(cat "$STATE/dockerd.pid")" 2>/dev/null || true; fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
