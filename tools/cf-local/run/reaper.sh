#!/usr/bin/env bash
# cf-local's reaper: what is left to destroy if cf-local itself dies before it tears its
# containers down (SIGKILL, a crash, tsx killing its child 30 ms after relaying a SIGTERM).
# A container on Diego never outlives its cell's decision to stop it; cf-local's must not
# outlive cf-local.
#
# It reads lines from cf-local on stdin:
#   group PGID / forget-group PGID    a launch's process group, started / destroyed
#   cgroup DIR / forget-cgroup DIR    a container's memory cgroup, created / removed
#   dir PATH                          the run's files
#   netns NAME LEASE / forget-netns NAME   a container's network namespace and its address lease
#   done                              cf-local stopped everything itself: nothing to do
# End of input without "done" means cf-local is gone: every remembered group and cgroup member
# is SIGKILLed, the cgroups removed and the dirs deleted. Signals are ignored, so a Ctrl-C to
# the terminal's process group cannot take the reaper down before cf-local.
trap '' INT TERM HUP QUIT
declare -A groups=() cgroups=() netns=()
dirs=()
while IFS=' ' read -r kind value; do
  case $kind in
    group) groups[$value]=1 ;;
    forget-group) unset "groups[$value]" ;;
    cgroup) cgroups[$value]=1 ;;
    forget-cgroup) unset "cgroups[$value]" ;;
    dir) dirs+=("$value") ;;
    netns) netns[${value%% *}]=${value#* } ;;
    forget-netns) unset "netns[$value]" ;;
    done) exit 0 ;;
  esac
done

for pgid in "${!groups[@]}"; do
  kill -KILL -- "-$pgid" 2>/dev/null
done
for cgroup in "${!cgroups[@]}"; do
  for _ in {1..50}; do
    mapfile -t pids <"$cgroup/cgroup.procs" 2>/dev/null || break
    [ "${#pids[@]}" -eq 0 ] && break
    kill -KILL "${pids[@]}" 2>/dev/null
    sleep 0.1
  done
  rmdir "$cgroup" 2>/dev/null
done
for name in "${!netns[@]}"; do
  ip netns del "$name" 2>/dev/null
  ip link del "${name}h" 2>/dev/null
  rm -f -- "${netns[$name]}"
done
for dir in "${dirs[@]}"; do
  rm -rf -- "$dir"
done
exit 0
