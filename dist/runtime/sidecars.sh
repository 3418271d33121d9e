#!/usr/bin/env bash
# sidecar-buildpack run time: the `sidecars` command, for `cf ssh APP -c sidecars` and an
# interactive `cf ssh`.
#
#   sidecars [--json]
#
# One line per sidecar of this process type: state, pid, restarts, last exit status and why,
# memory now against its reservation, health, uptime. --json prints the same as a JSON array.
# Installed at DEPS_DIR/INDEX/sidecar_runtime/sidecars.sh and reached from
#   /home/vcap/app/.sidecar_buildpack/bin/sidecars      (a stable path, from a bare cf ssh)
#   DEPS_DIR/INDEX/sidecar_runtime/bin/sidecars         (on PATH after /tmp/lifecycle/shell)
# both small wrappers that exec this script.
#
# Reads what the supervisors write: ${TMPDIR}/sidecar-buildpack-state/NAME (supervise.sh). A bare
# cf ssh has no TMPDIR of the launcher's, so the container's own tmp dir (/home/vcap/tmp, next to
# deps/) is looked at too. Memory comes from /proc (proc-tree.sh), never from the state file.
# Needs bash, coreutils and jq, as the rest of the run time.
# shellcheck source-path=SCRIPTDIR
set -u

here=${BASH_SOURCE[0]%/*}
[[ $here == "${BASH_SOURCE[0]}" ]] && here=.
json=0
case ${1-} in
  --json) json=1 ;;
  '') ;;
  -h | --help)
    echo "usage: sidecars [--json]: the state of this container's sidecars (sidecar-buildpack)"
    exit 0
    ;;
  *)
    echo "sidecars: unknown option '$1' (usage: sidecars [--json])" >&2
    exit 2
    ;;
esac

# shellcheck source=proc-tree.sh
source "$here/proc-tree.sh"
runtime_json=$here/runtime.json
home=$(cd "$here/../../.." && pwd)
state_dir=
for dir in ${TMPDIR:+"$TMPDIR"} "$home/tmp"; do
  if [[ -d $dir/sidecar-buildpack-state ]]; then
    state_dir=$dir/sidecar-buildpack-state
    break
  fi
done

process_type=
if [[ ${VCAP_APPLICATION-} =~ \"process_type\"[[:space:]]*:[[:space:]]*\"([^\"]+)\" ]]; then
  process_type=${BASH_REMATCH[1]}
fi
# The sidecars of this process type in config order; without a process type, every sidecar
# that has a state file here (a container runs the sidecars of one type), else all.
mapfile -t names < <(jq -r --arg t "$process_type" \
  '.sidecars | to_entries[] | select($t == "" or (.value.processTypes | index($t))) | .key' "$runtime_json")
if [[ -z $process_type && -n $state_dir ]]; then
  kept=()
  for n in "${names[@]}"; do [[ -f $state_dir/$n ]] && kept+=("$n"); done
  ((${#kept[@]})) && names=("${kept[@]}")
fi

now_ms=${EPOCHREALTIME//[!0-9]/}
now_ms=$((now_ms / 1000))
duration() {
  local s=$1
  if ((s >= 86400)); then
    echo "$((s / 86400))d$((s % 86400 / 3600))h"
  elif ((s >= 3600)); then
    echo "$((s / 3600))h$((s % 3600 / 60))m"
  elif ((s >= 60)); then
    echo "$((s / 60))m$((s % 60))s"
  else
    echo "${s}s"
  fi
}

rows=()
for n in "${names[@]}"; do
  declare -A s=([state]=unknown [pid]='' [supervisor]='' [restarts]=0 [last_exit]='' [last_reason]=''
    [started_ms]=0 [health]=none [memory_mb]=0 [policy]=never [max_restarts]=0 [within]=0 [next_restart]='')
  if [[ -n $state_dir && -f $state_dir/$n ]]; then
    while IFS='=' read -r key value; do
      [[ -n $key ]] && s[$key]=$value
    done <"$state_dir/$n"
    # A supervisor that is gone without writing "stopped" was killed (kill -9, or the kernel).
    if [[ ${s[state]} != stopped ]] && ! sidecar_bp_running "${s[supervisor]}"; then
      s[state]=stopped s[pid]=
      s[last_reason]="its supervisor (pid ${s[supervisor]}) is gone"
    fi
  else
    s[state]="not started"
    s[memory_mb]=$(jq -r --arg n "$n" '.sidecars[$n].memoryMb' "$runtime_json")
  fi
  memory_now=
  if [[ -n ${s[pid]} ]] && sidecar_bp_running "${s[pid]}" && sidecar_bp_tree_rss_kb "${s[pid]}"; then
    memory_now=$((sidecar_bp_rss_kb / 1024))
  else
    s[pid]=
  fi
  uptime=
  if [[ -n ${s[pid]} ]] && ((s[started_ms] > 0)); then uptime=$(((now_ms - s[started_ms]) / 1000)); fi
  if [[ ${s[state]} == "backing off" && -n ${s[next_restart]} ]]; then
    s[state]="backing off ($((s[next_restart] - now_ms / 1000))s)"
  fi
  rows+=("$(jq -cn --arg name "$n" --arg state "${s[state]}" --arg pid "${s[pid]}" \
    --arg restarts "${s[restarts]}" --arg last_exit "${s[last_exit]}" --arg why "${s[last_reason]}" \
    --arg mem "$memory_now" --arg limit "${s[memory_mb]}" --arg health "${s[health]}" \
    --arg uptime "$uptime" --arg policy "${s[policy]}" --arg max "${s[max_restarts]}" \
    --arg within "${s[within]}" '
    def num: if . == "" then null else tonumber end;
    {name: $name, state: $state, pid: ($pid | num), restarts: ($restarts | num),
     last_exit: (if $last_exit == "" then null else {status: ($last_exit | num), reason: $why} end),
     memory_mb: ($mem | num), memory_limit_mb: ($limit | num), health: $health,
     uptime_seconds: ($uptime | num),
     restart: {policy: $policy, max_restarts: ($max | num), within_seconds: ($within | num)}}')")
  unset s
done

if ((json)); then
  printf '%s\n' "${rows[@]}" | jq -s .
  exit 0
fi
if ((${#rows[@]} == 0)); then
  echo "no sidecars of sidecar-buildpack${process_type:+ beside process type $process_type}"
  exit 0
fi
# A table padded by bash itself (column(1) is not on every stack).
mapfile -t lines < <(
  printf 'SIDECAR\tSTATE\tPID\tRESTARTS\tLAST EXIT\tMEMORY\tHEALTH\tUPTIME\n'
  printf '%s\n' "${rows[@]}" | jq -r '[.name, .state, (.pid // "-" | tostring), (.restarts | tostring),
    (if .last_exit then "\(.last_exit.status) (\(.last_exit.reason))" else "-" end),
    "\(if .memory_mb then "\(.memory_mb)M" else "-" end)/\(.memory_limit_mb)M",
    .health, (.uptime_seconds // "-" | tostring)] | join("\t")'
)
widths=(0 0 0 0 0 0 0 0)
table=()
for line in "${lines[@]}"; do
  IFS=$'\t' read -r -a cells <<<"$line"
  [[ ${cells[7]} =~ ^[0-9]+$ ]] && cells[7]=$(duration "${cells[7]}")
  for i in "${!cells[@]}"; do
    ((${#cells[i]} > widths[i])) && widths[i]=${#cells[i]}
  done
  table+=("$(printf '%s\t' "${cells[@]}")")
done
for line in "${table[@]}"; do
  IFS=$'\t' read -r -a cells <<<"$line"
  out=
  for i in "${!cells[@]}"; do
    if ((i < ${#cells[@]} - 1)); then out+=$(printf '%-*s  ' "${widths[i]}" "${cells[i]}"); else out+=${cells[i]}; fi
  done
  echo "$out"
done
