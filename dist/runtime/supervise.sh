#!/usr/bin/env bash
# sidecar-buildpack run time: the supervisor a sidecar's launch command runs under.
#
#   supervise.sh SIDECAR_NAME COMMAND
#
# launch.yml wraps a sidecar's command with it when sidecars.yml gives the sidecar `health:`,
# `stop:` or `credentials:`:
#   cd "$DEPS_DIR/0/sidecars/NAME" && export K='v' && exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" NAME 'COMMAND'
# It reads its settings from runtime.json next to it (written at staging; the contract with
# src/runtime/runtime-types.ts), .sidecars[NAME]:
#   credentials  [{by, value, env}]: exported before COMMAND starts (credentials.sh)
#   health       {kind: "http"|"tcp", url | port, intervalSeconds, timeoutSeconds,
#                 failureThreshold, startPeriodSeconds}
#   stop         {graceSeconds}
#
# What it does, and why:
# - Starts COMMAND with `bash -c` in its own process group (set -m while starting it), so that a signal reaches
#   the sidecar and every process it started.
# - Health: probes every intervalSeconds (sleeping in between: no CPU while idle). Failures
#   count once the sidecar has passed a probe, or after startPeriodSeconds (start-up time).
#   After failureThreshold failures in a row it logs one line, stops the sidecar (TERM, KILL
#   after 5 s) and exits 1: Cloud Foundry restarts a container when any of its processes exits,
#   which turns a hung sidecar, that a PID health check cannot see, into a restart.
# - Stop order: on SIGTERM (or SIGINT) with stop.graceSeconds > 0 it keeps the sidecar serving
#   until the app's processes have exited (pids from ${TMPDIR:-/tmp}/sidecar-buildpack-app.<PID>.pid,
#   one file per app process, written by profile.sh) or graceSeconds have passed, then forwards
#   the signal. Cloud Foundry
#   sends SIGTERM to all processes at once and SIGKILLs them 10 s later, so an app that drains
#   requests can still reach its config server or agent meanwhile. Without stop, at once.
# - Other signals (HUP, QUIT, USR1, USR2) are forwarded as they come.
# - When COMMAND exits, it exits with COMMAND's status. It reaps every child it starts (the
#   sidecar, sleeps, probes): `wait` collects each, so it leaves no zombies.
# Log lines start with "[sidecar-buildpack] NAME:"; Cloud Foundry tags them with the sidecar.
# shellcheck source-path=SCRIPTDIR
set -u

