#!/usr/bin/env bash
# Builds the buildpack zips operators install with `cf create-buildpack` (online or --cached),
# or checks one with --verify. Thin on purpose: the work is in src/packaging/ (TypeScript, run
# with tsx); this script only bundles the staging entrypoints first, so a zip never carries a
# stale dist/. Relative paths in the flags are taken from the caller's working directory.
# Run scripts/package.sh --help for the flags.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ ! -x $root/node_modules/.bin/tsx ]]; then
  echo "**ERROR** $root/node_modules is missing: run npm ci there first" >&2
  exit 1
fi

# Packaging the repository starts from a freshly bundled dist/. --verify checks a zip as it is, and
# --source packages another tree with its own dist/, so neither rebuilds (nor rewrites our dist/
# under a test run that is reading it).
bundle=true
for arg in "$@"; do
  case $arg in
    --verify | --verify=* | --source | --source=* | --help | -h) bundle=false ;;
  esac
done
if [[ $bundle == true ]]; then
  (cd "$root" && node scripts/build.mjs)
fi

exec "$root/node_modules/.bin/tsx" "$root/src/packaging/main.ts" "$@"
