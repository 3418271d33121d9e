# shellcheck shell=bash
# sidecar-buildpack run time: what the kernel says about a sidecar, read from /proc and the
# cgroup files with bash's own `read`, never a fork (the supervisor samples every few seconds).
# Sourced by supervise.sh and sidecars.sh; defines functions and nothing else.
#
#   sidecar_bp_tree_rss_kb PID   sets sidecar_bp_rss_kb to the resident memory (KiB) of PID and
#                                all its descendants (by parent pid, so a child that made a
#                                process group or session of its own still counts); returns 1
#                                when PID is gone. Shared pages count once per process, as ps
#                                sums them.
#   sidecar_bp_oom_kills         sets sidecar_bp_oom to the container's count of OOM kills
#                                (cgroup v2 memory.events, v1 memory.oom_control), or empty.
#   sidecar_bp_running PID       true while PID runs (exists and is not a zombie waiting to be
#                                collected: kill -0 still finds those).
#
# SIDECAR_BP_CGROUP_ROOT and SIDECAR_BP_PROC_CGROUP move /sys/fs/cgroup and /proc/self/cgroup
# for tests, as in memory-guard.sh.

sidecar_bp_tree_rss_kb() {
  local root=$1 f line pid total=0 changed=1
  local -A parent_of=() rss_of=() in_tree=()
  local -a fields
  # The page size, once per shell: getconf is the one fork, and only the first time.
  if [[ -z ${sidecar_bp_page_kb-} ]]; then
    sidecar_bp_page_kb=$(($(getconf PAGESIZE 2>/dev/null || echo 4096) / 1024))
  fi
  for f in /proc/[0-9]*/stat; do
    # 2>/dev/null first: a process that ended since the glob must not print an error.
    IFS= read -r line 2>/dev/null <"$f" || continue
    pid=${f#/proc/}
    pid=${pid%/stat}
    # After "pid (comm) " (comm may hold spaces and parentheses): state ppid ... rss is the 22nd.
    # shellcheck disable=SC2206 # numbers and one state letter: nothing to glob
    fields=(${line##*) })
    parent_of[$pid]=${fields[1]}
    rss_of[$pid]=${fields[21]}
  done
  [[ -n ${rss_of[$root]-} ]] || return 1
  in_tree[$root]=1
  while ((changed)); do
    changed=0
    for pid in "${!parent_of[@]}"; do
      [[ -z ${in_tree[$pid]-} && -n ${in_tree[${parent_of[$pid]}]-} ]] || continue
      in_tree[$pid]=1
      changed=1
    done
  done
  for pid in "${!in_tree[@]}"; do
    total=$((total + ${rss_of[$pid]:-0}))
  done
  # shellcheck disable=SC2034 # the result, read by the caller
  sidecar_bp_rss_kb=$((total * sidecar_bp_page_kb))
}

sidecar_bp_oom_kills() {
  sidecar_bp_oom=
  local root=${SIDECAR_BP_CGROUP_ROOT:-/sys/fs/cgroup} proc=${SIDECAR_BP_PROC_CGROUP:-/proc/self/cgroup}
  local line path='' v1='' f key value
  while IFS= read -r line; do
    case $line in
      0::*) path=${line#0::} ;;
      *:memory:* | *:memory,*:* | *,memory:* | *,memory,*) v1=${line#*:*:} ;;
    esac
  done 2>/dev/null <"$proc"
  for f in "$root/memory$v1/memory.oom_control" "$root/memory/memory.oom_control" \
    "$root$path/memory.events" "$root/memory.events"; do
    [[ -r $f ]] || continue
    while read -r key value; do
      if [[ $key == oom_kill ]]; then
        # shellcheck disable=SC2034 # the result, read by the caller
        sidecar_bp_oom=$value
        return 0
      fi
    done <"$f"
  done
  return 1
}

sidecar_bp_running() {
  local line rest
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/stat ]] || return 1
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  rest=${line##*) }
  [[ ${rest%% *} != Z ]]
}
