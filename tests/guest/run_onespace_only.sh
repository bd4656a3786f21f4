#!/bin/bash
# Run one onespace-only guest program (no native oracle: it uses a device
# Linux does not have, e.g. /dev/sgx) and check that it exits 0 and that
# the last line of its stdout is EXPECTED.
#
#   run_onespace_only.sh PROG_BINARY ONESPACE_BINARY EXPECTED_LAST_LINE
set -u
if [ $# -ne 3 ]; then
    echo "usage: run_onespace_only.sh PROG ONESPACE EXPECTED_LAST_LINE" >&2
    exit 2
fi
prog="$1"; onespace="$2"; expected="$3"
name="$(basename "$prog")"
work="$(mktemp -d "${TMPDIR:-/tmp}/guest.${name}.XXXXXX")" || exit 2
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/image/bin" "$work/image/tmp"
cp "$prog" "$work/image/bin/$name" || exit 2
timeout -k 5 "${GUEST_TIMEOUT:-60}" "$onespace" run --root "$work/image" -i \
    --env PATH=/bin --env HOME=/ --env LC_ALL=C "/bin/$name" > "$work/out" 2> "$work/err"
status=$?
cat "$work/out"
last="$(tail -n 1 "$work/out")"
if [ "$status" -ne 0 ] || [ "$last" != "$expected" ]; then
    echo "run_onespace_only.sh: $name: exit $status, last line '$last', want 0 and '$expected'" >&2
    cat "$work/err" >&2
    exit 1
fi
exit 0
