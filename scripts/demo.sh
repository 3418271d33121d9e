#!/usr/bin/env bash
# npm run demo: the tutorial on cf-local, the repo's local Cloud Foundry.
# Stages fixtures/apps/config-server-app with the sidecar buildpack in front of the binary fixture
# buildpack (as `cf push -b sidecar_buildpack -b binary_buildpack` would), runs the droplet,
# GETs /config, which the app answers by asking its config-server sidecar, and stops everything.
#
# Offline, like the tests: the buildpack's manifest is rewritten so that its Node.js runtime (a
# stand-in that execs this machine's node) and the config-server dependency come from a file
# server on 127.0.0.1. The sidecar listens on 127.0.0.1:8082, as the fixture's sidecars.yml says.
set -euo pipefail
cd "$(dirname "$0")/.."

root=$(mktemp -d "${TMPDIR:-/tmp}/sidecar-demo-XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$root"
}
trap cleanup EXIT

step() { printf '\n=====> %s\n' "$1"; }
tsx=node_modules/.bin/tsx

step "Building the buildpack bundle (dist/)"
npm run --silent build

step "Serving the node runtime and the config-server sidecar from 127.0.0.1"
mkdir -p "$root/www" "$root/node/bin" "$root/sidecar" "$root/buildpack"
printf '#!/bin/sh\n# stand-in for the CF node build: this machine'"'"'s node\nexec %s "$@"\n' "$(command -v node)" >"$root/node/bin/node"
chmod +x "$root/node/bin/node"
tar -czf "$root/www/node.tgz" -C "$root/node" bin
cp fixtures/sidecars/config-server/config-server "$root/sidecar/"
tar -czf "$root/www/config-server-1.0.0.tgz" -C "$root/sidecar" config-server
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root/www" >/dev/null 2>&1 &
pids+=("$!")
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/node.tgz" 2>/dev/null && break; sleep 0.05; done

cp -R bin dist VERSION "$root/buildpack/"
# shellcheck disable=SC2016  # the single-quoted program is JavaScript; ${url} is its template
DEMO_URL="http://127.0.0.1:$port" \
  NODE_SHA=$(sha256sum "$root/www/node.tgz" | cut -d' ' -f1) \
  SIDECAR_SHA=$(sha256sum "$root/www/config-server-1.0.0.tgz" | cut -d' ' -f1) \
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { parse, stringify } from "yaml";
    const m = parse(readFileSync("manifest.yml", "utf8"));
    const { DEMO_URL: url, NODE_SHA, SIDECAR_SHA } = process.env;
    m.dependencies = [
      { name: "node", version: "22.23.1", uri: `${url}/node.tgz`, sha256: NODE_SHA, cf_stacks: ["cflinuxfs4"] },
      { name: "config-server", version: "1.0.0", uri: `${url}/config-server-1.0.0.tgz`, sha256: SIDECAR_SHA, cf_stacks: ["cflinuxfs4"] },
    ];
    writeFileSync(process.argv[1], stringify(m));
  ' "$root/buildpack/manifest.yml"

step "cf-local stage fixtures/apps/config-server-app -b sidecar_buildpack -b binary_buildpack"
"$tsx" tools/cf-local/cli.ts stage fixtures/apps/config-server-app \
  -b "$root/buildpack" -b fixtures/buildpacks/binary \
  --name config-server-app --out "$root/staged" --cache-dir "$root/cache"

step "cf-local run (1 instance, 512M): the web process and its config-server sidecar"
"$tsx" tools/cf-local/cli.ts run "$root/staged" --memory 512M --stop-grace 2 --ready-file "$root/ready.json" &
pids=("$!" "${pids[@]}")
for _ in $(seq 300); do [ -s "$root/ready.json" ] && break; sleep 0.1; done
[ -s "$root/ready.json" ] || { echo "the app did not become healthy" >&2; exit 1; }
url=$(jq -r '.instances[0].url' "$root/ready.json")

step "curl $url/config"
answer=""
for _ in $(seq 100); do
  answer=$(curl -fsS "$url/config" 2>/dev/null) && break
  sleep 0.1
done
[ -n "$answer" ] || { echo "GET /config failed" >&2; exit 1; }
printf 'The config-server sidecar answered: %s\n' "$answer"

step "Stopping every process"
