#!/bin/sh
# expect.sh STATUS STREAM REGEX CMD [ARGS...]
# Runs CMD and passes if it exits with STATUS and:
#   STREAM=stderr: stderr is exactly one line, matching REGEX (grep -E);
#   STREAM=stdout: stdout has a line matching REGEX and stderr is empty.
want_status=$1 stream=$2 regex=$3
shift 3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
status=$?
fail() { echo "FAIL: $*"; echo "--- stdout:"; cat "$out"; echo "--- stderr:"; cat "$err"; exit 1; }
[ "$status" -eq "$want_status" ] || fail "exit status $status, expected $want_status"
if [ "$stream" = stderr ]; then
    [ "$(wc -l <"$err")" -eq 1 ] || fail "stderr is not exactly one line"
    grep -Eq -- "$regex" "$err" || fail "stderr does not match: $regex"
else
    [ -s "$err" ] && fail "stderr is not empty"
    grep -Eq -- "$regex" "$out" || fail "stdout does not match: $regex"
fi
echo "ok: $*"
