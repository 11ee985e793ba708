#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# OpenSC 0.23 (Debian) against ukey-vtoken's FTCOS emulation, run inside a
# private pcscd (pcsc-run) with one vtoken showing the PK-01C
# ATR on a blank state file.
#   opensc-ftcos.sh STEP VTOKEN STATE
# STEP: all (personalise, sign, change, block, unblock, restart) or
#       perso-sign (personalise + sign only). PINs go through env: never
#       on a command line.
set -eu
step=$1 vtoken=$2 state=$3
here=$(cd "$(dirname "$0")" && pwd)
export OPENSSL_CONF="$here/openssl-legacy.cnf"
T=${UKEY_TEST_TMP:-$(mktemp -d)}
MOD=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
export PIN=1234 PUK=56785678 NEWPIN=4321 PIN2=1111 BADPIN=9999
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

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

wait_card() {
    i=0
    until opensc-tool -l 2>/dev/null | grep -q ' Yes '; do
        i=$((i + 1)); [ $i -lt 200 ] || fail "card not back"
        sleep 0.05
    done
}

[ "$(opensc-tool -n 2>/dev/null)" = entersafe ] || fail "opensc-tool -n is not entersafe"
ok "opensc-tool -n prints entersafe"

pkcs15-init -C --no-so-pin --label L || fail "pkcs15-init -C"
pkcs15-init -P -a 01 --pin env:PIN --puk env:PUK --label UserPIN || fail "pkcs15-init -P"
pkcs15-init -G rsa/2048 -a 01 -i 01 --pin env:PIN -u sign,decrypt || fail "pkcs15-init -G"
pkcs15-tool --read-public-key 01 -o "$T/pub.pem" || fail "read public key"
ok "create, store PIN, generate RSA-2048"

# a certificate for the card's key, issued by a throw-away CA
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -subj /CN=ukey-test-ca \
    -days 2 -out "$T/ca.pem" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/tmp.key" -subj /CN=ukey-card \
    -out "$T/tmp.csr" 2>/dev/null
openssl x509 -req -in "$T/tmp.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -force_pubkey "$T/pub.pem" -days 1 -out "$T/cert.pem" 2>/dev/null
pkcs15-init -X "$T/cert.pem" -i 01 -a 01 --pin env:PIN || fail "pkcs15-init -X"
pkcs15-tool -D > "$T/dump.txt"
grep -q 'X.509 Certificate' "$T/dump.txt" || fail "certificate not listed"
grep -q 'Private RSA Key' "$T/dump.txt" || fail "key not listed"
ok "store certificate"

sign_verify PIN || fail "sign with PIN"
ok "pkcs11-tool signature verifies"
[ "$step" = perso-sign ] && exit 0

pkcs15-tool --change-pin --auth-id 01 --pin env:PIN --new-pin env:NEWPIN \
    || fail "change PIN"
login_fails PIN || fail "old PIN still accepted"
sign_verify NEWPIN || fail "sign with the new PIN"
ok "change PIN"

# three wrong PINs block it; then even the right one is refused
for n in 1 2 3; do login_fails BADPIN || fail "wrong PIN accepted"; done
login_fails NEWPIN || fail "right PIN accepted on a blocked PIN"
ok "three wrong PINs block the PIN"

pkcs15-tool --unblock-pin --auth-id 01 --puk env:PUK --new-pin env:PIN2 \
    || fail "unblock PIN"
sign_verify PIN2 || fail "sign after unblock"
ok "unblock PIN with the PUK"

# same token re-inserted: a new vtoken process on the same state file
for p in ${UKEY_CARD_PIDS:-}; do kill "$p" 2>/dev/null || true; done
for p in ${UKEY_CARD_PIDS:-}; do
    i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
done
# pcscd must have seen the removal before the re-insertion
i=0
while opensc-tool -l 2>/dev/null | grep -q ' Yes '; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "card removal not seen"
    sleep 0.05
done
"$vtoken" --os ftcos --atr ftcos-pk01c --port "${UKEY_VPCD_PORT:-35963}" \
    --state "$state" &
newpid=$!
wait_card
pkcs15-tool -D > "$T/dump2.txt"
grep -q 'X.509 Certificate' "$T/dump2.txt" || fail "certificate lost after restart"
sign_verify PIN2 || fail "sign after restart"
kill "$newpid"
wait "$newpid" 2>/dev/null || true
ok "state survives a vtoken restart"
