#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# OpenSC 0.23 (Debian) runs its whole ePass2003 flow, unchanged, on
# ukey-vtoken's ePass2003 emulation (one virtual card on a blank state
# file, behind a private pcscd: pcsc-run):
#   erase, create PKCS#15 (pkcs15+onepin: PIN and PUK), generate RSA-2048,
#   store a certificate, sign with OpenSC's PKCS#11 module (verified by
#   openssl), change the PIN, block it with wrong PINs, unblock it with
#   the PUK, and the state survives a restart of the token process.
#   opensc-epass2003.sh MODEL VTOKEN STATE ATR
# MODEL (des, aes, fips) is only checked against what the token says.
# PINs go through env: never on a command line.
set -eu
model=$1 vtoken=$2 state=$3 atr=$4
here=$(cd "$(dirname "$0")" && pwd)
export OPENSSL_CONF="$here/openssl-legacy.cnf"
T=${UKEY_TEST_TMP:-$(mktemp -d)}
MOD=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
export PIN=1234 PUK=56785678 NEWPIN=4321 PIN2=1111 BADPIN=9999
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
t0=$(date +%s%N)
lap() { echo "   ($(( ($(date +%s%N) - t0) / 1000000 )) ms since start)"; }

sign_verify() { # $1 = env var holding the PIN
    echo "data to sign $(date +%s%N)" > "$T/data.txt"
    rm -f "$T/sig.bin"
    pkcs11-tool --module "$MOD" -l --pin "env:$1" --sign -m SHA256-RSA-PKCS \
        --id 01 -i "$T/data.txt" -o "$T/sig.bin" >"$T/p11.out" 2>&1 || return 1
    openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.bin" \
        "$T/data.txt" >/dev/null
}

login_fails() { # $1 = env var; expects the login to be refused
    ! pkcs11-tool --module "$MOD" -l --pin "env:$1" --sign -m SHA256-RSA-PKCS \
        --id 01 -i "$T/data.txt" -o "$T/sig2.bin" >"$T/p11.out" 2>&1
}

tries_left() { # the card's own counter of the user PIN (kid 1), from its state
    "$vtoken" show --state "$state" | sed -n 's/.*key kid 1 type 04 tries \([0-9]*\)\/.*/\1/p' | head -1
}

[ "$(opensc-tool -n 2>/dev/null)" = epass2003 ] || fail "opensc-tool -n is not epass2003"
# the model the card announces in GET DATA 86 (what OpenSC picks its SM
# from: byte 2 = 01 AES else 3DES, 87 01 01 at byte 32 = FIPS), read
# through OpenSC's driver, so under the SM the card announced
opensc-tool -s 00CA018600 >"$T/caps.txt" 2>&1 || fail "GET DATA under SM"
caps=$(tr -d '\n' <"$T/caps.txt")
case $model in
des)  echo "$caps" | grep -q '80 01 02 81' || fail "not the 3DES model: $caps" ;;
aes)  echo "$caps" | grep -q '80 01 01 81' && ! echo "$caps" | grep -q '87 01 01' \
          || fail "not the AES model: $caps" ;;
fips) echo "$caps" | grep -q '87 01 01' || fail "not the FIPS model: $caps" ;;
*)    fail "model $model?" ;;
esac
opensc-tool --serial >/dev/null 2>&1 || fail "opensc-tool --serial"
ok "opensc-tool -n prints epass2003; $model model, SM established"

pkcs15-init -E || fail "pkcs15-init -E (erase)"
pkcs15-init -C --profile pkcs15+onepin --pin env:PIN --puk env:PUK --label L \
    || fail "pkcs15-init -C"
pkcs15-tool --list-pins | grep -q 'User PIN' || fail "no user PIN after -C"
ok "erase, create PKCS#15 with PIN and PUK"; lap

pkcs15-init -G rsa/2048 -a 01 -i 01 --pin env:PIN -u sign,decrypt || fail "pkcs15-init -G"
pkcs15-tool --read-public-key 01 -o "$T/pub.pem" || fail "read public key"
openssl rsa -pubin -in "$T/pub.pem" -noout -text 2>/dev/null | grep -q '2048 bit' \
    || fail "public key is not RSA-2048"
ok "generate RSA-2048 on the card"; lap

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -subj /CN=ukey-test-ca \
    -days 2 -out "$T/ca.pem" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/tmp.key" -subj /CN=ukey-epass2003 \
    -out "$T/tmp.csr" 2>/dev/null
openssl x509 -req -in "$T/tmp.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -force_pubkey "$T/pub.pem" -days 1 -out "$T/cert.pem" 2>/dev/null
pkcs15-init -X "$T/cert.pem" -i 01 -a 01 --pin env:PIN || fail "pkcs15-init -X"
pkcs15-tool -D > "$T/dump.txt"
grep -q 'X.509 Certificate' "$T/dump.txt" || fail "certificate not listed"
grep -q 'Private RSA Key' "$T/dump.txt" || fail "key not listed"
pkcs15-tool --read-certificate 01 -o "$T/back.pem" || fail "read certificate"
openssl x509 -in "$T/back.pem" -noout -pubkey > "$T/back.pub" || fail "certificate read back"
cmp -s "$T/back.pub" "$T/pub.pem" || fail "certificate read back does not hold the card key"
ok "store certificate, read it back"; lap

