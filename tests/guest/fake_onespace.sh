#!/bin/bash
# Stand-in for `onespace` that runs the program natively, so the guest tests
# can be checked without onespace (target guest_native_check). Accepts the
# same command line run_guest.sh uses:
#   fake_onespace.sh run --root IMAGE [--env K=V]... /GUEST/PATH [args...]
set -u
[ "${1:-}" = run ] || { echo "fake_onespace: expected 'run'" >&2; exit 2; }
shift
root=""; envs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --root) root="$2"; shift 2 ;;
        --env) envs+=("$2"); shift 2 ;;
        *) break ;;
    esac
done
[ -n "$root" ] && [ $# -ge 1 ] || { echo "fake_onespace: bad command line" >&2; exit 2; }
path="$1"; shift
cd "$root" || exit 2
exec env -i "${envs[@]}" "$root$path" "$@"
