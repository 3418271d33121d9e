# shellcheck shell=bash source-path=SCRIPTDIR
# sidecar-buildpack run time: the profile.d entry point.
#
# The Cloud Foundry launcher sources profile.d scripts before EVERY process of the container
# (the app's and each sidecar's), with $1 = the app dir and $2 = the command it will exec.
# For the app's own process this script
#   1. runs the Java memory guard (memory-guard.sh), which prints one line,
#   2. records the process's pid for the sidecars' stop order (supervise.sh reads them),
#   3. waits for sidecars with `ready:` (ready-wait.sh); exits 1 when one with on_timeout: fail
#      is not ready, so that the container restarts.
# For a sidecar's launch or a task it prints one line and changes nothing; for the lifecycle's
# shell (cf ssh) it only puts the `sidecars` status command on PATH.
#
# Where it is installed, and why it runs exactly once per process: supply writes this same file
# to DEPS_DIR/INDEX/profile.d/ AND to the app's .profile.d/. The launcher always sources the
# app's .profile.d/ (whatever the final buildpack: the Ruby Java buildpack v4 never copies
# DEPS_DIR/INDEX/profile.d), and libbuildpack final buildpacks copy DEPS_DIR/INDEX/profile.d to
# ../profile.d, which is sourced first, so the guard lowers MEMORY_LIMIT before the other
# buildpacks' profile.d scripts read it. When both copies are sourced, the second sees the
# shell variable set by the first and returns at once; the variable is not exported, so the
# app's own child shells do not inherit it. The guard is idempotent on its own as well.
#
# How a launch is told apart (cf-contract sections 3, 4):
#   no "process_type" in VCAP_APPLICATION          -> a task (tasks run no sidecars): skip
#   $2 starts with `cd "$DEPS_DIR/<i>/sidecars/`   -> one of our sidecars (the command shapes
#   or `cd "$DEPS_DIR/../app" && `                    the staging core writes; the second is a
#                                                     sidecar in the app's files): skip
#   $2 is the exact command of a sidecar another   -> that buildpack's sidecar: skip
#   buildpack's launch.yml declares (those before
#   this one: other-sidecars.cmd, from staging;
#   those after it: read now, launch-yml-reader.sh)
#   otherwise                                      -> the app's process of that type
# Launches are told apart without a fork, unless a later buildpack's launch.yml declares
# sidecars: then one awk (or jq, for JSON) reads those files. A sidecar declared in the app
# manifest cannot be named (the droplet never holds the manifest): it counts as an app process.
# That is safe: the guard leaves its own lower MEMORY_LIMIT alone on a current Cloud Controller,
# and each app process records its own pid, so the stop order waits for all of them instead of
# losing one.
#
# Data written at staging (the contract with the TypeScript side, src/runtime/runtime-config.ts):
#   DEPS_DIR/INDEX/sidecar_runtime/ found by a glob for */sidecar_runtime/runtime.json under
#   $DEPS_DIR, and in it process-types/<TYPE>.tsv: "memory<TAB>MB" (memory guard) and
#   "ready<TAB>NAME<TAB>KIND<TAB>TARGET<TAB>TIMEOUT<TAB>ON_TIMEOUT" lines (ready wait). Plain
#   lines read by bash's `read`, so the app's start needs no jq: no fork but the probes.
#   other-sidecars.cmd: NAME NUL COMMAND NUL for each other buildpack's sidecar.
# Pid files: ${TMPDIR:-/tmp}/sidecar-buildpack-app.<PID>.pid, one per app process, so that no
# launch overwrites another's (TMPDIR is shared by the app and sidecars).
#
# Must be `set -u` safe, must not `set -e` or change shell options, and leaves no functions
# or variables behind except the once-per-process marker.

