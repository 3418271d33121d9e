# shellcheck shell=bash
# sidecar-buildpack run time: the Java memory guard.
#
# Why: the Java buildpack's memory calculator sizes the JVM to fill $MEMORY_LIMIT. Cloud
# Controller lowers the app process's MEMORY_LIMIT by its sidecars' declared memory, but older
# Cloud Controllers did not, and then the JVM plus the sidecars outgrow the container and the
# kernel OOM-kills all of it (exit 137). This guard makes sure MEMORY_LIMIT leaves room for the
# sidecars, exactly once, whichever platform behaviour is in effect.
#
# Sourced by profile.sh (only for the app's own process; profile.sh decides that) and defines
#
#   sidecar_bp_memory_guard TYPE_TSV PROCESS_TYPE [EXTRA_MB]
#     Reads the sidecars' memory for PROCESS_TYPE from TYPE_TSV (written at staging:
#     sidecar_runtime/process-types/<type>.tsv, line "memory<TAB><MB>"; no file: no sidecars,
#     see src/runtime/runtime-config.ts processTypeRows), adds EXTRA_MB (the sidecars of the
#     buildpacks after this one, which staging could not see), and reads the container's memory
#     limit from the cgroup (v2 memory.max, else v1 memory.limit_in_bytes; at the cgroup root,
#     else at this process's cgroup path from /proc/self/cgroup).
#     Decision, with M = MEMORY_LIMIT, S = sidecar memory, C = container limit (all MB):
#       M + S <= C  the platform already reserved the sidecars' memory: leave M alone.
#       M + S >  C  it did not: export MEMORY_LIMIT=(M - S)m.
#       C unknown   cannot tell: leave M alone (never risk subtracting twice) and say so.
#     After a subtraction M + S = C, so running it again changes nothing: idempotent by
#     construction, not only by the caller's once-per-process marker.
#     Prints exactly one line saying what it decided. No fork: a few file reads and arithmetic.
#
# Environment: MEMORY_LIMIT (e.g. "1024m"), and for tests SIDECAR_BP_CGROUP_ROOT (default
# /sys/fs/cgroup) and SIDECAR_BP_PROC_CGROUP (default /proc/self/cgroup).

# Sets sidecar_bp_mb to the size $1 ("1024m", "1g", "1048576k", bytes when bare) in whole MB.
sidecar_bp_size_mb() {
  sidecar_bp_mb=
  [[ $1 =~ ^([0-9]+)([kKmMgG]?)[bB]?$ ]] || return 1
  local n=$((10#${BASH_REMATCH[1]}))
  case ${BASH_REMATCH[2]} in
    k | K) sidecar_bp_mb=$((n / 1024)) ;;
    m | M) sidecar_bp_mb=$n ;;
    g | G) sidecar_bp_mb=$((n * 1024)) ;;
    *) sidecar_bp_mb=$((n / 1048576)) ;;
  esac
}

# Sets sidecar_bp_cgroup_mb to the container's memory limit in MB, or empty when none is
# readable or it is unlimited ("max", or v1's huge page-rounded 2^63).
sidecar_bp_cgroup_limit_mb() {
  sidecar_bp_cgroup_mb=
  local root=${SIDECAR_BP_CGROUP_ROOT:-/sys/fs/cgroup}
  local proc=${SIDECAR_BP_PROC_CGROUP:-/proc/self/cgroup}
  local -a candidates=("$root/memory.max" "$root/memory/memory.limit_in_bytes")
  local _id controllers path value file
  if [[ -r $proc ]]; then
    while IFS=: read -r _id controllers path; do
      [[ -z $path || $path == / ]] && continue
      if [[ -z $controllers ]]; then
        candidates+=("$root$path/memory.max")
      elif [[ ,$controllers, == *,memory,* ]]; then
        candidates+=("$root/memory$path/memory.limit_in_bytes")
      fi
    done <"$proc"
  fi
  for file in "${candidates[@]}"; do
    [[ -r $file ]] || continue
    read -r value <"$file" || continue
    # 2^50 bytes (1 PiB) and above means "no limit" in practice.
    if [[ $value =~ ^[0-9]{1,18}$ ]] && ((value < 1125899906842624)); then
      sidecar_bp_cgroup_mb=$((value / 1048576))
      return 0
    fi
  done
  return 1
}

sidecar_bp_memory_guard() {
  local type_tsv=$1 process_type=$2 extra_mb=${3:-0} prefix='[sidecar-buildpack] memory guard:'
  local limit=${MEMORY_LIMIT-} sidecars_mb=0 m c kind value _rest
  if ! sidecar_bp_size_mb "$limit"; then
    echo "$prefix MEMORY_LIMIT '$limit' is not a size like 1024m; left alone" >&2
    return 0
  fi
  m=$sidecar_bp_mb
  if [[ -f $type_tsv ]]; then
    while IFS=$'\t' read -r kind value _rest; do
      [[ $kind == memory && $value =~ ^[0-9]+$ ]] && sidecars_mb=$value
    done <"$type_tsv"
  fi
  [[ $extra_mb =~ ^[0-9]+$ ]] && sidecars_mb=$((sidecars_mb + extra_mb))
  if ((sidecars_mb == 0)); then
    echo "$prefix no sidecars with memory run beside process type '$process_type'; MEMORY_LIMIT $limit unchanged"
    return 0
  fi
  if ! sidecar_bp_cgroup_limit_mb; then
    echo "$prefix container memory limit unreadable, cannot tell whether the platform reserved the ${sidecars_mb}M of '$process_type' sidecars; MEMORY_LIMIT $limit left alone" >&2
    return 0
  fi
  c=$sidecar_bp_cgroup_mb
  if ((m + sidecars_mb <= c)); then
    echo "$prefix MEMORY_LIMIT $limit unchanged: the platform already reserved ${sidecars_mb}M for the sidecars of '$process_type' (container limit ${c}M)"
    return 0
  fi
  if ((m - sidecars_mb < 1)); then
    echo "$prefix MEMORY_LIMIT $limit cannot hold the ${sidecars_mb}M of '$process_type' sidecars; left alone, raise the app's memory" >&2
    return 0
  fi
  export MEMORY_LIMIT="$((m - sidecars_mb))m"
  echo "$prefix MEMORY_LIMIT $limit -> $MEMORY_LIMIT: reserved ${sidecars_mb}M for the sidecars of '$process_type' (container limit ${c}M; the platform had not reserved it)"
}
