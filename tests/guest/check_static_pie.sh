#!/bin/sh
# check_static_pie.sh BINARY: fail unless BINARY is a static PIE (ELF type
# DYN and no PT_INTERP), which is what onespace loads.
f="$1"
type="$(readelf -h "$f" | awk '/Type:/ {print $2}')"
if [ "$type" != DYN ]; then
    echo "$f: ELF type $type, not DYN (not a PIE)" >&2; rm -f "$f"; exit 1
fi
if readelf -l "$f" | grep -q INTERP; then
    echo "$f: has PT_INTERP (dynamically linked, not static-PIE)" >&2; rm -f "$f"; exit 1
fi
