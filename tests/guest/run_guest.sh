#!/bin/bash
# Run one guest program natively and inside onespace; compare.
#
#   run_guest.sh [--expect-status N] [--keep] PROG_BINARY ONESPACE_BINARY [args...]
#
# Each run gets a fresh image directory built the same way (bin/NAME, tmp/,
# data/ fixtures, lib/<interpreter> for dynamic programs). The native run has
# cwd = its image and runs IMAGE/bin/NAME under `env -i` with GUEST_ENV;
# the onespace run is exactly
#   ONESPACE run --root IMAGE -i --env K=V... /bin/NAME args...
# Passes (exit 0) only if both runs exit with the expected status (default
# 0; death by signal N counts as 128+N) and print identical stdout.
set -u

expect=0
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --expect-status) expect="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        --) shift; break ;;
        -*) echo "run_guest.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "usage: run_guest.sh [--expect-status N] [--keep] PROG ONESPACE [args...]" >&2
    exit 2
fi
prog="$1"; onespace="$2"; shift 2
# Both runs cd into their image: make the paths absolute.
abspath() { case "$1" in /*) echo "$1" ;; */*) echo "$PWD/$1" ;; *) command -v "$1" ;; esac; }
prog="$(abspath "$prog")"; onespace="$(abspath "$onespace")"
[ -f "$prog" ] || { echo "run_guest.sh: no program $prog" >&2; exit 2; }
name="$(basename "$prog")"
timeout_s="${GUEST_TIMEOUT:-60}"

# The guest's whole environment, the same for both runs.
GUEST_ENV=(PATH=/bin HOME=/ LC_ALL=C TZ=UTC GUEST_TEST=onespace-guest)

work="$(mktemp -d "${TMPDIR:-/tmp}/guest.${name}.XXXXXX")" || exit 2
if [ "$keep" = 0 ]; then
    trap 'rm -rf "$work"' EXIT
fi
ulimit -c 0     # segv_child must not leave core files behind

make_image() {
    local img="$1"
    mkdir -p "$img/bin" "$img/tmp" "$img/data/tree/sub" "$img/data/tree/empty"
    chmod 1777 "$img/tmp"
    cp "$prog" "$img/bin/$name" || return 1
    # The tiny shell (sh.c) as /bin/sh, for system() and popen(). (Natively
    # those run the host's /bin/sh; simple commands behave the same.)
    if [ -f "$(dirname "$prog")/sh.glibc" ] && [ "$name" != sh.glibc ]; then
        cp "$(dirname "$prog")/sh.glibc" "$img/bin/sh" || return 1
    fi
    # Fixtures (file_io): a known data file and a small directory tree.
    printf 'line one\nline two\nline three\n' > "$img/data/input.txt"
    printf 'b\n' > "$img/data/tree/b.txt"
    printf 'a\n' > "$img/data/tree/a.txt"
    printf 'c\n' > "$img/data/tree/sub/c.txt"
    ln -s a.txt "$img/data/tree/link_to_a"
    # A dynamically linked program needs its interpreter inside the image.
    local interp
    interp="$(readelf -l "$prog" 2>/dev/null |
              sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')"
    if [ -n "$interp" ]; then
        mkdir -p "$img$(dirname "$interp")"
        cp "$(readlink -f "$interp")" "$img$interp" || return 1
    fi
}

make_image "$work/native" || exit 2
make_image "$work/onespace" || exit 2

# Native: cwd = image so relative paths match the guest's "/". (The outer
# braces silence the shell's own "Segmentation fault" job message.)
{ (cd "$work/native" &&
 exec timeout -k 5 "$timeout_s" env -i "${GUEST_ENV[@]}" "$work/native/bin/$name" "$@") \
    > "$work/native.out" 2> "$work/native.err"
native_status=$?; } 2>/dev/null

envargs=()
for kv in "${GUEST_ENV[@]}"; do envargs+=(--env "$kv"); done
{ (cd "$work/onespace" &&
 exec timeout -k 5 "$timeout_s" "$onespace" run --root "$work/onespace" -i \
      "${envargs[@]}" "/bin/$name" "$@") \
    > "$work/onespace.out" 2> "$work/onespace.err"
onespace_status=$?; } 2>/dev/null

ok=1
if [ "$native_status" != "$expect" ]; then
    echo "FAIL: native run exited $native_status, expected $expect"; ok=0
fi
if [ "$onespace_status" != "$expect" ]; then
    echo "FAIL: onespace run exited $onespace_status, expected $expect"; ok=0
fi
if ! cmp -s "$work/native.out" "$work/onespace.out"; then
    echo "FAIL: stdout differs (--- native, +++ onespace):"
    diff -u --label native --label onespace "$work/native.out" "$work/onespace.out"
    ok=0
fi

[ "$keep" = 1 ] && echo "(images and outputs kept in $work)"
if [ "$ok" = 1 ]; then
    echo "PASS: $name (status $expect, $(wc -l < "$work/native.out") lines of stdout)"
    exit 0
fi
echo "--- native stderr:";   cat "$work/native.err"
echo "--- onespace stderr:"; cat "$work/onespace.err"
echo "--- native stdout:";   cat "$work/native.out"
exit 1
