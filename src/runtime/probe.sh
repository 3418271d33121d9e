# shellcheck shell=bash
# sidecar-buildpack run time: one readiness or health probe of a sidecar on localhost.
#
# Sourced by ready-wait.sh and supervise.sh; defines one function and nothing else.
#
#   sidecar_bp_probe KIND TARGET TIMEOUT_SECONDS
#     KIND   "http": TARGET is a URL; healthy when it answers 200-399 within the timeout.
#            "tcp":  TARGET is a port on 127.0.0.1; healthy when it accepts a connection.
#     Returns 0 when healthy, 1 when not, and sets sidecar_bp_probe_detail to a short reason
#     ("HTTP 503", "connection refused", "timed out after 2s") for the log line.
#
# Tools: curl (http) and bash's /dev/tcp under coreutils' timeout (tcp), all on the stack.
# The probe never goes through a proxy: apps may set HTTP_PROXY, the sidecar is on localhost.

# sidecar_bp_probe_detail is this function's second output, read by the callers.
# shellcheck disable=SC2034
sidecar_bp_probe() {
  local kind=$1 target=$2 timeout=$3 out rc
  sidecar_bp_probe_detail=
  case $kind in
    http)
      out=$(curl --silent --show-error --noproxy '*' --output /dev/null --max-time "$timeout" \
        --write-out '%{http_code}' "$target" 2>&1)
      rc=$?
      if ((rc == 0)) && [[ ${out: -3} =~ ^[23][0-9][0-9]$ ]]; then
        return 0
      fi
      if ((rc == 0)); then
        sidecar_bp_probe_detail="HTTP ${out: -3}"
      elif ((rc == 28)); then
        sidecar_bp_probe_detail="timed out after ${timeout}s"
      elif ((rc == 7)); then
        sidecar_bp_probe_detail="connection refused"
      else
        sidecar_bp_probe_detail="curl exit $rc"
      fi
      return 1
      ;;
    tcp)
      # The connect runs in a child bash so that coreutils' timeout can bound it; $1 is that
      # child's argument, hence the single quotes.
      # shellcheck disable=SC2016
      out=$(timeout "$timeout" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$target" 2>&1)
      rc=$?
      ((rc == 0)) && return 0
      if ((rc == 124)); then
        sidecar_bp_probe_detail="timed out after ${timeout}s"
      elif [[ $out == *refused* ]]; then
        sidecar_bp_probe_detail="connection refused"
      else
        sidecar_bp_probe_detail="connect failed"
      fi
      return 1
      ;;
    *)
      sidecar_bp_probe_detail="unknown probe kind '$kind'"
      return 1
      ;;
  esac
}
