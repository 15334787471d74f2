# Shared helpers of the "noop" OS scripts (sourced, POSIX sh).
#
# noop installs nothing: its scripts check the environment Ganeti gives
# them and record what they did in a marker file per instance,
# <marker_dir>/<instance name>.  Meant for fake or throw-away instances.

DEFAULT_MARKER_DIR=/srv/ganeti/os-noop

log() {
  echo "noop: $*"
}

fail() {
  echo "noop: error: $*" >&2
  exit 1
}

is_uint() {
  case "$1" in
    ''|*[!0-9]*) return 1 ;;
  esac
  return 0
}

# maybe_fail SCRIPT: fail if the "fail" parameter names this script.
maybe_fail() {
  if [ "${OSP_FAIL:-}" = "$1" ]; then
    fail "$1 failing on purpose (OS parameter fail=$1)"
  fi
}

check_params() {
  case "${OSP_FAIL:-}" in
    ''|create|rename|import|export|verify) ;;
    *) fail "invalid value '$OSP_FAIL' for fail (create, rename, import," \
            "export or verify)" ;;
  esac
  case "${OSP_MARKER_DIR:-}" in
    ''|/*) ;;
    *) fail "marker_dir must be an absolute path, not '$OSP_MARKER_DIR'" ;;
  esac
}

# check_instance_env: the variables of the OS interface, consistently set.
check_instance_env() {
  [ "${OS_API_VERSION:-}" = 20 ] ||
    fail "OS_API_VERSION is '${OS_API_VERSION:-}', expected 20"
  [ -n "${OS_NAME:-}" ] || fail "OS_NAME not set"
  [ -n "${INSTANCE_NAME:-}" ] || fail "INSTANCE_NAME not set"
  [ -n "${INSTANCE_OS:-}" ] || fail "INSTANCE_OS not set"
  [ -n "${HYPERVISOR:-}" ] || fail "HYPERVISOR not set"
  is_uint "${DEBUG_LEVEL:-}" || fail "DEBUG_LEVEL not set"
  is_uint "${DISK_COUNT:-}" || fail "DISK_COUNT not set"
  is_uint "${NIC_COUNT:-}" || fail "NIC_COUNT not set"
  i=0
  while [ "$i" -lt "$DISK_COUNT" ]; do
    eval "path=\${DISK_${i}_PATH:-} uri=\${DISK_${i}_URI:-}"
    eval "access=\${DISK_${i}_ACCESS:-}"
    [ -n "$path$uri" ] || fail "disk $i has neither DISK_${i}_PATH nor _URI"
    case "$access" in
      rw|ro) ;;
      *) fail "DISK_${i}_ACCESS is '$access'" ;;
    esac
    i=$((i + 1))
  done
  i=0
  while [ "$i" -lt "$NIC_COUNT" ]; do
    eval "mac=\${NIC_${i}_MAC:-}"
    [ -n "$mac" ] || fail "NIC_${i}_MAC not set"
    i=$((i + 1))
  done
  check_params
}

marker_dir() {
  echo "${OSP_MARKER_DIR:-$DEFAULT_MARKER_DIR}"
}

# write_marker TEXT: record TEXT for the instance; only an explicitly
# requested marker_dir must be writable.
write_marker() {
  dir=$(marker_dir)
  if mkdir -p "$dir" 2>/dev/null &&
     echo "$*" >"$dir/$INSTANCE_NAME.tmp" 2>/dev/null &&
     mv "$dir/$INSTANCE_NAME.tmp" "$dir/$INSTANCE_NAME"; then
    log "marker $dir/$INSTANCE_NAME: $*"
  elif [ -n "${OSP_MARKER_DIR:-}" ]; then
    fail "cannot write the marker in $dir"
  else
    log "cannot write the marker in $dir (ignored)"
  fi
}
