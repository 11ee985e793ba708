#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# OpenSC 0.23 reads and signs with an ePass2003 personalised by
# `ukey-vtoken init --os epass2003 --layout pkcs15` (opensc-epass2003-card.sh):
# the layout is the one OpenSC's own pkcs15-init writes, so OpenSC must
# find the PIN, the key and the certificate, sign (verified with the
# certificate's key, chained to the test CA) and count what it sends.
#   opensc-epass2003-init.sh STATE APDU-LOG
set -eu
state=$1 log=$2
here=$(cd "$(dirname "$0")" && pwd)
export OPENSSL_CONF="$here/openssl-legacy.cnf"
T=${UKEY_TEST_TMP:-$(mktemp -d)}
MOD=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
export PIN=1234
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

[ "$(opensc-tool -n 2>/dev/null)" = epass2003 ] || fail "not seen as epass2003"
pkcs15-tool -D > "$T/dump.txt" || fail "pkcs15-tool -D"
grep -q 'Serial number  : 0011223344556677' "$T/dump.txt" || fail "serial"
grep -q 'PIN \[User PIN\]' "$T/dump.txt" || fail "no user PIN"
grep -q 'Private RSA Key' "$T/dump.txt" || fail "no private key"
grep -q 'X.509 Certificate' "$T/dump.txt" || fail "no certificate"
pkcs15-tool --read-certificate 01 -o "$T/cert.pem" || fail "read certificate"
openssl verify -CAfile "$state.ca/ca.pem" "$T/cert.pem" >/dev/null || fail "certificate not from the CA"
openssl x509 -in "$T/cert.pem" -noout -pubkey > "$T/pub.pem"
ok "OpenSC binds the personalised card (PIN, key, certificate)"

before=$(grep -c ' -> ' "$log" || true)
echo "data $(date +%s%N)" > "$T/data.txt"
pkcs11-tool --module "$MOD" -l --pin env:PIN --sign -m SHA256-RSA-PKCS --id 01 \
    -i "$T/data.txt" -o "$T/sig.bin" >"$T/p11.out" 2>&1 || { cat "$T/p11.out" >&2; fail "sign"; }
after=$(grep -c ' -> ' "$log" || true)
openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.bin" "$T/data.txt" >/dev/null \
    || fail "signature does not verify"
ok "pkcs11-tool signature verifies ($((after - before)) APDUs from load to signature)"
