#!/usr/bin/env bash
# sidecar-buildpack run time: the supervisor every sidecar of this buildpack runs under.
#
#   supervise.sh SIDECAR_NAME COMMAND
#
# launch.yml starts each sidecar as
#   cd "$DEPS_DIR/0/sidecars/NAME" && export K='v' && exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" NAME 'COMMAND'
# so the supervisor is the process Cloud Foundry starts, watches and signals. It reads its
# settings from runtime.json next to it (written at staging; the contract with
# src/runtime/runtime-types.ts), .sidecars[NAME]: health, stop, credentials, restart,
# memoryCheck, memoryMb, nice.
#
# What it does, and why:
# - Starts COMMAND with `bash -c` in its own process group (set -m while starting it), so that a
#   signal reaches the sidecar and every process it started; at oom_score_adj 1000 (any process
#   may raise its own), so that when the container runs out of memory the kernel kills the
#   sidecar, not the app; at the sidecar's nice value. The supervisor itself keeps 0 and 0.
#   When the sidecar ends, whatever is left of its process group gets TERM, and KILL 2-3 s
#   later, before anything else happens (a process that left the group with setsid is beyond
#   its reach).
# - restart.policy never (the default): when the sidecar exits, the supervisor exits with its
#   status and Cloud Foundry restarts the container, as for any process. on-failure / always:
#   the sidecar is restarted in place after a failure (a non-zero exit, a signal, a failed health
#   check, memory over its limit) / after any exit, with a back-off of 1 s doubling to 30 s that
#   starts again at 1 s after 60 s of running (runtime.json restart.backoff); at most maxRestarts
#   within withinSeconds, then it exits with the sidecar's status, so a sidecar that can never
#   start still crashes the container. A clean exit under on-failure stays stopped.
# - Health: probes every intervalSeconds (sleeping in between: no CPU while idle). Failures count
#   once the sidecar has passed a probe, or after startPeriodSeconds. After failureThreshold
#   failures in a row it stops the sidecar (TERM, KILL after 5 s) and restarts it, or, with
#   policy never, exits 1: that turns a hung sidecar, which a PID health check cannot see, into
#   a container restart.
# - Memory: every memoryCheck.intervalSeconds it sums the RSS of the sidecar's process tree from
#   /proc (proc-tree.sh, no fork). Above memoryMb for memoryCheck.samples samples in a row: one
#   **WARNING** line, and with action restart a restart before the kernel has to choose.
# - Stop order: on SIGTERM (or SIGINT) with stop.graceSeconds > 0 it keeps the sidecar serving
#   until the app's processes have exited (pids from ${TMPDIR:-/tmp}/sidecar-buildpack-app.<PID>.pid,
#   one file per app process, written by profile.sh) or graceSeconds have passed, then forwards
#   the signal. Cloud Foundry sends SIGTERM to all processes at once and SIGKILLs them 10 s
#   later. Without stop, at once. A SIGTERM during a back-off ends it at once; once SIGTERM has
#   come, or the app's processes have all exited, nothing is restarted.
# - Other signals (HUP, QUIT, USR1, USR2) are forwarded as they come.
# - Status: ${TMPDIR:-/tmp}/sidecar-buildpack-state/NAME, key=value lines rewritten (through a
#   rename) on every change of state, for the `sidecars` command (sidecars.sh).
# - It reaps every child it starts (the sidecar, sleeps, probes): `wait` collects each.
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
state_dir=${TMPDIR:-/tmp}/sidecar-buildpack-state

# shellcheck source=probe.sh
source "$here/probe.sh"
# shellcheck source=credentials.sh
source "$here/credentials.sh"
# shellcheck source=proc-tree.sh
source "$here/proc-tree.sh"

