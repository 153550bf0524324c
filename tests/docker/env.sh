#!/usr/bin/env bash
# Real Docker for the container tests, offline: `env.sh start` installs the engine (Debian's docker.io) if
# needed, starts dockerd without networking (bridge, iptables and masquerading off) on a temporary data
# root, and builds the test image awmg-test/everything:local from a root filesystem assembled here: this
# machine's node binary with the libraries ldd names, and real MCP servers from npm. It also builds
# awmg-test/gateway:local: awmg itself (Deno, this checkout with its npm packages cached, the static docker CLI)
# as the release image runs it (containerized mode, the config on stdin, `proxy` as a first argument), with
# GitHub's guard module from ../shared/guards/github-guard at /guards/github/00-github-guard.wasm when it is
# there; and awmg-test/github:local from the same files, running tests/fixtures/github_server.ts (an imitation
# of github-mcp-server). `env.sh stop` stops the daemon it started.
set -euo pipefail
IMAGE=awmg-test/everything:local
GATEWAY_IMAGE=awmg-test/gateway:local
GITHUB_IMAGE=awmg-test/github:local
GITHUB_GUARD="$(cd "$(dirname "$0")/../../.." && pwd)/shared/guards/github-guard/github_guard.wasm"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
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

copy_with_libs() {
  local binary=$1 root=$2 target=$3
  cp "$binary" "$root$target"
  for lib in $(ldd "$binary" 2>/dev/null | grep -o '/[^ ]*'); do cp --parents -L "$lib" "$root"; done
}

# A digest of the sources the gateway image is built from: an image of an older checkout is rebuilt.
source_digest() {
  (cd "$ROOT" && cat deno.json deno.lock runtime.lock tests/deno.json tests/docker/env.sh main.ts \
    tests/fixtures/github_server.ts tests/fixtures/github_data.ts $(find src -type f | sort) "$GITHUB_GUARD" 2>/dev/null | sha256sum | cut -c1-16)
}

build_gateway_image() {
  local digest
  digest=$(source_digest)
  if [ "$(docker image inspect -f '{{index .Config.Labels "awmg.source"}}' "$GATEWAY_IMAGE" 2>/dev/null)" = "$digest" ] &&
    docker image inspect "$GITHUB_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  local root
  root=$(mktemp -d)
  mkdir -p "$root/usr/local/bin" "$root/app/tests/fixtures" "$root/tmp"
  chmod 1777 "$root/tmp"
  copy_with_libs "$(readlink -f "$(command -v deno)")" "$root" /usr/local/bin/deno
  cp "$(readlink -f "$(command -v docker)")" "$root/usr/local/bin/docker"
  (cd "$ROOT" && cp -r deno.json deno.lock runtime.lock main.ts src "$root/app/" && cp tests/deno.json "$root/app/tests/" &&
    cp tests/fixtures/github_server.ts tests/fixtures/github_data.ts "$root/app/tests/fixtures/")
  if [ -f "$GITHUB_GUARD" ]; then
    mkdir -p "$root/guards/github"
    cp "$GITHUB_GUARD" "$root/guards/github/00-github-guard.wasm"
  fi
  # The gateway's npm packages (runtime.lock leaves the test packages out), and the github imitation's.
  (cd "$root/app" && DENO_DIR="$root/deno-dir" deno cache --quiet --lock=runtime.lock main.ts src/observability/otlp.ts &&
    DENO_DIR="$root/deno-dir" deno cache --quiet --lock=deno.lock tests/fixtures/github_server.ts)
  chmod -R a+rX "$root/deno-dir" "$root/app"
  tar -C "$root" -c . | docker import \
    -c 'ENV DENO_DIR=/deno-dir MCP_GATEWAY_LOG_DIR=/tmp/gh-aw/mcp-logs MCP_GATEWAY_CONTAINERIZED=1' -c 'WORKDIR /app' \
    -c "LABEL awmg.source=$digest" \
    -c 'ENTRYPOINT ["/usr/local/bin/deno", "run", "--quiet", "--cached-only", "--lock=runtime.lock", "-P=gateway", "--v8-flags=--max-semi-space-size=8", "/app/main.ts"]' \
    - "$GATEWAY_IMAGE" >/dev/null
  tar -C "$root" -c . | docker import \
    -c 'ENV DENO_DIR=/deno-dir' -c 'WORKDIR /app' \
    -c 'ENTRYPOINT ["/usr/local/bin/deno", "run", "--quiet", "--cached-only", "--lock=deno.lock", "--allow-env", "--allow-read", "--allow-write=/calls", "/app/tests/fixtures/github_server.ts"]' \
    - "$GITHUB_IMAGE" >/dev/null
  rm -rf "$root"
}

case "${1:-}" in
  start) start_daemon && build_image && build_gateway_image && echo "docker ready: $IMAGE $GATEWAY_IMAGE $GITHUB_IMAGE" ;;
  stop)
    if [ -f "$STATE/dockerd.pid" ]; then kill "$(cat "$STATE/dockerd.pid")" 2>/dev/null || true; fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
