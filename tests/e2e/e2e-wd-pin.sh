#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_wd_pin MODULE SECRETS — a virtual Watchdata (GM/T 0017) token:
#  - wrong user PINs count down: CKF_USER_PIN_COUNT_LOW, then FINAL_TRY,
#    then LOCKED (the token has 10 tries); a locked PIN refuses the right one;
#  - C_InitPIN as SO = UnblockPIN with the admin PIN: new user PIN, counter
#    reset; C_SetPIN back to the old one;
#  - UKEY_DEBUG=apdu trace of a login: neither the PIN's bytes nor the
#    PIN-derived key (SHA-1(PIN)[0..15]) appear, the PIN commands' data is
#    redacted;
#  - C_GenerateKeyPair into a new container named by CKA_LABEL, a
#    certificate for it imported by C_CreateObject (linked by CKA_ID), a
#    certificate whose key is on no container refused, C_DestroyObject of
#    the certificate then of the key (the container goes);
#  - C_InitToken (device authentication with the profile's key, a fresh
#    application, the label), C_InitPIN, a key generated into a container
#    of a fresh name signs (verified by OpenSSL).
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
SOPIN=$(secret so_pin)
NEWPIN=135792468
BAD=999999
export PIN SOPIN NEWPIN BAD
if [ -z "$PIN" ] || [ -z "$SOPIN" ]; then fail "no user_pin/so_pin in $SECRETS"; fi

flags() {
	p11 -L 2>/dev/null | sed -n 's/^[[:space:]]*token flags[[:space:]]*:[[:space:]]*//p' | head -n 1
}

note "wrong PINs"
i=1
while [ $i -le 10 ]; do
	if p11 --login --pin env:BAD -O >"$T/bad$i.out" 2>&1; then
		fail "wrong PIN $i accepted"
	fi
	f=$(flags)
	left=$((10 - i))
	case $left in
	0)
		grep -q "CKR_PIN_LOCKED\|CKR_PIN_INCORRECT" "$T/bad$i.out" || { cat "$T/bad$i.out" >&2; fail "try $i: no PIN error"; }
		echo "$f" | grep -q "user PIN locked" || fail "after $i wrong PINs flags are '$f' (want user PIN locked)"
		;;
	1)
		grep -q "CKR_PIN_INCORRECT" "$T/bad$i.out" || { cat "$T/bad$i.out" >&2; fail "try $i: not CKR_PIN_INCORRECT"; }
		echo "$f" | grep -q "final user PIN try" || fail "after $i wrong PINs flags are '$f' (want final try)"
		;;
	*)
		grep -q "CKR_PIN_INCORRECT" "$T/bad$i.out" || { cat "$T/bad$i.out" >&2; fail "try $i: not CKR_PIN_INCORRECT"; }
		echo "$f" | grep -q "user PIN count low" || fail "after $i wrong PINs flags are '$f' (want count low)"
		;;
	esac
	i=$((i + 1))
done
if p11 --login --pin env:PIN -O >"$T/locked.out" 2>&1; then
	fail "a locked user PIN accepted the right PIN"
fi
grep -q "CKR_PIN_LOCKED" "$T/locked.out" || { cat "$T/locked.out" >&2; fail "locked PIN: not CKR_PIN_LOCKED"; }

note "unblock with the admin PIN (C_InitPIN as SO)"
run_logged initpin p11 --init-pin --login --login-type so --so-pin env:SOPIN --new-pin env:NEWPIN
f=$(flags)
echo "$f" | grep -Eq "locked|count low|final" && fail "after the unblock flags are still '$f'"
run_logged newlogin p11 --login --pin env:NEWPIN -O --type privkey
expect_grep newlogin "Private Key Object" "no private key after logging in with the new PIN"
note "C_SetPIN back"
run_logged setpin p11 --change-pin --login --pin env:NEWPIN --new-pin env:PIN
run_logged oldlogin p11 --login --pin env:PIN -O --type privkey
expect_grep oldlogin "Private Key Object" "no private key with the PIN set back"

note "trace of a login: no PIN, no PIN key"
UKEY_DEBUG=apdu UKEY_DEBUG_FILE="$T/trace.log" p11 --login --pin env:PIN -O --type privkey >/dev/null 2>&1 ||
	fail "traced login failed"
[ -s "$T/trace.log" ] || fail "no APDU trace written"
pinhex=$(printf '%s' "$PIN" | od -An -tx1 | tr -d ' \n')
kpin=$(printf '%s' "$PIN" | openssl dgst -sha1 -binary | head -c 16 | od -An -tx1 | tr -d ' \n')
# the trace's hex, with spaces and case removed, must hold neither
tr -d ' \n' <"$T/trace.log" | tr 'A-F' 'a-f' >"$T/trace.flat"
grep -q "$pinhex" "$T/trace.flat" && fail "the trace holds the PIN's bytes"
grep -Fq "$PIN" "$T/trace.log" && fail "the trace holds the PIN as text"
grep -q "$kpin" "$T/trace.flat" && fail "the trace holds the PIN-derived key"
grep -Eiq "80 18 00 01" "$T/trace.log" || { cat "$T/trace.log" >&2; fail "no VerifyPIN in the trace"; }

