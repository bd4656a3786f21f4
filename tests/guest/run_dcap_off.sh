#!/bin/bash
# feature.dcap "off" in onespace.json: the DCAP guest must find no DCAP
# driver and skip, as under the ONESPACE_DISABLE_DCAP build.
#   run_dcap_off.sh PROG_BINARY ONESPACE_BINARY
set -u
prog="$1"; onespace="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/guest.dcap-off.XXXXXX")" || exit 2
trap 'rm -rf "$work"' EXIT
"$onespace" init "$work/inst" > /dev/null || exit 2
sed -i 's/"dcap": *"auto"/"dcap": "off"/' "$work/inst/onespace.json"
grep -q '"dcap": "off"' "$work/inst/onespace.json" || { echo "cannot set feature.dcap" >&2; exit 2; }
cp "$prog" "$work/inst/image/bin/dcap_quote" || exit 2
out="$(timeout -k 5 60 "$onespace" run -C "$work/inst" /bin/dcap_quote)"
status=$?
echo "$out"
[ "$status" -eq 0 ] && [ "$(tail -n 1 <<< "$out")" = "dcap skip: no DCAP driver" ]