name=${1:?usage: supervise.sh SIDECAR_NAME COMMAND}
command=${2:?usage: supervise.sh SIDECAR_NAME COMMAND}
here=${BASH_SOURCE[0]%/*}
[[ $here == "${BASH_SOURCE[0]}" ]] && here=.
runtime_json=$here/runtime.json
prefix="[sidecar-buildpack] $name:"
app_pid_files=${TMPDIR:-/tmp}/sidecar-buildpack-app.

# shellcheck source=probe.sh
source "$here/probe.sh"
# shellcheck source=credentials.sh
source "$here/credentials.sh"

settings=$(jq -r --arg n "$name" '.sidecars[$n] // {} | [
    .health.kind // "", (.health.url // .health.port // "" | tostring),
    .health.intervalSeconds // 10, .health.timeoutSeconds // 2,
    .health.failureThreshold // 3, .health.startPeriodSeconds // 0,
    .stop.graceSeconds // 0, (.credentials // [] | length)] | map(tostring) | join("\u001f")' \
  "$runtime_json") || {
  echo "$prefix **ERROR** cannot read $runtime_json (jq is on every cflinuxfs stack; is this one?)" >&2
  exit 1
}
# Unit-separated, not tab-separated: read would merge the empty fields of a sidecar without
# health into one (tab is IFS white space).
IFS=$'\x1f' read -r health_kind health_target interval probe_timeout threshold start_period grace \
  credentials <<<"$settings"

# A second jq run (about 30 ms with jq 1.6) only for a sidecar that maps credentials.
if ((credentials > 0)); then
  sidecar_bp_export_credentials "$runtime_json" "$name" || exit 1
fi

pending_signal=
for sig in TERM INT HUP QUIT USR1 USR2; do
  # shellcheck disable=SC2064 # expand $sig now: each trap records its own signal
  trap "pending_signal=$sig" "$sig"
done

# Job control only while the sidecar starts: it gets its own process group (pgid = its pid);
# left on, bash would print "[1] Terminated ..." job notices into the sidecar's log.
set -m
bash -c "$command" &
child=$!
set +m
timer=
probe=
failures=0
passed_once=0

schedule_probe() {
  [[ -n $health_kind ]] || return 0
  sleep "$interval" &
  timer=$!
}

start_probe() {
  local attempt=$((failures + 1)) counting=$1
  (
    sidecar_bp_probe "$health_kind" "$health_target" "$probe_timeout" && exit 0
    if ((counting)); then
      echo "$prefix health check failed ($attempt/$threshold): $health_kind $health_target: $sidecar_bp_probe_detail" >&2
    fi
    exit 1
  ) &
  probe=$!
}

# Ends the sleep and probe helpers. Not `wait PID` after the kill: when the signal reached the
# whole process group the helper is dead already, and bash 5.2 can then hang in `wait` for a
# child it has reaped (seen in 3 of 6 group stops). bash reaps its background children itself.
stop_helpers() {
  local pid
  for pid in $timer $probe; do
    kill "$pid" 2>/dev/null
  done
  timer=
  probe=
}

# Waits for the sidecar to exit after it was signalled, forwarding any further signal; sends
# KILL to its process group after $1 seconds (0: never, Cloud Foundry's own KILL comes at 10 s).
# Returns the sidecar's exit status. (Not `kill -0` polling: an unreaped child is a zombie that
# kill -0 still finds.)
await_child() {
  local killer='' f rc
  if (($1 > 0)); then
    sleep "$1" &
    killer=$!
  fi
  while :; do
    f=
    # shellcheck disable=SC2086 # $killer is a pid or empty
    wait -n -p f "$child" $killer
    rc=$?
    [[ ${f:-} == "$child" ]] && break
    if [[ -n $killer && ${f:-} == "$killer" ]]; then
      echo "$prefix still running $1s after the signal; sending KILL" >&2
      kill -KILL -- "-$child" 2>/dev/null
      killer=
    elif [[ -n $pending_signal ]]; then
      kill -s "$pending_signal" -- "-$child" 2>/dev/null
      pending_signal=
    elif ((rc == 127)); then
      wait "$child"
      rc=$?
      break
    fi
  done
  # No `wait` after this kill either (see stop_helpers).
  if [[ -n $killer ]]; then kill "$killer" 2>/dev/null; fi
  return "$rc"
}

# True while process $1 runs (exists and is not a zombie waiting to be collected).
running() {
  local line rest
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/stat ]] || return 1
  read -r line <"/proc/$1/stat" 2>/dev/null || return 1
  rest=${line##*) }
  [[ ${rest%% *} != Z ]]
}

# True while any app process runs: every launch that is not a known sidecar records its pid
# (profile.sh), a manifest-declared sidecar's too, so none of them ends the grace early.
app_alive() {
  local f pid
  for f in "$app_pid_files"*.pid; do
    pid=${f#"$app_pid_files"}
    pid=${pid%.pid}
    running "$pid" && return 0
  done
  return 1
}

# Milliseconds since the epoch into $now_ms, without a fork (digits of EPOCHREALTIME, whatever
# the locale's decimal separator).
now_ms() {
  now_ms=${EPOCHREALTIME//[!0-9]/}
  now_ms=$((now_ms / 1000))
}

# SIGTERM/SIGINT: the stop order, then forward, then exit with the sidecar's status.
stop_sidecar() {
  local sig=$1 rc
  stop_helpers
  if ((grace > 0)) && app_alive; then
    echo "$prefix SIG$sig received: keeping the sidecar serving until the app's processes exit (at most ${grace}s)"
    now_ms
    local deadline=$((now_ms + grace * 1000))
    while app_alive && running "$child"; do
      now_ms
      ((now_ms < deadline)) || break
      sleep 0.1
    done
    if app_alive; then
      echo "$prefix grace of ${grace}s over, an app process is still running; stopping the sidecar"
    else
      echo "$prefix the app's processes have exited; stopping the sidecar"
    fi
  fi
  kill -s "$sig" -- "-$child" 2>/dev/null
  await_child 0
  rc=$?
  echo "$prefix stopped (exit status $rc)"
  exit "$rc"
}

now_ms
started_ms=$now_ms

# True once failures count: after a passed probe, or when start_period is over.
counting() {
  ((passed_once)) && return 0
  now_ms
  ((now_ms - started_ms >= start_period * 1000))
}

schedule_probe
while :; do
  finished=
  # shellcheck disable=SC2086 # $timer and $probe are pids or empty
  wait -n -p finished "$child" $timer $probe
  rc=$?
  if [[ -n $pending_signal ]]; then
    sig=$pending_signal
    pending_signal=
    case $sig in
      TERM | INT) stop_sidecar "$sig" ;;
      *)
        kill -s "$sig" -- "-$child" 2>/dev/null
        # Sent to the group, the signal may have ended the timer and probe too: start afresh.
        stop_helpers
        schedule_probe
        ;;
    esac
    continue
  fi
  case ${finished:-} in
    "$child")
      stop_helpers
      echo "$prefix the sidecar exited with status $rc" >&2
      exit "$rc"
      ;;
    "$timer")
      timer=
      if counting; then start_probe 1; else start_probe 0; fi
      ;;
    "$probe")
      probe=
      if ((rc == 0)); then
        passed_once=1
        failures=0
      elif counting; then
        failures=$((failures + 1))
        if ((failures >= threshold)); then
          echo "$prefix **ERROR** health check failed $failures times in a row ($health_kind $health_target); stopping the sidecar so that Cloud Foundry restarts the container" >&2
          stop_helpers
          kill -TERM -- "-$child" 2>/dev/null
          await_child 5
          exit 1
        fi
      fi
      schedule_probe
      ;;
    *)
      # wait -n found no job to wait for (127): the sidecar is gone.
      if ((rc == 127)); then
        wait "$child"
        rc=$?
        echo "$prefix the sidecar exited with status $rc" >&2
        exit "$rc"
      fi
      ;;
  esac
done
