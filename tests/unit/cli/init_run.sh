#!/bin/sh
# init_run.sh ONESPACE WORKDIR: `onespace init` makes an instance, refuses a
# second time, and `run` reports a bad onespace.json before the runtime.
set -u
os=$1 work=$2
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
"$os" init "$work/app" >/dev/null || fail "init failed"
for d in image image/bin image/etc image/tmp image/dev image/proc; do
    [ -d "$work/app/$d" ] || fail "missing $d"
done
[ -f "$work/app/onespace.json" ] || fail "missing onespace.json"
grep -q '"user_space_size": "1GB"' "$work/app/onespace.json" || fail "no default user_space_size"

"$os" init "$work/app" >/dev/null 2>"$work/err"
[ $? -eq 1 ] || fail "second init did not exit 1"
grep -q '^onespace: init: .*onespace.json already exists' "$work/err" || fail "second init message"

printf '{ "process": { "default_mmap_size": "32MB" } }\n' >"$work/app/onespace.json"
"$os" run -C "$work/app" /bin/prog >/dev/null 2>"$work/err"
[ $? -eq 1 ] || fail "bad config did not exit 1"
[ "$(wc -l <"$work/err")" -eq 1 ] || fail "bad config message is not one line"
grep -q '^onespace: .*onespace.json: process.default_mmap_size: not needed' "$work/err" \
    || fail "bad config message: $(cat "$work/err")"
rm -rf "$work"
echo ok
