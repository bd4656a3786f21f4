#!/bin/bash
# A relying party outside onespace verifies a quote made inside it:
# an instance runs dcap_quote (which writes its quote to /q.bin), then
# `onespace sgx export-root`, `onespace quote verify --root-cert` and
# `onespace sgx mrenclave` check it; OpenSSL checks the PCK chain
# against the exported root. Also: a second run of the instance gives a
# quote under the same (persisted) root.
#
#   sgx_relying_party.sh ONESPACE DCAP_QUOTE_PROG
set -eu
onespace="$1"; prog="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/sgx_rp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$onespace" init inst > /dev/null
mkdir -p inst/image/bin
cp "$prog" inst/image/bin/dcap_quote
cd inst
"$onespace" run --env DCAP_QUOTE_OUT=/q.bin /bin/dcap_quote | tail -n 1 | grep -qx "dcap ok"
"$onespace" sgx export-root root.pem
out="$("$onespace" quote verify --root-cert root.pem image/q.bin)"
echo "$out"
echo "$out" | grep -q "^quote3_error 0x0000, result 0x0000"
want="$("$onespace" sgx mrenclave image /bin/dcap_quote)"
echo "$out" | grep -qx "mr_enclave  $want"
# the quote's report data is what the program asked for
echo "$out" | grep -q "^report_data 696f63746c2044434150"
# OpenSSL as an independent relying party: the PCK chain in the quote
python3 - image/q.bin <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', d[1048:1052])[0]
certs = d[1052:1052 + n].rstrip(b'\0').decode().split('-----END CERTIFICATE-----\n')
open('leaf.pem', 'w').write(certs[0] + '-----END CERTIFICATE-----\n')
open('ca.pem', 'w').write(certs[1] + '-----END CERTIFICATE-----\n')
PY
openssl verify -CAfile root.pem -untrusted ca.pem leaf.pem
# a second run: same root, so the new quote verifies with the old root file
"$onespace" run --env DCAP_QUOTE_OUT=/q2.bin /bin/dcap_quote > /dev/null
"$onespace" quote verify --root-cert root.pem image/q2.bin | grep -q "^quote3_error 0x0000"
# a root that is not the instance's: the chain error
mkdir ../other && "$onespace" sgx export-root -C ../other ../other/root.pem
if "$onespace" quote verify --root-cert ../other/root.pem image/q.bin > other.out; then
    echo "verified with a foreign root" >&2; exit 1
fi
grep -q "^quote3_error 0xe022" other.out
echo "relying party ok"
