#!/usr/bin/env bash
# Builds the release of the VERSION file: the offline (cached) and the online zip for a stack, a
# .sha256 file beside each (sha256sum -c reads it), and RELEASE_NOTES.md, the CHANGELOG's section
# of that version, into out/release-vVERSION/. Then prints the tag to push.
#
#   scripts/release.sh [--stack STACK] [--output DIR] [--source DIR] [--mirror DIR|URL] [--cache-dir DIR]
#
# --source, --mirror and --cache-dir are scripts/package.sh's (docs/operators.md). A VERSION
# without its CHANGELOG section is refused before anything is built: the notes come from there.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

stack=cflinuxfs4
output=
source=$root
pass=()
while (($#)); do
  case $1 in
    --stack | --output | --source | --mirror | --cache-dir)
      [[ $# -ge 2 && $2 != --* ]] || { echo "       **ERROR** $1 needs a value" >&2; exit 64; }
      case $1 in
        --stack) stack=$2 ;;
        --output) output=$2 ;;
        --source) source=$(cd "$2" && pwd) && pass+=(--source "$source") ;;
        *) pass+=("$1" "$2") ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "       **ERROR** unknown argument $1 (scripts/release.sh --help lists them)" >&2
      exit 64
      ;;
  esac
done

version=$(tr -d '[:space:]' <"$source/VERSION")
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "       **ERROR** $source/VERSION: \"$version\" is not a semver version like 1.2.3" >&2
  exit 1
fi
# The section `## [VERSION] ...` up to the next `## [`, without its heading.
notes=$(awk -v head="## [$version]" '
  /^## \[/ { on = (index($0, head) == 1); if (on) next }
  on' "$source/CHANGELOG.md")
if [[ -z ${notes//[[:space:]]/} ]]; then
  echo "       **ERROR** $source/CHANGELOG.md: no section \"## [$version]\" for the VERSION file's $version" >&2
  echo "       Rename [Unreleased] to [$version] - $(date -u +%F) (or bump VERSION), then run this again." >&2
  exit 1
fi

output=${output:-$root/out/release-v$version}
mkdir -p "$output"
output=$(cd "$output" && pwd)
rm -f "$output"/*.zip "$output"/*.zip.sha256 "$output/RELEASE_NOTES.md"

echo "-----> Releasing sidecar-buildpack v$version for $stack into $output"
"$root/scripts/package.sh" --cached --stack "$stack" --output "$output" "${pass[@]}"
"$root/scripts/package.sh" --stack "$stack" --output "$output" "${pass[@]}"
(
  cd "$output"
  for zip in *.zip; do sha256sum "$zip" >"$zip.sha256"; done
)
printf '# sidecar-buildpack v%s\n\n%s\n' "$version" "$(sed -e '/./,$!d' <<<"$notes")" >"$output/RELEASE_NOTES.md"

echo "-----> Released"
(cd "$output" && for f in *.zip *.sha256 RELEASE_NOTES.md; do printf '       %s\n' "$f"; done)
echo "       Tag and push it: git tag -a v$version -m \"sidecar-buildpack v$version\" && git push origin v$version"
