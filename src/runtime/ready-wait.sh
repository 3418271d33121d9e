# shellcheck shell=bash
# sidecar-buildpack run time: hold the app's start command until its sidecars are ready.
#
# Why: Cloud Foundry starts the app and its sidecars in no particular order, so an app that
# reads its config server or registers with an agent at start-up can race them. A sidecar with
# `ready:` in sidecars.yml makes the app's process wait for it.
#
# Sourced by profile.sh (only for the app's own process) together with probe.sh; defines
#
#   sidecar_bp_ready_wait TYPE_TSV
#     For every line "ready<TAB>NAME<TAB>http|tcp<TAB>URL|PORT<TAB>TIMEOUT_SECONDS<TAB>fail|warn"
#     of TYPE_TSV (sidecar_runtime/process-types/<type>.tsv, written at staging from the sidecars'
#     `ready:`; see src/runtime/runtime-config.ts processTypeRows),
#     probes it once a second (sleep between probes, no busy loop) until it answers or its
#     timeout, counted from the start of the wait (the sidecars start together with the app),
#     has passed. Logs one line per sidecar. Returns 1 when a sidecar with onTimeout "fail" is
#     not ready in time: the caller then exits, the process fails and Cloud Foundry restarts
#     the container. "warn" logs and lets the app start anyway.

# sidecar_bp_probe and its output sidecar_bp_probe_detail come from probe.sh.
# shellcheck disable=SC2154
sidecar_bp_ready_wait() {
  local type_tsv=$1 prefix='[sidecar-buildpack] ready wait:'
  local row name kind target timeout on_timeout deadline probe_timeout
  local -a checks=()
  [[ -f $type_tsv ]] || return 0
  while IFS= read -r row; do
    [[ $row == ready$'\t'* ]] && checks+=("${row#ready$'\t'}")
  done <"$type_tsv"
  ((${#checks[@]})) || return 0
  # Milliseconds from EPOCHREALTIME (digits only: the separator follows the locale); no fork.
  local now=${EPOCHREALTIME//[!0-9]/}
  local start=$((now / 1000)) elapsed
  for row in "${checks[@]}"; do
    IFS=$'\t' read -r name kind target timeout on_timeout <<<"$row"
    deadline=$((start + timeout * 1000))
    while :; do
      now=${EPOCHREALTIME//[!0-9]/}
      now=$((now / 1000))
      probe_timeout=$(((deadline - now + 999) / 1000))
      ((probe_timeout > 2)) && probe_timeout=2
      ((probe_timeout < 1)) && probe_timeout=1
      if sidecar_bp_probe "$kind" "$target" "$probe_timeout"; then
        now=${EPOCHREALTIME//[!0-9]/}
        elapsed=$((now / 1000 - start))
        echo "$prefix sidecar '$name' ready after $((elapsed / 1000)).$((elapsed % 1000 / 100))s ($kind $target)"
        break
      fi
      now=${EPOCHREALTIME//[!0-9]/}
      if ((now / 1000 >= deadline)); then
        if [[ $on_timeout == warn ]]; then
          echo "$prefix **WARNING** sidecar '$name' not ready after ${timeout}s ($kind $target: $sidecar_bp_probe_detail); starting the app anyway (on_timeout: warn)" >&2
          break
        fi
        echo "$prefix **ERROR** sidecar '$name' not ready after ${timeout}s ($kind $target: $sidecar_bp_probe_detail); failing so that Cloud Foundry restarts the container (on_timeout: fail)" >&2
        return 1
      fi
      sleep 1
    done
  done
  return 0
}
