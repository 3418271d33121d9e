# shellcheck shell=bash
# sidecar-buildpack run time: service-binding credentials into a sidecar's environment.
#
# Why: a sidecar (an APM agent, a config-server client) usually needs the credentials of a
# service bound to the app. They live in VCAP_SERVICES at run time only; copying them at staging
# would put them into the droplet and the staging log. This maps them at launch, in memory.
#
# Sourced by supervise.sh; defines
#
#   sidecar_bp_export_credentials RUNTIME_JSON SIDECAR_NAME
#     For each entry of RUNTIME_JSON .sidecars[NAME].credentials:
#       {"by": "name"|"label"|"tag", "value": "...", "env": {"VAR": ["path", "in", "credentials"]}}
#     finds the one bound service in VCAP_SERVICES whose name, label or one of whose tags equals
#     value, and exports VAR = credentials.<path> (strings as they are, other JSON as JSON text).
#     Returns 1 with one clear line (service and key names only, never a value) when no service
#     or more than one matches, or a key is missing.
#
# Nothing is written to disk or printed: jq reads VCAP_SERVICES from its environment (not its
# arguments, which `ps` shows), prints `export VAR='value'` lines quoted by jq's @sh into a
# command substitution, and the shell evaluates them. VAR names are checked at staging
# (^[A-Za-z_][A-Za-z0-9_]*$) and again here before anything is evaluated.

sidecar_bp_export_credentials() {
  local runtime_json=$1 name=$2 prefix="[sidecar-buildpack] $2:" out
  # jq builds every export first; when anything is wrong it prints only "!" and the problems,
  # so the shell never evaluates half a mapping and never splits values (which may hold
  # newlines) into lines. No here-strings: older bash writes those to a temp file.
  # shellcheck disable=SC2016
  out=$(jq -r --arg n "$name" '
    ($ENV.VCAP_SERVICES // "{}" | fromjson? // {}) as $vcap
    | [$vcap | to_entries[] | .key as $key | .value[]?
       | {name, "label": (.label // $key), tags: (.tags // []), credentials: (.credentials // {})}] as $all
    | [ (.sidecars[$n].credentials // [])[] as $c
        | [$all[] | select(
            ($c.by == "name" and .name == $c.value) or
            ($c.by == "label" and .label == $c.value) or
            ($c.by == "tag" and any(.tags[]; . == $c.value)))] as $m
        | if ($m | length) == 0 then
            {error: "no bound service with \($c.by) \"\($c.value)\" in VCAP_SERVICES"}
          elif ($m | length) > 1 then
            {error: "\($m | length) bound services have \($c.by) \"\($c.value)\" (\($m | map(.name) | join(", "))); select one by name"}
          else
            $m[0] as $s | $c.env | to_entries[] | .key as $var | .value as $path
            | ($s.credentials | try getpath($path) catch null) as $v
            | if ($var | test("^[A-Za-z_][A-Za-z0-9_]*$") | not) then
                {error: "\"\($var)\" is not an environment variable name"}
              elif $v == null then
                {error: "service \"\($s.name)\" has no credentials.\($path | join(".")) for \($var)"}
              else
                {line: ("export \($var)=" + ($v | if type == "string" then . else tojson end | @sh))}
              end
          end ]
    | if any(.[]; has("error")) then "!" + (map(.error // empty) | join("; "))
      else map(.line) | join("\n") end' "$runtime_json")
  local rc=$?
  if ((rc != 0)); then
    echo "$prefix **ERROR** cannot map service credentials (jq exit $rc)" >&2
    return 1
  fi
  if [[ $out == '!'* ]]; then
    echo "$prefix **ERROR** ${out#!}; bind the service or fix credentials: in sidecars.yml" >&2
    return 1
  fi
  [[ -n $out ]] && eval "$out"
  return 0
}
