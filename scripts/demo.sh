#!/usr/bin/env bash
# npm run demo: the tutorial on cf-local, the repo's local Cloud Foundry.
# Packages the offline buildpack zip, stages fixtures/apps/config-server-app with it in front of the binary fixture
# buildpack (as `cf push -b sidecar_buildpack -b binary_buildpack` would), runs the droplet,
# GETs /config, which the app answers by asking its config-server sidecar, and stops everything.
#
# Offline, like an air-gapped foundation: the cached (offline) buildpack zip is packaged with
# scripts/package.sh from a local mirror directory, so staging needs no network at all. The demo
# buildpack's manifest lists two dependencies: its Node.js runtime (a stand-in that execs this
# machine's node; the real one is the CF build of Node 22, unreachable here) and the fixture's
# config-server sidecar. The sidecar listens on 127.0.0.1:8082, as the fixture's sidecars.yml says.
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

# The sidecar's port is fixed (CONFIG_SERVER_PORT=8082 in the fixture's sidecars.yml). As root
# cf-local gives the container a network namespace of its own, as a cell does; otherwise the
# sidecar listens on this machine's network, where 8082 must be free.
if [[ $(id -u) -ne 0 ]] && (exec 3<>/dev/tcp/127.0.0.1/8082) 2>/dev/null; then
  echo "npm run demo: 127.0.0.1:8082 is in use, and the demo's config-server sidecar listens there." >&2
  echo "Stop what listens on it (ss -ltnp 'sport = :8082' shows it), then run the demo again." >&2
  exit 1
fi

step "Building the buildpack bundle (dist/)"
npm run --silent build

step "Preparing a mirror with the node runtime and the config-server sidecar"
mkdir -p "$root/mirror" "$root/node/bin" "$root/sidecar" "$root/buildpack"
printf '#!/bin/sh\n# stand-in for the CF node build: this machine'"'"'s node\nexec %s "$@"\n' "$(command -v node)" >"$root/node/bin/node"
chmod +x "$root/node/bin/node"
tar -czf "$root/mirror/node_22.23.1_linux_x64_cflinuxfs4_demo.tgz" -C "$root/node" bin
cp fixtures/sidecars/config-server/config-server "$root/sidecar/"
tar -czf "$root/mirror/config-server-1.0.0.tgz" -C "$root/sidecar" config-server

cp -R bin dist VERSION README.md LICENSE CHANGELOG.md "$root/buildpack/"
# shellcheck disable=SC2016  # the single-quoted program is JavaScript; ${url} is its template
NODE_SHA=$(sha256sum "$root/mirror/node_22.23.1_linux_x64_cflinuxfs4_demo.tgz" | cut -d' ' -f1) \
  SIDECAR_SHA=$(sha256sum "$root/mirror/config-server-1.0.0.tgz" | cut -d' ' -f1) \
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { parse, stringify } from "yaml";
    const m = parse(readFileSync("manifest.yml", "utf8"));
    const { NODE_SHA, SIDECAR_SHA } = process.env;
    const url = "https://deps.example.invalid";
    m.dependencies = [
      { name: "node", version: "22.23.1", uri: `${url}/node_22.23.1_linux_x64_cflinuxfs4_demo.tgz`, sha256: NODE_SHA, cf_stacks: ["cflinuxfs4"] },
      { name: "config-server", version: "1.0.0", uri: `${url}/config-server-1.0.0.tgz`, sha256: SIDECAR_SHA, cf_stacks: ["cflinuxfs4"] },
    ];
    writeFileSync(process.argv[1], stringify(m));
  ' "$root/buildpack/manifest.yml"

step "scripts/package.sh --cached --stack cflinuxfs4 (from the local mirror)"
scripts/package.sh --source "$root/buildpack" --cached --stack cflinuxfs4 \
  --mirror "$root/mirror" --cache-dir "$root/package-cache" --output "$root/out"
zip=$(find "$root/out" -name 'sidecar_buildpack-cached-cflinuxfs4-v*.zip' | head -n 1)

step "cf-local stage fixtures/apps/config-server-app -b $(basename "$zip") -b binary_buildpack"
"$tsx" tools/cf-local/cli.ts stage fixtures/apps/config-server-app \
  -b "$zip" -b fixtures/buildpacks/binary \
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
mapfile -t started < <(jq -r '.instances[].processes[].pid' "$root/ready.json")
home=$(jq -r '.instances[0].home' "$root/ready.json")
cleanup
trap - EXIT
# Whatever tsx did with the SIGTERM, cf-local (or its reaper, if tsx killed it first) must have
# ended every process it started and deleted the container.
for _ in $(seq 100); do
  left=()
  for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
  [ "${#left[@]}" -eq 0 ] && [ ! -e "$home" ] && break
  sleep 0.1
done
if [ "${#left[@]}" -ne 0 ] || [ -e "$home" ]; then
  echo "left behind: pids ${left[*]:-none}, container dir $([ -e "$home" ] && echo "$home" || echo gone)" >&2
  exit 1
fi
printf 'Nothing left running: %s processes ended, container deleted\n' "${#started[@]}"
