# shellcheck shell=bash
# sidecar-buildpack run time: reads the sidecars of launch.yml files that staging could not see.
#
# Why: supply reads the launch.yml of the buildpacks before it, but the buildpacks after it
# (`-b sidecar_buildpack -b apm_agent -b java_buildpack`) write theirs later. Their sidecars are
# in the droplet all the same, and profile.sh must know them: a launch whose command is one of
# them is that sidecar (not the app), and the memory guard reserves their memory too.
#
# Sourced by profile.sh only when such a file declares `sidecar_for`, and defines
#
#   sidecar_bp_read_sidecars PROCESS_TYPE COMMAND FILE...
#     Prints one line per file read, then stops at the first sidecar whose command is COMMAND:
#       match NAME          COMMAND is the launch command of sidecar NAME
#       memory MB           (last line, when nothing matched) the memory of every sidecar the
#                           files declare beside PROCESS_TYPE
#     Returns 3 when a file holds YAML this reader does not take (flow mappings, anchors,
#     tags); the caller then cannot tell that file's sidecars from the app.
#
#   sidecar_bp_sidecar_names FILE
#     Prints the names of the sidecars FILE declares, one line each (returns 3 as above).
#
# JSON files (which the lifecycle reads as YAML) go to jq. Block-style YAML, as Go's yaml.v2
# (libbuildpack), the npm yaml package or Ruby write it, goes to one awk program that knows the
# launch.yml schema (cf-contract section 2): processes[].type, .command,
# .platforms.cloudfoundry.sidecar_for and .limits.memory, with plain, quoted and block scalars,
# folded long lines included (yaml.v2 folds plain scalars at 80 columns), read as YAML 1.1
# (memory 0100, 0o100 and 0x40 are 64, 1_000 is 1000, 64.7 is 64; a later duplicate key wins), like the lifecycle.
# COMMAND travels through the environment, never through awk -v, which would expand backslashes.

