#!/bin/bash
# The watchdog fires: a guest blocked forever in read() under
# ONESPACE_WATCHDOG=2 must end the run with status 86 and a report naming
# the thread and its syscall (docs/stress.md).
#
#   run_watchdog.sh ONESPACE STRESS_GUEST
set -u
[ $# -eq 2 ] || { echo "usage: run_watchdog.sh ONESPACE STRESS_GUEST" >&2; exit 2; }
onespace="$1"; guest="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/watchdog.XXXXXX")" || exit 2
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/image/bin" "$work/image/tmp"
cp "$guest" "$work/image/bin/stress" || exit 2
ONESPACE_WATCHDOG=2 timeout -k 5 60 "$onespace" run --root "$work/image" /bin/stress block \
    > "$work/out" 2> "$work/err"
status=$?
cat "$work/err"
fail=0
[ "$status" = 86 ] || { echo "FAIL: exit status $status, want 86"; fail=1; }
grep -q "watchdog: pid 1 tid 1 stuck in one syscall for 2 s" "$work/err" ||
    { echo "FAIL: no 'stuck' line"; fail=1; }
grep -q "pid 1 tid 1: in syscall read (0) arg0 0x3 for" "$work/err" ||
    { echo "FAIL: the thread's state is not reported"; fail=1; }
[ "$fail" = 0 ] && echo "PASS: the watchdog reported the blocked read and failed the run"
exit "$fail"
