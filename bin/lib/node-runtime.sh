#!/usr/bin/env bash
# shellcheck disable=SC2034 # SIDECAR_NODE is set here and read by the shims that source this file
# Finds a Node.js runtime for the staging entrypoints. The stack (cflinuxfs4) has no node, so the
# buildpack brings its own, the `node` dependency of its manifest.yml for $CF_STACK, taken from:
#   0. the buildpack itself, unpacked (file: .../bin/node, as scripts/package.sh lays it out), run
#      in place;
#   1. an unpacked copy in the staging cache (CACHE_DIR/sidecar_buildpack/node/<version>-<sha>)
#      or, for detect/release, which get no CACHE_DIR, in $TMPDIR;
#   2. the buildpack's offline copy (cached zip: dependencies/<md5 of uri>/<basename>, or `file:`);
#   3. a download of its uri with curl;
#   4. a `node` >= 20 already on PATH (development machines).
# Sources 2 and 3 are checked against the manifest's sha256 before anything is unpacked.
# Sourced by the bin/ shims; sets SIDECAR_NODE (and SIDECAR_CODE_CACHE for sources 1-3).
# Uses only bash, coreutils, awk, tar and curl.

SIDECAR_NODE_MIN_MAJOR=20

# Prints the `node` dependency of the manifest for stack $2 with the highest version, as one line
# "version<US>uri<US>sha256<US>stacks<US>file", or nothing. manifest.yml is ours (hand-written or
# written by the packager), so this reads just the subset of YAML it uses: a top-level `stack:`,
# and `dependencies:` as a list of maps with scalar values and a `cf_stacks` list, at any
# indentation. US is the ASCII unit separator (\037): unlike a tab, bash's `read` keeps empty
# fields between two of them. One awk process does it all: every process forked here is paid on
# each staging phase, before node even starts (bench item 4).
node_runtime_pick_entry() {
  awk -v stack="$2" '
    function unquote(v) { sub(/[ \t]+#.*$/, "", v); gsub(/^["\047]|["\047]$/, "", v); return v }
    function flush() {
      if (f["name"] == "node") {
        n++; ver[n] = f["version"]; stk[n] = stacks
        row[n] = f["version"] "\037" f["uri"] "\037" f["sha256"] "\037" stacks "\037" f["file"]
      }
      split("", f); stacks = ""; inlist = 0
    }
    # Compares versions like sort -V: numeric parts as numbers, others as text.
    function vcmp(a, b,   x, y, na, nb, i, p, q) {
      na = split(a, x, /[.+-]/); nb = split(b, y, /[.+-]/)
      for (i = 1; i <= (na > nb ? na : nb); i++) {
        p = x[i]; q = y[i]
        if (p == q) continue
        if (p ~ /^[0-9]+$/ && q ~ /^[0-9]+$/) return (p + 0 < q + 0) ? -1 : 1
        return (p < q) ? -1 : 1
      }
      return 0
    }
    /^[ \t]*(#|$)/ { next }
    /^[^ \t-]/ {
      flush(); top = $0; sub(/:.*/, "", top)
      if (top == "stack") { v = $0; sub(/^stack:[ \t]*/, "", v); topstack = unquote(v) }
      itemind = -1; next
    }
    top == "dependencies" {
      match($0, /^ */); ind = RLENGTH; s = substr($0, ind + 1)
      if (s ~ /^- /) {
        if (itemind < 0) itemind = ind
        if (ind == itemind) { flush(); s = substr(s, 3); ind += 2 }
        else if (inlist) { v = substr(s, 3); stacks = stacks (stacks == "" ? "" : ",") unquote(v); next }
      }
      if (s ~ /^[A-Za-z0-9_]+:/) {
        k = s; sub(/:.*/, "", k); v = s; sub(/^[^:]*:[ \t]*/, "", v); v = unquote(v)
        inlist = (k == "cf_stacks" && v == "")
        if (k == "cf_stacks" && v ~ /^\[/) { gsub(/[\[\] ]/, "", v); stacks = v }
        else f[k] = v
      }
    }
    END {
      flush(); best = 0
      for (i = 1; i <= n; i++) {
        if (stk[i] != "") { if (index("," stk[i] ",", "," stack ",") == 0) continue }
        else if (topstack != "" && topstack != stack) continue
        if (best == 0 || vcmp(ver[i], ver[best]) >= 0) best = i
      }
      if (best) print row[best]
    }
  ' "$1"
}

# Log lines in libbuildpack's format (cf-contract section 8), all on one stream: stdout for
# supply and finalize, stderr for detect and release, whose stdout is data (SIDECAR_LOG_FD).
# The stacks the manifest's `node` dependencies are for (or its top-level `stack:`), comma-separated:
# only read to explain an unsupported stack.
node_runtime_stacks() {
  awk '
    function add(v) { gsub(/["\047 ]/, "", v); if (v != "" && !(v in seen)) { seen[v] = 1; out = out (out == "" ? "" : ", ") v } }
    /^stack:/ { top = $0; sub(/^stack:[ \t]*/, "", top); gsub(/["\047 ]/, "", top) }
    /^[^ \t-]/ { indeps = ($0 ~ /^dependencies:/); inlist = 0; next }
    indeps && /^[ \t]*-?[ \t]*name:/ { v = $0; sub(/.*name:[ \t]*/, "", v); gsub(/["\047 ]/, "", v); isnode = (v == "node"); inlist = 0; next }
    indeps && isnode && /cf_stacks:[ \t]*\[/ { v = $0; sub(/.*\[/, "", v); sub(/\].*/, "", v); n = split(v, a, ","); for (i = 1; i <= n; i++) add(a[i]); next }
    indeps && isnode && /cf_stacks:[ \t]*$/ { inlist = 1; next }
    inlist && /^[ \t]*- / { v = $0; sub(/^[ \t]*- /, "", v); add(v); next }
    { inlist = 0 }
    END { if (out == "") out = top; print (out == "" ? "none" : out) }
' "$1"
}

node_runtime_log() {
  printf -- '-----> %s\n' "$*" >&"${SIDECAR_LOG_FD:-1}"
}

node_runtime_detail() {
  printf -- '       %s\n' "$@" >&"${SIDECAR_LOG_FD:-1}"
}

node_runtime_error() {
  printf -- '       **ERROR** %s\n' "$*" >&"${SIDECAR_LOG_FD:-1}"
}

node_runtime_warning() {
  printf -- '       **WARNING** %s\n' "$*" >&"${SIDECAR_LOG_FD:-1}"
}

node_runtime_debug() {
  [[ -n ${BP_DEBUG:-} ]] && printf -- '       DEBUG: %s\n' "$*" >&"${SIDECAR_LOG_FD:-1}"
  return 0
}

# The buildpack's first line, as every libbuildpack buildpack starts: `-----> <Name> Buildpack version V`.
node_runtime_banner() {
  local version=0.0.0
  if [[ -r $BP_DIR/VERSION ]]; then read -r version <"$BP_DIR/VERSION" || true; fi
  node_runtime_log "Sidecar Buildpack version ${version:-0.0.0}"
}

# A byte count as the TS log shows one (log/format-bytes.ts): `512 B`, `4.2 KB`, `41.7 MB`.
node_runtime_size() {
  local n=$1
  if ((n < 1024)); then printf '%d B' "$n"
  elif ((n < 1048576)); then printf '%d.%d KB' $((n / 1024)) $(((n % 1024) * 10 / 1024))
  else printf '%d.%d MB' $((n / 1048576)) $(((n % 1048576) * 10 / 1048576)); fi
}

node_runtime_redact() {
  sed -E 's#(://)[^/@[:space:]]+@#\1***@#g; s#([?&][^=&[:space:]]+)=[^&[:space:]]*#\1=***#g' <<<"$1"
}

# Unpacks tarball $1 (already verified) into $2, atomically: a concurrent staging either sees the
# complete dir or none. rename(2) refuses a non-empty target, so when two stagings unpack at once
# the first rename wins, and a runtime another staging is running from is never replaced under it.
node_runtime_unpack() {
  local tarball=$1 dest=$2 temp
  mkdir -p "$(dirname "$dest")"
  temp=$(mktemp -d "$dest.unpacking.XXXXXX")
  if ! tar -xzf "$tarball" -C "$temp" || [[ ! -x $temp/bin/node ]]; then
    rm -rf "$temp"
    return 1
  fi
  touch "$temp/.complete"
  if ! mv -T "$temp" "$dest" 2>/dev/null; then
    if [[ ! -f $dest/.complete ]]; then
      rm -rf "$dest"
      mv -T "$temp" "$dest" 2>/dev/null || true
    fi
    rm -rf "$temp"
  fi
  [[ -f $dest/.complete && -x $dest/bin/node ]]
}

# Downloads $1 to $2 (curl's errors in $2.err); $3 names it in progress lines. curl runs in the background so that a SIGTERM or
# SIGINT (staging cancelled) is handled at once: stop curl, remove the partial file, exit 128+N.
# Every 5 s a detail line tells how far it is (bytes, total when the server sent one, rate): a
# ~50 MB runtime on a slow link is otherwise minutes of silence.
node_runtime_download() {
  local status=0 started=$SECONDS reported=$SECONDS size total elapsed every=${SIDECAR_PROGRESS_INTERVAL:-5}
  [[ $every =~ ^[1-9][0-9]*$ ]] || every=5
  http_proxy=${http_proxy:-${HTTP_PROXY:-}} https_proxy=${https_proxy:-${HTTPS_PROXY:-}} no_proxy=${no_proxy:-${NO_PROXY:-}} \
    curl --fail --silent --show-error --location --proto-redir =https,http --retry 3 --retry-delay 1 \
    --connect-timeout 10 --max-time 600 --dump-header "$2.headers" --output "$2" "$1" 2>"$2.err" &
  NODE_RUNTIME_DOWNLOAD_PID=$!
  NODE_RUNTIME_DOWNLOAD_OUT=$2
  trap 'node_runtime_download_interrupted SIGTERM 143' TERM
  trap 'node_runtime_download_interrupted SIGINT 130' INT
  while kill -0 "$NODE_RUNTIME_DOWNLOAD_PID" 2>/dev/null; do
    # `wait` on a background sleep, unlike a foreground one, lets the traps run at once.
    sleep 1 &
    wait $! 2>/dev/null || true
    if ((SECONDS - reported >= every)) && kill -0 "$NODE_RUNTIME_DOWNLOAD_PID" 2>/dev/null; then
      reported=$SECONDS elapsed=$((SECONDS - started))
      size=$(stat -c %s "$2" 2>/dev/null || echo 0)
      total=$(tr -d '\r' <"$2.headers" 2>/dev/null | awk 'tolower($1) == "content-length:" { n = $2 } END { print n + 0 }')
      if ((total > 0)); then total=" of $(node_runtime_size "$total") ($((size * 100 / total))%)"; else total=""; fi
      node_runtime_detail "$3: $(node_runtime_size "$size")$total, $(node_runtime_size $((size / elapsed)))/s"
    fi
  done
  wait "$NODE_RUNTIME_DOWNLOAD_PID" || status=$?
  trap - TERM INT
  rm -f "$2.headers"
  return "$status"
}

node_runtime_download_interrupted() {
  kill "$NODE_RUNTIME_DOWNLOAD_PID" 2>/dev/null
  rm -f "$NODE_RUNTIME_DOWNLOAD_OUT" "$NODE_RUNTIME_DOWNLOAD_OUT.err" "$NODE_RUNTIME_DOWNLOAD_OUT.headers"
  node_runtime_error "staging was interrupted by $1; its partial downloads were removed"
  exit "$2"
}

node_runtime_sha256() {
  sha256sum "$1" | cut -d ' ' -f 1
}

# node_runtime_find CACHE_DIR: sets SIDECAR_NODE, or prints an error and returns 1.
node_runtime_find() {
  local cache_dir=${1:-} stack=${CF_STACK:-cflinuxfs4} entry version uri sha stacks file
  local root dest offline actual tried=() tmp_tgz unsupported=0
  SIDECAR_CODE_CACHE= # only a runtime of the manifest gets one (not a node from PATH)
  entry=$(node_runtime_pick_entry "$BP_DIR/manifest.yml" "$stack")
  if [[ -n $entry ]]; then
    IFS=$'\037' read -r version uri sha stacks file <<<"$entry"
    sha=${sha,,} # sha256sum prints lower case; a manifest may not
    if [[ -n $cache_dir ]]; then root="$cache_dir/sidecar_buildpack/node"; else root="${TMPDIR:-/tmp}/sidecar_buildpack/node"; fi
    dest="$root/$version-${sha:0:12}"

    # Our zips carry the runtime unpacked (file: .../bin/node): the cell unpacked the zip once and
    # mounts it read-only, so it runs in place; nothing of it is unpacked or goes to CACHE_DIR
    # (copies left there by an older buildpack are removed). The code cache of the bundle (about
    # 0.4 MB per phase) goes to CACHE_DIR for supply and finalize, so that restages start warm,
    # and to TMPDIR for detect and release, which get no CACHE_DIR.
    if [[ $file == */bin/node && -x $BP_DIR/$file && ! -d $BP_DIR/$file ]]; then
      SIDECAR_NODE="$BP_DIR/$file"
      SIDECAR_CODE_CACHE="${cache_dir:-${TMPDIR:-/tmp}}/sidecar_buildpack/code-cache"
      node_runtime_log "Using Node.js $version for staging (in the buildpack)"
      [[ -n $cache_dir && -d $cache_dir/sidecar_buildpack/node ]] && rm -rf "$cache_dir/sidecar_buildpack/node"
      return 0
    fi

    if [[ -f $dest/.complete && -x $dest/bin/node ]]; then
      SIDECAR_NODE="$dest/bin/node"
      SIDECAR_CODE_CACHE="$dest/.code-cache"
      node_runtime_log "Using Node.js $version for staging (from the staging cache)"
      node_runtime_prune "$root" "$dest"
      return 0
    fi
    tried+=("cache: empty")

    offline="$BP_DIR/${file:-dependencies/$(printf '%s' "$uri" | md5sum | cut -d ' ' -f 1)/$(basename "${uri%%\?*}")}"
    if [[ -f $offline ]]; then
      node_runtime_detail "Copy [${offline#"$BP_DIR"/}]"
      actual=$(node_runtime_sha256 "$offline")
      if [[ $actual != "$sha" ]]; then
        node_runtime_error "node $version packaged in the buildpack: dependency sha256 mismatch: expected $sha actual $actual"
        return 1
      fi
      if node_runtime_unpack "$offline" "$dest"; then
        SIDECAR_NODE="$dest/bin/node"
        SIDECAR_CODE_CACHE="$dest/.code-cache"
        node_runtime_log "Using Node.js $version for staging (from the buildpack, offline)"
        node_runtime_prune "$root" "$dest"
        return 0
      fi
      tried+=("offline file: cannot be unpacked")
    else
      tried+=("offline file: not packaged")
    fi

    mkdir -p "$root"
    tmp_tgz=$(mktemp "$root/download.XXXXXX")
    node_runtime_log "Installing Node.js $version for staging"
    node_runtime_detail "Download [$(node_runtime_redact "$uri")]"
    if node_runtime_download "$uri" "$tmp_tgz" "node $version"; then
      actual=$(node_runtime_sha256 "$tmp_tgz")
      if [[ $actual != "$sha" ]]; then
        rm -f "$tmp_tgz" "$tmp_tgz.err"
        node_runtime_error "node $version from $(node_runtime_redact "$uri"): dependency sha256 mismatch: expected $sha actual $actual"
        return 1
      fi
      if node_runtime_unpack "$tmp_tgz" "$dest"; then
        rm -f "$tmp_tgz" "$tmp_tgz.err"
        SIDECAR_NODE="$dest/bin/node"
        SIDECAR_CODE_CACHE="$dest/.code-cache"
        node_runtime_log "Using Node.js $version for staging (downloaded, sha256 verified)"
        node_runtime_prune "$root" "$dest"
        return 0
      fi
      tried+=("download: cannot be unpacked")
    else
      tried+=("download from $(node_runtime_redact "$uri"): $(node_runtime_redact "$(tail -n 1 "$tmp_tgz.err")")")
    fi
    rm -f "$tmp_tgz" "$tmp_tgz.err"
  else
    tried+=("manifest.yml: no node dependency for stack $stack")
    unsupported=1
  fi

  if command -v node >/dev/null 2>&1; then
    local major
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if ((major >= SIDECAR_NODE_MIN_MAJOR)); then
      SIDECAR_NODE=$(command -v node)
      # Not silent: the runtime of the manifest was wanted, and the operator should know why not.
      ((unsupported)) || node_runtime_warning "Node.js $version of manifest.yml could not be used (${tried[-1]}); staging with the node on PATH"
      node_runtime_log "Using Node.js $(node --version) for staging (from PATH)"
      return 0
    fi
    tried+=("node on PATH: version $major is older than $SIDECAR_NODE_MIN_MAJOR")
  else
    tried+=("node on PATH: none")
  fi
  if ((unsupported)); then
    # No Node.js for this stack means the buildpack was not built for it: say that, not "no runtime".
    node_runtime_error "This buildpack does not support the stack $stack; it supports: $(node_runtime_stacks "$BP_DIR/manifest.yml")"
    node_runtime_detail "Push to a supported stack (cf push -s STACK), or use a sidecar_buildpack zip packaged for $stack."
    return 1
  fi
  node_runtime_error "sidecar_buildpack found no Node.js runtime to stage with. Tried:"
  node_runtime_detail "${tried[@]/#/- }"
  node_runtime_detail "Use the offline (cached) buildpack zip, or allow downloads from the manifest uri (HTTP(S)_PROXY is honoured)."
  return 1
}

# node_runtime_exec ARGS...: runs the staging bundle with the runtime node_runtime_find chose,
# through dist/start.cjs: with a runtime of the manifest, it keeps a V8 code cache of the bundle
# next to the runtime (all the code each phase compiled, keyed by the bundle's sha256, the node
# version and the phase), so later phases and restages skip compiling it (bench items 1 and 4).
# --expose-gc lets the bundle scavenge while it streams, which keeps its peak RSS flat
# (src/fs/release-buffers.ts, bench item 3).
node_runtime_exec() {
  export SIDECAR_CODE_CACHE=${SIDECAR_CODE_CACHE:-}
  exec "$SIDECAR_NODE" --expose-gc "$BP_DIR/dist/start.cjs" "$@"
}

# Keeps only the runtime in use, so old versions do not pile up in the app cache. Downloads and
# unpackings in progress belong to stagings running now (detect shares TMPDIR): they are left
# alone, and removed only once an hour old (left by a staging that was killed).
node_runtime_prune() {
  local root=$1 keep=$2 dir
  for dir in "$root"/*; do
    [[ $dir != "$keep" && -f $dir/.complete ]] && rm -rf "$dir"
  done
  find "$root" -mindepth 1 -maxdepth 1 \( -name 'download.*' -o -name '*.unpacking.*' \) -mmin +60 \
    -exec rm -rf {} + 2>/dev/null || true
  return 0
}
