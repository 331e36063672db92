#!/bin/sh
# Runs a test binary as uid/gid 65534 with no groups and no capabilities, the
# way stockade runs on a host without root.
#   run_unprivileged.sh TEST_BINARY [PROBE_DIR] [-- TEST ARGS...]
# The binary (and the probe directory, exported as STOCKADE_HOSTILE_PROBE_DIR)
# are copied to a fresh world-readable directory first, so the build tree's
# permissions do not matter. As a non-root user it runs the binary as is.
set -eu
binary=$1
shift
probes=
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  probes=$1
  shift
fi
[ "${1:-}" = "--" ] && shift

if [ "$(id -u)" -ne 0 ]; then
  [ -n "$probes" ] && export STOCKADE_HOSTILE_PROBE_DIR="$probes"
  exec "$binary" "$@"
fi

stage=$(mktemp -d /tmp/stockade-unprivileged-XXXXXX)
trap 'rm -rf "$stage"' EXIT INT TERM
chmod 0755 "$stage"
cp "$binary" "$stage/"
if [ -n "$probes" ]; then
  cp -r "$probes" "$stage/probes"
  export STOCKADE_HOSTILE_PROBE_DIR="$stage/probes"
fi
chmod -R a+rX "$stage"
cd "$stage"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  "$stage/$(basename "$binary")" "$@"