note "key generation into a new container"
run_logged keygen p11 --login --pin env:PIN --keypairgen --key-type rsa:2048 --label WD-NEW
run_logged objs p11 --login --pin env:PIN -O
newid=$(awk '/label:[[:space:]]*WD-NEW/ { f = 1 } f && /ID:/ { print $2; exit }' "$T/objs.out")
[ -n "$newid" ] || { cat "$T/objs.out" >&2; fail "no object labelled WD-NEW"; }
run_logged readpub p11 --read-object --type pubkey --id "$newid" -o "$T/newpub.der"
openssl pkey -pubin -inform DER -in "$T/newpub.der" -out "$T/newpub.pem" || fail "new public key is not DER"
make_ca
cert_for_pubkey "$T/newpub.pem" "wd new key" "$T/new.pem"
openssl x509 -in "$T/new.pem" -outform DER -out "$T/new.der"
run_logged wcert p11 --login --pin env:PIN --write-object "$T/new.der" --type cert --label ignored
run_logged objs2 p11 -O --type cert
grep -q "$newid" "$T/objs2.out" || { cat "$T/objs2.out" >&2; fail "the imported certificate does not carry the key's CKA_ID"; }
run_logged rcert p11 --read-object --type cert --id "$newid" -o "$T/back.der"
cmp -s "$T/back.der" "$T/new.der" || fail "the certificate read back differs"
note "a certificate for a key the token does not hold"
openssl x509 -in "$T/ca.pem" -outform DER -out "$T/ca.der"
if p11 --login --pin env:PIN --write-object "$T/ca.der" --type cert >"$T/wbad.out" 2>&1; then
	fail "a certificate without a matching container was imported"
fi
grep -q "CKR_TEMPLATE_INCONSISTENT" "$T/wbad.out" || { cat "$T/wbad.out" >&2; fail "not CKR_TEMPLATE_INCONSISTENT"; }
note "destroy the certificate, then the key pair"
run_logged dcert p11 --login --pin env:PIN --delete-object --type cert --id "$newid"
run_logged dpriv p11 --login --pin env:PIN --delete-object --type privkey --id "$newid"
run_logged objs3 p11 --login --pin env:PIN -O
grep -q "$newid" "$T/objs3.out" && { cat "$T/objs3.out" >&2; fail "objects of the deleted container remain"; }
grep -q "UKEY-CONTAINER" "$T/objs3.out" || fail "the personalised container went too"

note "C_InitToken, C_InitPIN, a fresh key signs"
run_logged inittoken p11 --init-token --label WD-FRESH --so-pin env:SOPIN
run_logged list2 p11 -L
expect_grep list2 "token label[[:space:]]*: WD-FRESH" "the new label is not shown"
run_logged objs4 p11 -O
grep -q "Object" "$T/objs4.out" && { cat "$T/objs4.out" >&2; fail "objects survived C_InitToken"; }
if p11 --login --pin env:PIN -O >"$T/nouser.out" 2>&1; then
	fail "the old user PIN works after C_InitToken"
fi
run_logged initpin2 p11 --init-pin --login --login-type so --so-pin env:SOPIN --new-pin env:PIN
run_logged keygen2 p11 --login --pin env:PIN --keypairgen --key-type rsa:2048
run_logged objs5 p11 --login --pin env:PIN -O --type privkey
expect_grep objs5 "label:[[:space:]]*UKEY-CONTAINER" "the generated container has no fresh default name"
id5=$(sed -n 's/^[[:space:]]*ID:[[:space:]]*\([0-9a-f]*\).*/\1/p' "$T/objs5.out" | head -n 1)
run_logged readpub5 p11 --read-object --type pubkey --id "$id5" -o "$T/pub5.der"
openssl pkey -pubin -inform DER -in "$T/pub5.der" -out "$T/pub5.pem" || fail "public key is not DER"
head -c 1000 /dev/urandom >"$T/data5"
run_logged sign5 p11 --login --pin env:PIN --sign -m SHA256-RSA-PKCS --id "$id5" -i "$T/data5" -o "$T/sig5"
openssl dgst -sha256 -verify "$T/pub5.pem" -signature "$T/sig5" "$T/data5" >"$T/v5.out" 2>&1 ||
	{ cat "$T/v5.out" >&2; fail "the fresh key's signature does not verify"; }
note "a second key without a label: a fresh container name, the first key kept"
run_logged keygen3 p11 --login --pin env:PIN --keypairgen --key-type rsa:2048
run_logged objs6 p11 --login --pin env:PIN -O --type privkey
expect_grep objs6 "label:[[:space:]]*UKEY-CONTAINER-2" "the second key did not get a fresh container"
expect_fixed objs6 "$id5" "the first key went away"
echo "e2e_wd_pin: OK"