settings=$(jq -r --arg n "$name" '.sidecars[$n] // {} | [
    .health.kind // "", (.health.url // .health.port // "" | tostring),
    .health.intervalSeconds // 10, .health.timeoutSeconds // 2,
    .health.failureThreshold // 3, .health.startPeriodSeconds // 0,
    .stop.graceSeconds // 0, (.credentials // [] | length),
    .restart.policy // "never", .restart.maxRestarts // 0, .restart.withinSeconds // 0,
    .restart.backoff.initialSeconds // 1, .restart.backoff.maxSeconds // 30,
    .restart.backoff.resetAfterSeconds // 60,
    .memoryCheck.action // "warn", .memoryCheck.intervalSeconds // 5, .memoryCheck.samples // 3,
    .memoryMb // 0, .nice // 0] | map(tostring) | join("\u001f")' \
  "$runtime_json") || {
  echo "$prefix **ERROR** cannot read $runtime_json (jq is on every cflinuxfs stack; is this one?)" >&2
  exit 1
}
# Unit-separated, not tab-separated: read would merge the empty fields of a sidecar without
# health into one (tab is IFS white space).
IFS=$'\x1f' read -r health_kind health_target interval probe_timeout threshold start_period grace \
  credentials policy max_restarts within backoff_initial backoff_max backoff_reset \
  memory_action memory_interval memory_samples memory_mb nice <<<"$settings"

# A second jq run (about 30 ms with jq 1.6) only for a sidecar that maps credentials.
if ((credentials > 0)); then
  sidecar_bp_export_credentials "$runtime_json" "$name" || exit 1
fi

pending_signal=
for sig in TERM INT HUP QUIT USR1 USR2; do
  # shellcheck disable=SC2064 # expand $sig now: each trap records its own signal
  trap "pending_signal=$sig" "$sig"
done

child=       # the sidecar (its pid is its process group)
group=       # the process group of the sidecar last started
timer=       # sleep until the next health probe
probe=       # a running health probe
sampler=     # sleep until the next memory sample
waiter=      # sleep of a back-off, or of a sidecar left stopped
stopping=0   # a SIGTERM/SIGINT has come: nothing restarts any more
failures=0
passed_once=0
over_samples=0
over_warned=0
state=starting
health_state=none
restarts=0          # restarts so far, for the status
restart_times=()    # epoch seconds of the restarts within the window
backoff=$backoff_initial
last_exit=
last_reason=
next_restart=
started_ms=0

