#!/bin/bash
# Tier 1 of the fast path runs with the guest's FS base and vector
# registers live (src/entry/fastpath_tier1.c): its machine code must not
# touch %fs (TLS, stack canary), use a vector register, or call anything.
#   check_fsfree.sh LIBRARY.a MEMBER.o
set -u
lib="$1"; member="$2"
code="$(objdump -d --no-show-raw-insn "$lib" 2>/dev/null |
        awk -v m="$member" '/^In archive|file format/ { on = index($0, m) > 0 } on')"
if ! grep -q '<fastpath_tier1>:' <<<"$code"; then
    echo "FAIL: no fastpath_tier1 in $member of $lib"; exit 1
fi
bad="$(grep -E '%fs|%[xyz]mm|[[:space:]]call' <<<"$code")"
if [ -n "$bad" ]; then
    echo "FAIL: $member uses what tier 1 must not:"; echo "$bad"; exit 1
fi
echo "PASS: $member: no %fs, no vector registers, no calls ($(grep -c '^ ' <<<"$code") instructions)"
