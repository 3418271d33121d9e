#!/usr/bin/env bash
# Prints a directory holding cflinuxfs4's bash generation (5.1, from Debian bullseye) as `bash`,
# for running the run-time tests on it too; the system's bash is not touched. Uses apt with a
# private sources list and state, so nothing of the machine's apt setup changes. Exits non-zero
# (and says why on stderr) when the package cannot be had.
set -euo pipefail
dir=${1:-${TMPDIR:-/tmp}/sidecar-bp-bash51}
if [[ -x $dir/bin/bash ]]; then
  echo "$dir/bin"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb http://deb.debian.org/debian bullseye main" >"$work/sources.list"
opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -qq >&2
version=$(apt-cache "${opts[@]}" madison bash | awk '$3 ~ /^5\.1/ { print $3; exit }')
[[ -n $version ]] || {
  echo "no bash 5.1 in bullseye's package lists" >&2
  exit 1
}
(cd "$work" && apt-get "${opts[@]}" download -qq "bash=$version" >&2)
mkdir -p "$dir"
dpkg-deb -x "$work"/bash_*.deb "$work/root"
mkdir -p "$dir/bin"
cp "$work/root/bin/bash" "$dir/bin/bash"
# shellcheck disable=SC2016 # expanded by that bash, not this one
"$dir/bin/bash" -c 'echo "bash ${BASH_VERSION}" >&2'
echo "$dir/bin"
