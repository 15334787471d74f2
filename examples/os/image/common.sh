# Shared helpers of the "image" OS scripts (sourced, POSIX sh).
#
# The guest configuration block: "key=value" lines between the lines
# "GANETI-GUEST 1" and "END" in the first 4 KiB of disk 0, padded with NUL
# bytes.  The test guest's /init (tools/make-guest) reads it at boot.

CONFIG_MAGIC="GANETI-GUEST 1"
CONFIG_SIZE=4096

log() {
  echo "image: $*"
}

fail() {
  echo "image: error: $*" >&2
  exit 1
}

is_uint() {
  case "$1" in
    ''|*[!0-9]*) return 1 ;;
  esac
  return 0
}

# check_params: the OSP_* values (also what "verify parameters" checks).
check_params() {
  if [ -n "${OSP_INTERVAL:-}" ]; then
    is_uint "$OSP_INTERVAL" && [ "$OSP_INTERVAL" -ge 1 ] ||
      fail "interval must be a positive integer, not '$OSP_INTERVAL'"
  fi
  if [ -n "${OSP_COUNT:-}" ]; then
    is_uint "$OSP_COUNT" ||
      fail "count must be a non-negative integer, not '$OSP_COUNT'"
  fi
  case "${OSP_MESSAGE:-}" in
    *"
"*) fail "message must be a single line" ;;
  esac
  [ "${#OSP_MESSAGE}" -le 512 ] || fail "message longer than 512 characters"
}

# check_instance_env: what every instance script needs.
check_instance_env() {
  [ -n "${OS_API_VERSION:-}" ] || fail "OS_API_VERSION not set"
  [ -n "${INSTANCE_NAME:-}" ] || fail "INSTANCE_NAME not set"
  is_uint "${DISK_COUNT:-}" || fail "DISK_COUNT not set"
  [ "$DISK_COUNT" -ge 1 ] ||
    fail "instance $INSTANCE_NAME has no disk (the image OS needs disk 0)"
  if [ -z "${DISK_0_PATH:-}" ]; then
    fail "disk 0 of $INSTANCE_NAME has no local path (DISK_0_PATH)"
  fi
  [ -e "$DISK_0_PATH" ] || fail "disk 0 ($DISK_0_PATH) does not exist"
}

# nic0_prefix: the prefix length of NIC 0's network, if it has one.
nic0_prefix() {
  case "${NIC_0_NETWORK_SUBNET:-}" in
    */*) echo "${NIC_0_NETWORK_SUBNET##*/}" ;;
  esac
}

# write_config [created]: (re)write the configuration block on disk 0.
write_config() {
  created=${1:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
  block=$(mktemp) || fail "cannot create a temporary file"
  {
    echo "$CONFIG_MAGIC"
    echo "name=$INSTANCE_NAME"
    echo "os=${INSTANCE_OS:-}"
    echo "variant=${OS_VARIANT:-default}"
    echo "interval=${OSP_INTERVAL:-1}"
    echo "count=${OSP_COUNT:-5}"
    echo "message=${OSP_MESSAGE:-}"
    echo "nic0_ip=${NIC_0_IP:-}"
    echo "nic0_prefix=$(nic0_prefix)"
    echo "created=$created"
    echo "END"
  } >"$block"
  size=$(wc -c <"$block")
  if [ "$size" -gt "$CONFIG_SIZE" ]; then
    rm -f "$block"
    fail "configuration block too large ($size bytes)"
  fi
  # Zero the block first, so that no old, longer configuration survives.
  if ! dd if=/dev/zero of="$DISK_0_PATH" bs="$CONFIG_SIZE" count=1 \
       conv=notrunc status=none ||
     ! dd if="$block" of="$DISK_0_PATH" conv=notrunc,fsync status=none; then
    rm -f "$block"
    fail "cannot write $DISK_0_PATH"
  fi
  rm -f "$block"
}

# read_config_value KEY: a value of the block on disk 0 (empty if none).
read_config_value() {
  dd if="$DISK_0_PATH" bs="$CONFIG_SIZE" count=1 2>/dev/null | tr -d '\000' |
    sed -n "/^END\$/q;s/^$1=//p"
}

has_config() {
  first=$(dd if="$DISK_0_PATH" bs="$CONFIG_SIZE" count=1 2>/dev/null |
          tr -d '\000' | head -n 1)
  [ "$first" = "$CONFIG_MAGIC" ]
}

# disk_size PATH: size in bytes of a block device or file.
disk_size() {
  if [ -b "$1" ]; then
    blockdev --getsize64 "$1"
  else
    stat -L -c %s "$1"
  fi
}
