#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey's PKCS#11 module (pkcs11-tool) against ePass3000 vtokens, inside
# pcsc-run. Card 0: blank, serving the ePass3000 ATR (so its transport key
# is 01..08, as vendor-profiles/epass3000.profile says): C_InitToken must
# create the MF under that key. Card 1: personalised by `ukey-vtoken init`
# (key 1 present, empty records 2..9): a second key is generated into slot
# 2 and its signature verifies with OpenSSL.
#   p11-epass3000.sh MODULE UKEY-VTOKEN
set -eu
mod=$1 vt=$2
T=$UKEY_TEST_TMP
fail() { echo "FAIL: $*" >&2; exit 1; }
export SOPIN=87654321 PIN=1234
# Sanitizer builds: pkcs11-tool loads an instrumented module (runtimes
# preloaded into pkcs11-tool only, its own leaks ignored).
p11() {
    if [ -n "${UKEY_SANITIZER_PRELOAD:-}" ]; then
        LD_PRELOAD=$UKEY_SANITIZER_PRELOAD ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" \
            pkcs11-tool --module "$mod" "$@"
    else
        pkcs11-tool --module "$mod" "$@"
    fi
}

# 1. C_InitToken on the blank ePass3000
p11 --slot 0 --init-token --label ep3k --so-pin env:SOPIN > "$T/init.out" 2>&1 ||
    { cat "$T/init.out" >&2; fail "C_InitToken on a blank ePass3000 vtoken"; }
p11 --slot 0 -T > "$T/tok.out" 2>&1
grep -q 'label *: ep3k' "$T/tok.out" || { cat "$T/tok.out" >&2; fail "token label not set"; }
"$vt" show --state "$T/blank.state" > "$T/show0.txt"
grep -q '^transport key: ePass3000' "$T/show0.txt" || fail "blank card not an ePass3000"
grep -q '^  DF 3F00 ' "$T/show0.txt" || fail "no MF after C_InitToken"
# CREATE MF (84 E0 00 00) went through under the 01..08 transport key
grep -q ' 84 E0 00 00 len=.* -> 9000' "$T/blank.log" || fail "CREATE MF not accepted"
echo "ok: C_InitToken on a blank ePass3000 vtoken (transport key 01..08)"

# 2. second key into slot 2 of an `ukey-vtoken init` token
p11 --slot 1 --login --pin env:PIN --keypairgen --key-type rsa:1024 --id 02 \
    --label second > "$T/kg.out" 2>&1 || { cat "$T/kg.out" >&2; fail "key generation into id 02"; }
echo "ukey vtoken slot 2" > "$T/msg"
p11 --slot 1 --login --pin env:PIN --sign --id 02 -m SHA256-RSA-PKCS \
    -i "$T/msg" -o "$T/sig" > "$T/sign.out" 2>&1 || { cat "$T/sign.out" >&2; fail "sign with id 02"; }
p11 --slot 1 --read-object --type pubkey --id 02 -o "$T/pub2.der" > /dev/null 2>&1 ||
    fail "read public key 02"
p11 --slot 1 --read-object --type pubkey --id 01 -o "$T/pub1.der" > /dev/null 2>&1 ||
    fail "read public key 01"
openssl dgst -sha256 -verify "$T/pub2.der" -keyform DER -signature "$T/sig" "$T/msg" \
    > /dev/null || fail "signature of key 02 does not verify"
if openssl dgst -sha256 -verify "$T/pub1.der" -keyform DER -signature "$T/sig" "$T/msg" \
    > /dev/null 2>&1; then fail "key 02 signed with key 01"; fi
"$vt" show --state "$T/init.state" > "$T/show1.txt"
grep -q 'kid 2 usage 22 RSA private, set, 1024 bits' "$T/show1.txt" ||
    fail "key 2 not stored in record 2"
# the card's own records were used: no INSTALL KEY for kid 2 was needed
if grep -q ' 84 F0 00 02 ' "$T/init.log"; then
    echo "note: the driver installed key record 2 itself"
fi
echo "ok: second key generated into slot 2 of a vtoken-personalised ePass3000, signature verified"