sidecar_bp_read_sidecars() {
  local process_type=$1 command=$2 file first total=0 line rc
  shift 2
  for file in "$@"; do
    read -r -n 1 first <"$file" 2>/dev/null || first=
    if [[ $first == '{' ]]; then
      line=$(jq -r --arg t "$process_type" --arg c "$command" '
        [.processes[]? | select((.platforms.cloudfoundry.sidecar_for // []) | length > 0)] as $s
        | ($s | map(select(.command == $c)) | first) as $m
        | if $m then "match \($m.type)"
          else "memory \($s | map(select(.platforms.cloudfoundry.sidecar_for | index($t)) | .limits.memory // 0 | floor) | add // 0)"
          end' "$file" 2>/dev/null) || return 3
    else
      line=$(SIDECAR_BP_TYPE=$process_type SIDECAR_BP_COMMAND=$command awk "$__sidecar_bp_launch_yml_awk" "$file")
      rc=$?
      ((rc == 0)) || return 3
    fi
    if [[ $line == match\ * ]]; then
      printf '%s\n' "${line//[$'\n\r']/ }"
      return 0
    fi
    [[ $line =~ ^memory\ ([0-9]+)$ ]] && total=$((total + BASH_REMATCH[1]))
  done
  printf 'memory %s\n' "$total"
}

sidecar_bp_sidecar_names() {
  local file=$1 first out
  read -r -n 1 first <"$file" 2>/dev/null || first=
  if [[ $first == '{' ]]; then
    jq -r '.processes[]? | select((.platforms.cloudfoundry.sidecar_for // []) | length > 0) | .type' "$file" 2>/dev/null || return 3
  else
    out=$(SIDECAR_BP_NAMES=1 awk "$__sidecar_bp_launch_yml_awk" "$file") || return 3
    [[ -z $out ]] || printf '%s\n' "${out//sidecar /}"
  fi
}

# The awk program: a line-by-line reader of the launch.yml schema, nothing more.
# shellcheck disable=SC2016 # awk's own $ fields
__sidecar_bp_launch_yml_awk='
function fail() { bad = 1; exit 3 }
function indent_of(s) { match(s, /^ */); return RLENGTH }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
# Decodes a double-quoted scalar body (without its quotes).
function dq(s,   out, c, n) {
  out = ""
  while ((n = index(s, "\\")) > 0) {
    out = out substr(s, 1, n - 1); c = substr(s, n + 1, 1); s = substr(s, n + 2)
    if (c == "n") out = out "\n"; else if (c == "t") out = out "\t"
    else if (c == "\"" || c == "\\" || c == "/" || c == " ") out = out c
    else if (c == "r") out = out "\r"; else if (c == "e") out = out "\033"
    else if (c == "a") out = out "\007"; else if (c == "b") out = out "\010"
    else if (c == "f") out = out "\014"; else if (c == "v") out = out "\013"
    else if (c == "x") { out = out utf8(hex(substr(s, 1, 2))); s = substr(s, 3) }
    else if (c == "u") { out = out utf8(hex(substr(s, 1, 4))); s = substr(s, 5) }
    else if (c == "U") { out = out utf8(hex(substr(s, 1, 8))); s = substr(s, 9) }
    else if (c == "N") out = out utf8(133); else if (c == "_") out = out utf8(160)
    else if (c == "L") out = out utf8(8232); else if (c == "P") out = out utf8(8233)
    else fail()
  }
  return out s
}
function hex(h,   n, i, d) {
  if (h !~ /^[0-9A-Fa-f]+$/) fail()
  n = 0
  for (i = 1; i <= length(h); i++) { d = index("0123456789abcdef", tolower(substr(h, i, 1))) - 1; n = n * 16 + d }
  return n
}
# The UTF-8 bytes of code point n (NUL, which no command can hold, fails).
function utf8(n) {
  if (n == 0) fail()
  if (n < 128) return sprintf("%c", n)
  if (n < 2048) return sprintf("%c%c", 192 + int(n / 64), 128 + n % 64)
  if (n < 65536) return sprintf("%c%c%c", 224 + int(n / 4096), 128 + int(n / 64) % 64, 128 + n % 64)
  return sprintf("%c%c%c%c", 240 + int(n / 262144), 128 + int(n / 4096) % 64, 128 + int(n / 64) % 64, 128 + n % 64)
}
function sq(s) { gsub(/\047\047/, "\047", s); return s }
# Where the closing quote of a double- (dq_close) or single-quoted (sq_close) scalar is in `s`,
# the text after the opening quote; 0 when it is not on this line.
function dq_close(s,   i, c) {
  for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c == "\\") i++; else if (c == "\"") return i }
  return 0
}
function sq_close(s,   i) {
  for (i = 1; i <= length(s); i++)
    if (substr(s, i, 1) == "\047") { if (substr(s, i + 1, 1) == "\047") i++; else return i }
  return 0
}
# Ends the current processes[] item: prints it when it is a sidecar.
function flush_item() {
  if (in_item && types != "" && name != "" && have_command && ENVIRON["SIDECAR_BP_NAMES"] != "") print "sidecar " name
  else if (in_item && types != "" && name != "" && have_command) {
    if (command == ENVIRON["SIDECAR_BP_COMMAND"] && !matched) { print "match " name; matched = 1; exit 0 }
    if (index("," types ",", "," ENVIRON["SIDECAR_BP_TYPE"] ",")) total += memory
  }
  in_item = 0; name = ""; command = ""; have_command = 0; types = ""; memory = 0; path_n = 0
}
# A plain scalar as yaml.v2 fills an int: underscores dropped, then Go ParseInt(s, 0, 64)
# (0x/0X, 0o/0O and a leading 0 octal, 0b/0B, a sign), else a float, truncated; else no number.
# As src/launch/yaml-v2.ts; test/runtime/other-sidecars.test.ts holds both to the real builder.
function yaml_v2_int(m,   sign, base, digits, n, i) {
  gsub(/_/, "", m); sign = 1
  if (m ~ /^[-+]/) { if (substr(m, 1, 1) == "-") sign = -1; m = substr(m, 2) }
  if (m ~ /^0[xX][0-9a-fA-F]+$/) { base = 16; digits = substr(m, 3) }
  else if (m ~ /^0[oO][0-7]+$/) { base = 8; digits = substr(m, 3) }
  else if (m ~ /^0[bB][01]+$/) { base = 2; digits = substr(m, 3) }
  else if (m ~ /^0[0-7]+$/) { base = 8; digits = substr(m, 2) }
  else if (m ~ /^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/) return sign * int(m + 0)
  else return 0
  n = 0
  for (i = 1; i <= length(digits); i++) n = n * base + index("0123456789abcdef", tolower(substr(digits, i, 1))) - 1
  return sign * n
}
# Stores a finished scalar value of the key at path `p`.
function store(p, v,   m) {
  if (p == "type") name = v
  else if (p == "command") { command = v; have_command = 1 }
  else if (p == "limits.memory") { memory = yaml_v2_int(v); if (memory < 0) memory = 0 }
  else if (p == "platforms.cloudfoundry.sidecar_for" && v != "" && v != "[]") flow_types(v)
}
function flow_types(v,   parts, n, i, t) {
  if (v !~ /^\[.*\]$/) fail()
  v = substr(v, 2, length(v) - 2); n = split(v, parts, ",")
  for (i = 1; i <= n; i++) { t = scalar_text(trim(parts[i])); if (t != "") types = types (types == "" ? "" : ",") t }
}
# A one-line scalar: plain (comment stripped), single- or double-quoted.
function scalar_text(v) {
  if (v ~ /^"/) { if (v !~ /^".*"$/) fail(); return dq(substr(v, 2, length(v) - 2)) }
  if (v ~ /^\047/) { if (v !~ /^\047.*\047$/) fail(); return sq(substr(v, 2, length(v) - 2)) }
  sub(/[ \t]+#.*$/, "", v); return trim(v)
}
# The key path of a key at indent `ind` inside the item: parent keys with a smaller indent.
function path_for(ind, key,   i, p) {
  while (path_n > 0 && path_ind[path_n] >= ind) path_n--
  p = ""
  for (i = 1; i <= path_n; i++) p = p path_key[i] "."
  path_n++; path_ind[path_n] = ind; path_key[path_n] = key
  return p key
}
# Starts the value of key `p` (at indent `ind`) with text `v` (after "key:").
function begin_value(p, ind, v,   n) {
  v = trim(v)
  if (v ~ /^[&*!{]/) { if (p ~ /^(type|command|platforms|limits)/) fail(); if (v ~ /^\{/ && v !~ /\}$/) fail(); return }
  if (v == "" || v ~ /^#/) { seq_key = p; seq_ind = ind; return }
  if (v ~ /^[|>]/) {
    # The header: style, then a chomping indicator and an indentation indicator in either order.
    if (v !~ /^[|>]([-+]?[1-9]?|[1-9][-+])[ \t]*(#.*)?$/) fail()
    mode = "block"; blk_fold = (substr(v, 1, 1) == ">"); pend_p = p; pend_ind = ind; pend = ""
    blk_chomp = (v ~ /^.[1-9]?-/) ? "-" : (v ~ /^.[1-9]?\+/) ? "+" : ""
    blk_ind = match(v, /[1-9]/) ? ind + substr(v, RSTART, 1) : -1
    blank = 0; started = 0; return
  }
  if (v ~ /^"/) {
    v = substr(v, 2); n = dq_close(v)
    if (n) { store(p, dq(substr(v, 1, n - 1))); return }
    mode = "dq"; pend_p = p; pend = v; folded = 0; return
  }
  if (v ~ /^\047/) {
    v = substr(v, 2); n = sq_close(v)
    if (n) { store(p, sq(substr(v, 1, n - 1))); return }
    mode = "sq"; pend_p = p; pend = v; folded = 0; return
  }
  if (v ~ /^\[/) { sub(/[ \t]+#.*$/, "", v); if (v !~ /\]$/) fail(); store(p, v); return }
  mode = "plain"; pend_p = p; pend_ind = ind; sub(/[ \t]+#.*$/, "", v); pend = v
}
# A continuation line of a multi-line value; returns 1 when the line was consumed.
function continue_value(line,   t, ind, body, n) {
  t = trim(line)
  if (mode == "block") {
    # A line of spaces only is empty, unless it runs past the indentation: then it holds them.
    if (line ~ /^ *$/ && (blk_ind < 0 || length(line) <= blk_ind)) { blank++; return 1 }
    ind = (line ~ /^ *$/) ? blk_ind : indent_of(line)
    if (ind <= pend_ind) { finish_block(); return 0 }
    if (blk_ind < 0) blk_ind = ind
    if (ind < blk_ind) fail()
    body = substr(line, blk_ind + 1)
    if (!started) { while (blank-- > 0) pend = pend "\n"; pend = pend body; started = 1; prev_body = body }
    else if (blk_fold && body !~ /^[ \t]/ && prev_body !~ /^[ \t]/) {
      # Folded: a line break between two lines is a space; each empty line between, a newline.
      if (blank == 0) pend = pend " " body; else { while (blank-- > 0) pend = pend "\n"; pend = pend body }
    } else { while (blank-- > 0) pend = pend "\n"; pend = pend "\n" body }
    prev_body = body
    blank = 0; return 1
  }
  if (mode == "plain") {
    if (t == "") { blank++; return 1 }
    ind = indent_of(line)
    if (ind <= pend_ind || t ~ /^#/) { store(pend_p, pend); mode = ""; blank = 0; return 0 }
    sub(/[ \t]+#.*$/, "", t)
    if (blank > 0) { while (blank-- > 0) pend = pend "\n" } else pend = pend " "
    pend = pend t; blank = 0; return 1
  }
  # Quoted, folded over lines: a line break is a space, an empty line a newline; in double
  # quotes a backslash at the end of a line joins the lines with nothing between.
  if (t == "") { pend = pend "\n"; folded = 1; return 1 }
  if (mode == "dq" && match(pend, /\\+$/) && RLENGTH % 2 == 1) pend = substr(pend, 1, length(pend) - 1)
  else if (!folded) { sub(/[ \t]+$/, "", pend); pend = pend " " }
  folded = 0
  n = (mode == "dq") ? dq_close(t) : sq_close(t)
  if (!n) { pend = pend t; return 1 }
  pend = pend substr(t, 1, n - 1)
  store(pend_p, mode == "dq" ? dq(pend) : sq(pend)); mode = ""
  return 1
}
function finish_block() {
  if (blk_chomp != "-") pend = pend "\n"
  if (blk_chomp == "+") while (blank-- > 0) pend = pend "\n"
  store(pend_p, pend); mode = ""; blank = 0; started = 0
}
BEGIN { total = 0; item_ind = -1; seq_ind = -1 }
{
  sub(/\r$/, "")
  line = $0
  if (mode != "" && continue_value(line)) next
  if (line ~ /^\t/ || line ~ /^ *\t/) { if (trim(line) != "") fail() }
  if (line ~ /^[ \t]*(#.*)?$/ || line ~ /^(---|\.\.\.)([ \t].*)?$/) next
  ind = indent_of(line); rest = substr(line, ind + 1)
  if (ind == 0 && rest !~ /^- /) {
    flush_item(); in_procs = 0
    if (rest ~ /^processes:/) { in_procs = 1; v = trim(substr(rest, 11)); sub(/^#.*/, "", v); if (v != "" && v != "[]") fail() }
    next
  }
  if (!in_procs) next
  if (rest ~ /^-( |$)/ && (item_ind < 0 || ind == item_ind)) {
    if (item_ind < 0) item_ind = ind
    flush_item(); in_item = 1; seq_key = ""
    ind += 2; rest = substr(rest, 3); sub(/^ +/, "", rest)
    if (rest == "") next
  }
  if (!in_item) next
  if (rest ~ /^-( |$)/) {
    if (seq_key == "platforms.cloudfoundry.sidecar_for" && ind >= seq_ind) {
      t = scalar_text(trim(substr(rest, 2))); if (t != "") types = types (types == "" ? "" : ",") t
    }
    next
  }
  seq_key = ""
  if (match(rest, /^("[^"]*"|\047[^\047]*\047|[^ "\047#:][^:#]*):( |$)/)) {
    key = trim(substr(rest, 1, RLENGTH - 1)); sub(/:$/, "", key); key = scalar_text(key)
    p = path_for(ind, key)
    if (p == "platforms.cloudfoundry.sidecar_for") types = ""
    begin_value(p, ind, substr(rest, RLENGTH + 1))
    next
  }
  fail()
}
END {
  if (bad) exit 3
  if (mode == "plain") store(pend_p, pend)
  else if (mode == "block") finish_block()
  else if (mode != "") exit 3
  if (!matched) { flush_item(); if (!matched && ENVIRON["SIDECAR_BP_NAMES"] == "") print "memory " total }
}
'
