# shellcheck shell=bash
# Cloud Foundry metadata for a telemetry sidecar, computed at launch (never at staging: the
# droplet is the same for every instance, space and org it runs in). Sourced by the launch
# command of a sidecar whose sidecars.yml entry has `cf_metadata: true`, just before its command:
#
#   cd "$DEPS_DIR/0/sidecars/otel" && source "$DEPS_DIR/0/sidecar_runtime/cf-metadata.sh" && ./otelcol
#
# From VCAP_APPLICATION and CF_INSTANCE_INDEX it exports:
#   OTEL_RESOURCE_ATTRIBUTES  OpenTelemetry's Cloud Foundry resource attributes (semantic
#                             conventions: cloudfoundry.app.id, .app.name, .app.instance.id,
#                             .space.id, .space.name, .org.id, .org.name, .process.id,
#                             .process.type), appended to a value the app set; a key the app
#                             already set is left to the app. Values are percent-encoded.
#   CF_APP_ID, CF_APP_NAME, CF_SPACE_ID, CF_SPACE_NAME, CF_ORG_ID, CF_ORG_NAME, CF_PROCESS_ID,
#   CF_PROCESS_TYPE           the same as plain variables, for agents that take tags from env
#                             (each only when unset).
# Uses jq, which cflinuxfs4 has; without jq or VCAP_APPLICATION it says so and exports nothing.
# Never fails the launch: a sidecar without tags is better than a sidecar that does not start.

__sidecar_bp_cf_metadata() {
  local prefix='[sidecar-buildpack] cf metadata:' exports
  if [[ -z ${VCAP_APPLICATION-} ]]; then
    echo "$prefix no VCAP_APPLICATION; nothing exported" >&2
    return 0
  fi
  if ! command -v jq >/dev/null 2>&1; then
    echo "$prefix jq not found on PATH; nothing exported" >&2
    return 0
  fi
  # One jq: `export NAME='value'` lines (@sh quotes them), OTEL_RESOURCE_ATTRIBUTES last.
  exports=$(jq -r --arg index "${CF_INSTANCE_INDEX-}" --arg existing "${OTEL_RESOURCE_ATTRIBUTES-}" '
    def text: if . == null then "" else tostring end;
    [
      ["cloudfoundry.app.id", "CF_APP_ID", (.application_id | text)],
      ["cloudfoundry.app.name", "CF_APP_NAME", (.application_name // .name | text)],
      ["cloudfoundry.app.instance.id", "", $index],
      ["cloudfoundry.space.id", "CF_SPACE_ID", (.space_id | text)],
      ["cloudfoundry.space.name", "CF_SPACE_NAME", (.space_name | text)],
      ["cloudfoundry.org.id", "CF_ORG_ID", (.organization_id // .org_id | text)],
      ["cloudfoundry.org.name", "CF_ORG_NAME", (.organization_name // .org_name | text)],
      ["cloudfoundry.process.id", "CF_PROCESS_ID", (.process_id | text)],
      ["cloudfoundry.process.type", "CF_PROCESS_TYPE", (.process_type | text)]
    ] | map(select(.[2] != "")) as $known
    | ($existing | split(",") | map(split("=")[0] | gsub("^\\s+|\\s+$"; ""))) as $taken
    | ($known | map(select(.[1] != "") | "[[ -n ${\(.[1])-} ]] || export \(.[1])=\(.[2] | @sh)")[]),
      ($known | map(select(.[0] as $k | $taken | index([$k]) | not) | "\(.[0])=\(.[2] | @uri)")
        | join(",") as $ours
        | if $ours == "" then empty
          else "export OTEL_RESOURCE_ATTRIBUTES=\([$existing, $ours] | map(select(. != "")) | join(",") | @sh)"
          end)
  ' <<<"$VCAP_APPLICATION" 2>/dev/null) || {
    echo "$prefix VCAP_APPLICATION is not JSON; nothing exported" >&2
    return 0
  }
  eval "$exports"
}
__sidecar_bp_cf_metadata
unset -f __sidecar_bp_cf_metadata
