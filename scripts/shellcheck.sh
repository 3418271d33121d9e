#!/usr/bin/env bash
# Lints every shell script we ship or run: the bin/ shims, the runtime scripts copied into the
# droplet, and the repo's own scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null; then
  echo "shellcheck not found: apt-get install shellcheck (CI installs it)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files -co --exclude-standard -- 'bin/*' 'src/**/*.sh' 'scripts/*.sh' '.ci/*' 'fixtures/**/*.sh' 'fixtures/buildpacks/*/bin/*' 'fixtures/buildpacks/*/resources/*' 'tools/**/*.sh' 'bench/peer/bin/*' | sort -u)
shellcheck -x "${files[@]}"
