#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# OpenSC against a token personalised by `ukey-vtoken init` (vtoken-card.sh
# init): pkcs15-tool lists PIN, key and certificate; the certificate chains
# to the CA; pkcs11-tool signs and the signature verifies. Also measures the
# APDUs of OpenSC's cold start "login -> find key -> sign" from the vtoken's
# own log (the first APDU after the card is connected to the last).
#   opensc-ftcos-init.sh STATE APDU-LOG
set -eu
state=$1 log=$2
here=$(cd "$(dirname "$0")" && pwd)
export OPENSSL_CONF="$here/openssl-legacy.cnf"
T=${UKEY_TEST_TMP:-$(mktemp -d)}
MOD=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
export PIN=1234
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(opensc-tool -n 2>/dev/null)" = entersafe ] || fail "not entersafe"
pkcs15-tool -D > "$T/dump.txt" || fail "pkcs15-tool -D"
for w in 'PIN \[UserPIN\]' 'Private RSA Key' 'X.509 Certificate' 'ModLength      : 2048'; do
    grep -q "$w" "$T/dump.txt" || fail "pkcs15-tool -D lacks $w"
done
pkcs15-tool --read-certificate 01 -o "$T/cert.pem" || fail "read certificate"
openssl verify -CAfile "$state.ca/ca.pem" "$T/cert.pem" >/dev/null || fail "cert does not chain"
openssl x509 -in "$T/cert.pem" -noout -subject | grep -q 'ukey interop' || fail "subject"
openssl x509 -in "$T/cert.pem" -noout -checkend $((19 * 86400)) >/dev/null || fail "expires too early"
! openssl x509 -in "$T/cert.pem" -noout -checkend $((21 * 86400)) >/dev/null || fail "expires too late"
openssl x509 -in "$T/cert.pem" -noout -pubkey > "$T/pub.pem"
echo "ok: pkcs15-tool lists PIN, key and a CA-issued certificate"

# cold start: a fresh pkcs11-tool process logs in, finds key 01, signs
echo "signed by the card" > "$T/data.txt"
before=$(grep -c ' -> ' "$log" || true)
pkcs11-tool --module "$MOD" -l --pin env:PIN --sign -m SHA256-RSA-PKCS --id 01 \
    -i "$T/data.txt" -o "$T/sig.bin" >/dev/null 2>&1 || fail "pkcs11-tool sign"
after=$(grep -c ' -> ' "$log" || true)
openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.bin" "$T/data.txt" \
    >/dev/null || fail "signature does not verify"
echo "ok: pkcs11-tool signature verifies with the certificate's key"
echo "measure: OpenSC cold start login+find key+sign = $((after - before)) APDUs"

# decipher: OpenSSL encrypts to the card key, the card decrypts (same raw
# RSA APDU as signing; PKCS#1 unpadding on the host)
echo "secret message $$" > "$T/plain.txt"
openssl pkeyutl -encrypt -pubin -inkey "$T/pub.pem" -in "$T/plain.txt" -out "$T/enc.bin"
pkcs11-tool --module "$MOD" -l --pin env:PIN --decrypt -m RSA-PKCS --id 01 \
    -i "$T/enc.bin" -o "$T/dec.txt" >/dev/null 2>&1 || fail "pkcs11-tool decrypt"
cmp -s "$T/plain.txt" "$T/dec.txt" || fail "decrypted text differs"
echo "ok: pkcs11-tool decrypts what OpenSSL encrypted"

# pkcs15-init -E: ERASE under the transport-key MAC wipes the card
pkcs15-init -E >/dev/null 2>&1 || fail "pkcs15-init -E"
opensc-tool -s 00:A4:00:00:02:3F:00 2>&1 | grep -q 'SW1=0x6A, SW2=0x82' || fail "MF still there after erase"
echo "ok: pkcs15-init -E erases the card"