sign_verify PIN || { cat "$T/p11.out" >&2; fail "sign with PIN"; }
ok "pkcs11-tool signature (SHA256-RSA-PKCS) verifies with openssl"; lap

# OpenSC 0.23's epass2003 pin_cmd sends CHANGE as a bare UPDATE SECRET KEY
# (80 E5) without authenticating the old PIN first: the card refuses it
# (modify condition 96 = user level). Through PKCS#11 the login comes
# first, in the same card session, and the change goes through.
if pkcs15-tool --change-pin --auth-id 01 --pin env:PIN --new-pin env:NEWPIN \
    >"$T/chg.out" 2>&1; then
    fail "PIN changed without authenticating the old PIN"
fi
grep -q 'Security status not satisfied' "$T/chg.out" || { cat "$T/chg.out" >&2; fail "unexpected change-pin failure"; }
sign_verify PIN || fail "PIN lost by the refused change"
ok "unauthenticated change (pkcs15-tool) refused, PIN unchanged"
pkcs11-tool --module "$MOD" --login --pin env:PIN --change-pin --new-pin env:NEWPIN \
    >"$T/chg.out" 2>&1 || { cat "$T/chg.out" >&2; fail "change PIN (pkcs11-tool)"; }
login_fails PIN || fail "old PIN still accepted"
sign_verify NEWPIN || fail "sign with the new PIN"
ok "change PIN (pkcs11-tool: C_Login, C_SetPIN)"; lap

# the profile gives the PIN 6 tries: wrong PINs count down, then block
max=$(tries_left)
[ "$max" = 6 ] || fail "user PIN has $max tries, not the profile's 6"
n=0
while [ "$n" -lt "$max" ]; do
    login_fails BADPIN || fail "wrong PIN accepted"
    n=$((n + 1))
    [ "$(tries_left)" = $((max - n)) ] || fail "counter $(tries_left) after $n wrong PINs"
done
login_fails NEWPIN || fail "right PIN accepted on a blocked PIN"
[ "$(tries_left)" = 0 ] || fail "blocked PIN counter moved"
ok "$max wrong PINs block the PIN"; lap

# OpenSC 0.23's UNBLOCK is an EXTERNAL AUTHENTICATE with the PUK (kid 2)
# and nothing else: it never sends the new PIN. The PUK reaches the PIN
# record's unblock condition, so the card resets the PIN's counter and the
# PIN before the block works again; a new one is set through PKCS#11.
pkcs15-tool --unblock-pin --auth-id 01 --puk env:BADPIN --new-pin env:PIN2 \
    >"$T/unb.out" 2>&1 && fail "unblocked with a wrong PUK"
[ "$(tries_left)" = 0 ] || fail "a wrong PUK unblocked the PIN"
pkcs15-tool --unblock-pin --auth-id 01 --puk env:PUK --new-pin env:PIN2 \
    || fail "unblock PIN"
[ "$(tries_left)" = "$max" ] || fail "counter not reset by the unblock ($(tries_left))"
sign_verify NEWPIN || fail "sign after unblock"
pkcs11-tool --module "$MOD" --login --pin env:NEWPIN --change-pin --new-pin env:PIN2 \
    >"$T/chg.out" 2>&1 || { cat "$T/chg.out" >&2; fail "change PIN after unblock"; }
sign_verify PIN2 || fail "sign with the PIN set after the unblock"
ok "unblock with the PUK (wrong PUK refused), then a new PIN"; lap

# same token re-inserted: a new vtoken process on the same state file
for p in ${UKEY_CARD_PIDS:-}; do kill "$p" 2>/dev/null || true; done
for p in ${UKEY_CARD_PIDS:-}; do
    i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
done
i=0
while opensc-tool -l 2>/dev/null | grep -q ' Yes '; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "card removal not seen"
    sleep 0.05
done
"$vtoken" --os epass2003 --atr "$atr" --port "${UKEY_VPCD_PORT:-35963}" \
    --state "$state" &
newpid=$!
i=0
until opensc-tool -l 2>/dev/null | grep -q ' Yes '; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "card not back"
    sleep 0.05
done
pkcs15-tool -D > "$T/dump2.txt"
grep -q 'X.509 Certificate' "$T/dump2.txt" || fail "certificate lost after restart"
sign_verify PIN2 || fail "sign after restart"
ok "state survives a vtoken restart"; lap

# erase the personalised card (OpenSC: INSTALL the "magic" plain PIN in
# the MF, VERIFY it, DELETE 3F00), then personalise it again
pkcs15-init -E || fail "pkcs15-init -E on a personalised card"
"$vtoken" show --state "$state" | grep -q '3F00' && fail "MF still there after the erase"
pkcs15-tool -D >/dev/null 2>&1 && fail "PKCS#15 still found after the erase"
pkcs15-init -C --profile pkcs15+onepin --pin env:PIN --puk env:PUK --label L2 \
    || fail "pkcs15-init -C after the erase"
pkcs15-tool --list-pins | grep -q 'User PIN' || fail "no user PIN after the second -C"
kill "$newpid"
wait "$newpid" 2>/dev/null || true
ok "erase a personalised card, create again"; lap