if [[ -z ${__sidecar_bp_profiled-} ]]; then
  __sidecar_bp_profiled=1

  __sidecar_bp_profile() {
    local command=$1 prefix='[sidecar-buildpack] memory guard:' process_type runtime_json dir type_tsv f
    # The lifecycle's shell (`cf ssh`, then /tmp/lifecycle/shell) sources the same scripts with
    # $0 its own path: a person's shell, not an app process. No guard, no pid record (it would
    # hold back the sidecars' stop order), no ready wait (a sidecar that is down would keep the
    # shell from starting); only the `sidecars` command on PATH.
    if [[ ${0##*/} == shell ]]; then
      for f in "${DEPS_DIR:-/home/vcap/deps}"/*/sidecar_runtime/bin/sidecars; do
        [[ -x $f ]] && PATH=$PATH:${f%/sidecars} && break
      done
      return 0
    fi
    if [[ ! ${VCAP_APPLICATION-} =~ \"process_type\"[[:space:]]*:[[:space:]]*\"([^\"]+)\" ]]; then
      echo "$prefix no process_type in VCAP_APPLICATION (a task); MEMORY_LIMIT ${MEMORY_LIMIT-unset} left alone"
      return 0
    fi
    process_type=${BASH_REMATCH[1]}
    # The literal text `$DEPS_DIR`, unexpanded, is what the staging core writes.
    # shellcheck disable=SC2016
    if [[ $command == 'cd "$DEPS_DIR/'*'/sidecars/'* || $command == 'cd "$DEPS_DIR/../app" && '* ]]; then
      echo "$prefix a sidecar's launch in process type '$process_type'; MEMORY_LIMIT ${MEMORY_LIMIT-unset} left alone"
      return 0
    fi
    for f in "${DEPS_DIR:-/home/vcap/deps}"/*/sidecar_runtime/runtime.json; do
      [[ -f $f ]] && runtime_json=$f && break
    done
    if [[ -z ${runtime_json-} ]]; then
      echo "$prefix no sidecar_runtime/runtime.json under ${DEPS_DIR:-/home/vcap/deps}; MEMORY_LIMIT ${MEMORY_LIMIT-unset} left alone" >&2
      return 0
    fi
    dir=${runtime_json%/runtime.json}
    if [[ -s $dir/other-sidecars.cmd ]]; then
      local name other
      while IFS= read -r -d '' name && IFS= read -r -d '' other; do
        if [[ $other == "$command" ]]; then
          echo "$prefix the launch of sidecar '$name' (another buildpack's) in process type '$process_type'; MEMORY_LIMIT ${MEMORY_LIMIT-unset} left alone"
          return 0
        fi
      done <"$dir/other-sidecars.cmd"
    fi
    # The buildpacks after this one wrote their launch.yml after its supply: read those here, and
    # only those that declare sidecars (yaml.v2 spells the key out; JSON quotes it).
    local own=${dir%/sidecar_runtime} later=() lost=() idx text extra_mb=0 verdict names
    own=${own##*/}
    for f in "${DEPS_DIR:-/home/vcap/deps}"/*/launch.yml; do
      idx=${f%/launch.yml}
      idx=${idx##*/}
      ((10#$idx > 10#$own)) || continue
      text=
      IFS= read -r -d '' text <"$f"
      [[ $text == *sidecar_for* ]] || continue
      # A padded name (deps/03 of 11) is never read by the lifecycle: those sidecars never
      # started. (A buildpack before this one had its sidecars declared again at staging.)
      if [[ $idx =~ ^(0|[1-9][0-9]*)$ ]]; then later+=("$f"); else lost+=("$f"); fi
    done
    if ((${#later[@]} + ${#lost[@]})); then
      # shellcheck source=launch-yml-reader.sh
      source "$dir/launch-yml-reader.sh"
    fi
    for f in "${lost[@]}"; do
      names=$(sidecar_bp_sidecar_names "$f") || names='(unreadable YAML)'
      idx=${f%/launch.yml}
      echo "[sidecar-buildpack] ${idx##*/}/launch.yml declares sidecars that Cloud Foundry never started: ${names//$'\n'/, }. With 10 or more buildpacks the lifecycle reads launch.yml only from unpadded deps/<i>; put that buildpack before sidecar_buildpack (which then declares them again) or at index 10 or later" >&2
    done
    if ((${#later[@]})); then
      verdict=$(sidecar_bp_read_sidecars "$process_type" "$command" "${later[@]}")
      case $? in
        0) ;;
        *) verdict="unreadable" ;;
      esac
    fi
    if declare -F sidecar_bp_read_sidecars >/dev/null; then
      unset -f sidecar_bp_read_sidecars sidecar_bp_sidecar_names
      unset __sidecar_bp_launch_yml_awk
    fi
    if [[ ${verdict-} == match\ * ]]; then
      echo "$prefix the launch of sidecar '${verdict#match }' (another buildpack's) in process type '$process_type'; MEMORY_LIMIT ${MEMORY_LIMIT-unset} left alone"
      return 0
    elif [[ ${verdict-} =~ ^memory\ ([0-9]+)$ ]]; then
      extra_mb=${BASH_REMATCH[1]}
    elif ((${#later[@]})); then
      echo "$prefix cannot read the sidecars of ${later[*]} (YAML this reader does not take); this launch counts as the app's, their memory is not reserved" >&2
    fi
    type_tsv=$dir/process-types/$process_type.tsv
    # shellcheck source=memory-guard.sh
    source "$dir/memory-guard.sh"
    sidecar_bp_memory_guard "$type_tsv" "$process_type" "$extra_mb"
    unset -f sidecar_bp_memory_guard sidecar_bp_size_mb sidecar_bp_cgroup_limit_mb
    unset sidecar_bp_mb sidecar_bp_cgroup_mb

    # Written before the ready wait so that a sidecar stopped meanwhile still finds the app.
    : 2>/dev/null >"${TMPDIR:-/tmp}/sidecar-buildpack-app.$$.pid"

    # shellcheck source=probe.sh
    source "$dir/probe.sh"
    # shellcheck source=ready-wait.sh
    source "$dir/ready-wait.sh"
    sidecar_bp_ready_wait "$type_tsv"
    local ready=$?
    unset -f sidecar_bp_ready_wait sidecar_bp_probe
    unset sidecar_bp_probe_detail
    return "$ready"
  }

  __sidecar_bp_profile "${2-}" || exit 1
  unset -f __sidecar_bp_profile
fi
