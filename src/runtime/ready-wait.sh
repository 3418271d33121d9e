# shellcheck shell=bash
# sidecar-buildpack run time: hold the app's start command until its sidecars are ready.
#
# Why: Cloud Foundry starts the app and its sidecars in no particular order, so an app that
# reads its config server or registers with an agent at start-up can race them. A sidecar with
# `ready:` in sidecars.yml makes the app's process wait for it.
#
# Sourced by profile.sh (only for the app's own process) together with probe.sh; defines
#
#   sidecar_bp_ready_wait RUNTIME_JSON PROCESS_TYPE
#     For every sidecar in RUNTIME_JSON .sidecars whose .processTypes holds PROCESS_TYPE and
#     that has .ready = {kind: "http"|"tcp", url | port, timeoutSeconds, onTimeout: "fail"|"warn"},
#     probes it once a second (sleep between probes, no busy loop) until it answers or its
#     timeout, counted from the start of the wait (the sidecars start together with the app),
#     has passed. Logs one line per sidecar. Returns 1 when a sidecar with onTimeout "fail" is
#     not ready in time: the caller then exits, the process fails and Cloud Foundry restarts
#     the container. "warn" logs and lets the app start anyway.

# sidecar_bp_probe and its output sidecar_bp_probe_detail come from probe.sh.
# shellcheck disable=SC2154
sidecar_bp_ready_wait() {
  local runtime_json=$1 process_type=$2 prefix='[sidecar-buildpack] ready wait:'
  local checks name kind target timeout on_timeout deadline probe_timeout
  checks=$(jq -r --arg t "$process_type" '
    .sidecars // {} | to_entries[]
    | select((.value.processTypes // []) | index($t)) | select(.value.ready)
    | [.key, .value.ready.kind, (.value.ready.url // .value.ready.port | tostring),
       .value.ready.timeoutSeconds, .value.ready.onTimeout] | map(tostring) | join("\u001f")' "$runtime_json") || {
    echo "$prefix cannot read $runtime_json; not waiting for sidecars" >&2
    return 0
  }
  [[ -n $checks ]] || return 0
  # Milliseconds from EPOCHREALTIME (digits only: the separator follows the locale); no fork.
  local now=${EPOCHREALTIME//[!0-9]/}
  local start=$((now / 1000)) elapsed
  while IFS=$'\x1f' read -r name kind target timeout on_timeout; do
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
  done <<<"$checks"
  return 0
}
