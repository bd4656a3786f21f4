#!/bin/sh
# run_fault_guest.sh ONESPACE GUEST FAULTSPEC MODE EXPECT-REGEX
# Runs GUEST MODE inside onespace (ad hoc root: a temporary directory)
# with ONESPACE_FAULT=FAULTSPEC; passes if it exits 0 and its stdout
# matches EXPECT-REGEX.
set -u
os=$1; guest=$2; spec=$3; mode=$4; expect=$5
root=$(mktemp -d /tmp/onespace-fault-guest-XXXXXX)
trap 'rm -rf "$root"' EXIT INT TERM
cp "$guest" "$root/fault_guest"
out=$(ONESPACE_FAULT="$spec" "$os" run --root "$root" /fault_guest "$mode")
status=$?
printf '%s\n' "$out"
if [ $status -ne 0 ]; then
  echo "run_fault_guest: exit status $status (expected 0)"; exit 1
fi
printf '%s\n' "$out" | grep -Eq "$expect" || {
  echo "run_fault_guest: output does not match /$expect/"; exit 1; }
exit 0
