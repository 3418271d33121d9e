#!/usr/bin/env bash
# Diego's launcher for a buildpack droplet (cf-contract section 4; buildpackapplifecycle's
# launcher): every process of a container, the app AND each sidecar, starts through it.
#
#   launcher.sh APP_DIR COMMAND [ENTRYPOINT_PREFIX]
#
# It enters the app dir, sources ../profile.d/*, then .profile.d/*, then .profile, and execs
# `bash -c COMMAND`, or `ENTRYPOINT_PREFIX COMMAND` when the final buildpack's config.yml set
# `config.entrypoint_prefix` (split into words, as the launcher's script template does). While the scripts are sourced $1 is the app dir and $2 the command, so a
# script can tell a sidecar's launch from the app's; they run once per process.
# shellcheck disable=SC1090,SC1091  # the sourced scripts are the droplet's, unknown here
entrypoint_prefix=${3:-}
cd "$1" || exit 1

if [ -n "$(ls ../profile.d/* 2>/dev/null)" ]; then
  for env_file in ../profile.d/*; do
    source "$env_file"
  done
fi

if [ -n "$(ls .profile.d/* 2>/dev/null)" ]; then
  for env_file in .profile.d/*; do
    source "$env_file"
  done
fi

if [ -r .profile ]; then
  source .profile
fi

shift
if [ -n "$entrypoint_prefix" ]; then
  # shellcheck disable=SC2086 # split into words, as the real launcher's template is
  exec $entrypoint_prefix "$1"
fi
exec bash -c "$1"