# Milliseconds since the epoch into $now_ms, without a fork (digits of EPOCHREALTIME, whatever
# the locale's decimal separator).
now_ms() {
  now_ms=${EPOCHREALTIME//[!0-9]/}
  now_ms=$((now_ms / 1000))
}

# 600 -> 10m, 90 -> 1m30s.
duration() {
  local s=$1 out=
  ((s >= 3600)) && out+="$((s / 3600))h"
  ((s % 3600 >= 60)) && out+="$((s % 3600 / 60))m"
  ((s % 60 || s == 0)) && out+="$((s % 60))s"
  echo "$out"
}
within_text=$(duration "$within")

# The status file (sidecars.sh reads it). A rename, so a reader never sees half a file: the one
# fork here (mv), on changes of state only.
write_state() {
  local tmp=$state_dir/.tmp/$name
  [[ -d $state_dir/.tmp ]] || mkdir -p "$state_dir/.tmp" 2>/dev/null || return 0
  printf '%s\n' "state=$state" "pid=$child" "supervisor=$$" "restarts=$restarts" \
    "last_exit=$last_exit" "last_reason=$last_reason" "started_ms=$started_ms" \
    "health=$health_state" "memory_mb=$memory_mb" "policy=$policy" \
    "max_restarts=$max_restarts" "within=$within" "next_restart=$next_restart" \
    >"$tmp" 2>/dev/null && mv -f "$tmp" "$state_dir/$name" 2>/dev/null
  return 0
}

schedule_probe() {
  [[ -n $health_kind ]] || return 0
  sleep "$interval" &
  timer=$!
}

schedule_sample() {
  ((memory_mb > 0)) || return 0
  sleep "$memory_interval" &
  sampler=$!
}

start_child() {
  now_ms
  started_ms=$now_ms
  failures=0 passed_once=0 over_samples=0 over_warned=0 next_restart=
  # Job control only while the sidecar starts: it gets its own process group (pgid = its pid);
  # left on, bash would print "[1] Terminated ..." job notices into the sidecar's log.
  set -m
  if ((nice > 0)); then
    { echo 1000 2>/dev/null >/proc/self/oom_score_adj; exec nice -n "$nice" bash -c "$command"; } &
  else
    { echo 1000 2>/dev/null >/proc/self/oom_score_adj; exec bash -c "$command"; } &
  fi
  child=$!
  group=$child
  set +m
  if [[ -n $health_kind ]]; then state=starting health_state=starting; else state=running; fi
  write_state
  schedule_probe
  schedule_sample
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
  # The sleeps get PIPE: a TERM that lands between the fork and the exec of `sleep` is caught by
  # the child's copy of this shell's trap and lost, and the sleep then holds the supervisor's
  # stdout open for its whole interval (seen with bash 5.1); PIPE is not trapped here, so it
  # ends the child at any point, and bash prints no "Killed" job notice for it, as it would
  # for KILL.
  for pid in $timer $sampler $waiter; do
    kill -PIPE "$pid" 2>/dev/null
  done
  [[ -n $probe ]] && kill "$probe" 2>/dev/null
  timer='' probe='' sampler='' waiter=''
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
    wait -n -p f "$child" $killer 2>/dev/null
    rc=$?
    [[ ${f:-} == "$child" ]] && break
    if [[ -n $killer && ${f:-} == "$killer" ]]; then
      echo "$prefix still running $1s after the signal; sending KILL" >&2
      kill -KILL -- "-$child" 2>/dev/null
      killer=
    elif [[ -n $pending_signal ]]; then
      [[ $pending_signal == TERM || $pending_signal == INT ]] && stopping=1
      kill -s "$pending_signal" -- "-$child" 2>/dev/null
      pending_signal=
    elif ((rc == 127)); then
      wait "$child" 2>/dev/null
      rc=$?
      break
    fi
  done
  # No `wait` after this kill either (see stop_helpers).
  if [[ -n $killer ]]; then kill -PIPE "$killer" 2>/dev/null; fi
  child=
  return "$rc"
}

# Ends what is left of the sidecar's process group once the sidecar itself has exited: TERM,
# then KILL after $1 seconds (a wrapper killed with -9 leaves its agent running, holding the port
# the next start needs; an agent that drains on TERM gets its time). No fork unless something is
# left.
end_group() {
  local tenths
  kill -0 -- "-$group" 2>/dev/null || return 0
  kill -TERM -- "-$group" 2>/dev/null
  for ((tenths = $1 * 10; tenths > 0; tenths--)); do
    kill -0 -- "-$group" 2>/dev/null || return 0
    # Cloud Foundry is stopping the container: no more waiting.
    [[ $pending_signal == TERM || $pending_signal == INT ]] && break
    sleep 0.1
  done
  kill -KILL -- "-$group" 2>/dev/null
}

# True while any app process runs: every launch that is not a known sidecar records its pid
# (profile.sh), a manifest-declared sidecar's too, so none of them ends the grace early.
app_alive() {
  local f pid
  for f in "$app_pid_files"*.pid; do
    pid=${f#"$app_pid_files"}
    pid=${pid%.pid}
    sidecar_bp_running "$pid" && return 0
  done
  return 1
}

# True when app processes have started in this container and all have exited: the container
# is going down, and a restarted sidecar would only be killed with it.
app_gone() {
  local f
  for f in "$app_pid_files"*.pid; do
    [[ -e $f ]] || return 1
    break
  done
  ! app_alive
}

# SIGTERM/SIGINT: the stop order, then forward, then exit with the sidecar's status.
stop_sidecar() {
  local sig=$1 rc
  stopping=1
  stop_helpers
  if [[ -z $child ]]; then
    echo "$prefix SIG$sig received while the sidecar was not running (${state}); not restarting it"
    state=stopped
    write_state
    exit 0
  fi
  if ((grace > 0)) && app_alive; then
    echo "$prefix SIG$sig received: keeping the sidecar serving until the app's processes exit (at most ${grace}s)"
    now_ms
    local deadline=$((now_ms + grace * 1000))
    while app_alive && sidecar_bp_running "$child"; do
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
  end_group 3
  echo "$prefix stopped (exit status $rc)"
  state=stopped last_exit=$rc last_reason="stopped by SIG$sig"
  write_state
  exit "$rc"
}

# Why the sidecar ended with status $1, when nobody here stopped it: "killed by SIGKILL", or
# the kernel's OOM killer when the container's count of OOM kills went up meanwhile.
exit_reason() {
  local rc=$1 before=$oom_before
  if ((rc > 128)); then
    sidecar_bp_oom_kills
    if ((rc == 137)) && [[ -n $before && -n ${sidecar_bp_oom-} ]] && ((sidecar_bp_oom > before)); then
      echo "killed by the kernel: the container ran out of memory"
    else
      echo "killed by SIG$(kill -l "$((rc - 128))" 2>/dev/null || echo "$((rc - 128))")"
    fi
  elif ((rc == 0)); then
    echo "exited by itself"
  else
    echo "failed"
  fi
}

# Stops the running sidecar for a restart (TERM to its group, KILL after 5 s: a restart begun
# just before Cloud Foundry's SIGTERM still ends well before its SIGKILL 10 s later).
stop_for_restart() {
  stop_helpers
  state=restarting
  write_state
  kill -TERM -- "-$child" 2>/dev/null
  await_child 5
}

# The sidecar has ended with status $1 ($2: why, when the supervisor stopped it). Restarts it
# after a back-off when the policy and budget allow, else exits as Cloud Foundry expects.
on_sidecar_end() {
  local rc=$1 reason=${2:-} now_s ran_ms delay kept=() t
  stop_helpers
  child=
  end_group 2
  [[ -n $reason ]] || reason=$(exit_reason "$rc")
  last_exit=$rc last_reason=$reason
  if [[ $policy == never ]]; then
    echo "$prefix the sidecar exited with status $rc" >&2
    state=stopped
    write_state
    exit "$rc"
  fi
  if ((stopping)) || [[ -n $pending_signal && $pending_signal =~ ^(TERM|INT)$ ]]; then
    echo "$prefix the sidecar exited with status $rc while stopping; not restarting it"
    state=stopped
    write_state
    exit "$rc"
  fi
  if [[ $policy == on-failure && $rc == 0 && $reason == "exited by itself" ]]; then
    echo "$prefix the sidecar exited with status 0; restart: on-failure leaves it stopped"
    state=stopped
    write_state
    sleep 2147483647 &
    waiter=$!
    return 0
  fi
  if app_gone; then
    echo "$prefix the sidecar exited with status $rc ($reason) after the app's processes exited; not restarting it" >&2
    state=stopped
    write_state
    exit "$rc"
  fi
  now_ms
  now_s=$((now_ms / 1000))
  ran_ms=$((now_ms - started_ms))
  for t in "${restart_times[@]}"; do
    ((t > now_s - within)) && kept+=("$t")
  done
  restart_times=("${kept[@]}")
  if ((${#restart_times[@]} >= max_restarts)); then
    echo "$prefix **ERROR** exited with status $rc ($reason) after $max_restarts restarts within $within_text; exiting with its status so that Cloud Foundry restarts the container" >&2
    state=stopped
    write_state
    ((rc == 0)) && rc=1
    exit "$rc"
  fi
  ((ran_ms >= backoff_reset * 1000)) && backoff=$backoff_initial
  delay=$backoff
  backoff=$((backoff * 2 > backoff_max ? backoff_max : backoff * 2))
  restart_times+=("$now_s")
  restarts=$((restarts + 1))
  echo "$prefix exited with status $rc ($reason); restart ${#restart_times[@]} of $max_restarts within $within_text, in ${delay}s" >&2
  sleep "$delay" &
  waiter=$!
  state="backing off" next_restart=$((now_s + delay))
  write_state
}

# True once failures count: after a passed probe, or when start_period is over.
counting() {
  ((passed_once)) && return 0
  now_ms
  ((now_ms - started_ms >= start_period * 1000))
}

on_probe_result() {
  local rc=$1
  if ((rc == 0)); then
    passed_once=1
    failures=0
    if [[ $health_state != passing ]]; then
      state=ready health_state=passing
      write_state
    fi
  elif counting; then
    failures=$((failures + 1))
    health_state="failing $failures/$threshold"
    write_state
    if ((failures >= threshold)); then
      if [[ $policy == never ]]; then
        echo "$prefix **ERROR** health check failed $failures times in a row ($health_kind $health_target); stopping the sidecar so that Cloud Foundry restarts the container" >&2
        stop_helpers
        kill -TERM -- "-$child" 2>/dev/null
        await_child 5
        end_group 2
        state=stopped last_exit=1 last_reason="health check failed $failures times in a row"
        write_state
        exit 1
      fi
      stop_for_restart
      on_sidecar_end "$?" "stopped: health check failed $failures times in a row"
      return
    fi
  fi
  schedule_probe
}

on_sample() {
  local mb
  sidecar_bp_tree_rss_kb "$child" || {
    schedule_sample
    return
  }
  mb=$((sidecar_bp_rss_kb / 1024))
  if ((mb <= memory_mb)); then
    over_samples=0 over_warned=0
  else
    over_samples=$((over_samples + 1))
    if ((over_samples >= memory_samples && !over_warned)); then
      over_warned=1
      if [[ $memory_action == restart ]]; then
        echo "$prefix **WARNING** uses ${mb}M, over its ${memory_mb}M for $over_samples samples in a row; restarting it before the container runs out of memory" >&2
        stop_for_restart
        on_sidecar_end "$?" "stopped: over its ${memory_mb}M"
        return
      fi
      echo "$prefix **WARNING** uses ${mb}M, over its ${memory_mb}M for $over_samples samples in a row; if the container runs out of memory, the kernel kills this sidecar first" >&2
    fi
  fi
  schedule_sample
}

sidecar_bp_oom_kills
oom_before=${sidecar_bp_oom-}
start_child
while :; do
  finished=
  rc=0
  # A signal that came while the last event was handled (say, between writing "backing off" and
  # starting its sleep) is acted on now, not after whatever `wait` would wait for next.
  if [[ -z $pending_signal ]]; then
    # stderr to /dev/null: bash would print a job notice ("... Killed   { echo 1000 ...") into
    # the sidecar's log when the sidecar dies of a signal; the supervisor's own line says it.
    # shellcheck disable=SC2086 # pids or empty
    wait -n -p finished $child $timer $probe $sampler $waiter 2>/dev/null
    rc=$?
  fi
  if [[ -n $pending_signal ]]; then
    sig=$pending_signal
    pending_signal=
    case $sig in
      TERM | INT) stop_sidecar "$sig" ;;
      *)
        if [[ -n $child ]]; then
          kill -s "$sig" -- "-$child" 2>/dev/null
          # Sent to the group, the signal may have ended the helpers too: start afresh.
          for pid in $timer $sampler; do kill -PIPE "$pid" 2>/dev/null; done
          [[ -n $probe ]] && kill "$probe" 2>/dev/null
          timer='' probe='' sampler=''
          schedule_probe
          schedule_sample
        fi
        ;;
    esac
    continue
  fi
  case ${finished:-} in
    '')
      # wait -n found no job to wait for (127): the sidecar is gone.
      if ((rc == 127)) && [[ -n $child ]]; then
        wait "$child" 2>/dev/null
        on_sidecar_end "$?"
      fi
      ;;
    "$child") on_sidecar_end "$rc" ;;
    "$timer")
      timer=
      if counting; then start_probe 1; else start_probe 0; fi
      ;;
    "$probe")
      probe=
      on_probe_result "$rc"
      ;;
    "$sampler")
      sampler=
      on_sample
      ;;
    "$waiter")
      waiter=
      sidecar_bp_oom_kills
      oom_before=${sidecar_bp_oom-}
      start_child
      ;;
  esac
done
