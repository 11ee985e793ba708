#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_interop_ukey_init_to_opensc MODULE SECRETS — ukey alone personalises
# a BLANK token (C_InitToken, C_InitPIN, key pair generation, certificate);
# then OpenSC alone must use it: pkcs15-tool lists the PIN, the key and the
# identical certificate, verifies and changes ukey's PIN, and OpenSC's
# module signs with the key (checked by openssl against the certificate).
#
# PINs reach the tools only as env:VAR (never on a command line). Each step
# is a run_logged NAME, so a failure names the step that broke.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
E2E_USER_PIN=$(secret user_pin)
E2E_SO_PIN=$(secret so_pin)
if [ -z "$E2E_USER_PIN" ] || [ -z "$E2E_SO_PIN" ]; then
	fail "user_pin/so_pin missing in $SECRETS"
fi
# A second user PIN for the change-PIN step and a wrong one (same length,
# last digit changed) to prove that OpenSC's verification really checks.
E2E_NEW_PIN=${E2E_USER_PIN#?}${E2E_USER_PIN%"${E2E_USER_PIN#?}"}
[ "$E2E_NEW_PIN" != "$E2E_USER_PIN" ] || E2E_NEW_PIN="${E2E_USER_PIN}9"
case $E2E_USER_PIN in
*0) E2E_BAD_PIN=${E2E_USER_PIN%?}1 ;;
*) E2E_BAD_PIN=${E2E_USER_PIN%?}0 ;;
esac
export E2E_USER_PIN E2E_SO_PIN E2E_NEW_PIN E2E_BAD_PIN
ID=03
LABEL=e2e-ukey-init

note "the blank card shows as an uninitialised token"
run_logged slots p11 -L
# pkcs11-tool prints "token state: uninitialized" for a token without
# CKF_TOKEN_INITIALIZED (and no flags line).
expect_grep slots "token state:[[:space:]]*uninitialized" "the blank card is not shown as an uninitialised token"

note "ukey: C_InitToken (label $LABEL, SO PIN), C_InitPIN (user PIN)"
run_logged inittoken p11 --init-token --label "$LABEL" --so-pin env:E2E_SO_PIN
run_logged initpin p11 --init-pin --login --login-type so --so-pin env:E2E_SO_PIN \
	--new-pin env:E2E_USER_PIN
run_logged slots2 p11 -L
expect_fixed slots2 "$LABEL" "token label not set by C_InitToken"
expect_grep slots2 "token flags[[:space:]]*:.*token initialized" "CKF_TOKEN_INITIALIZED not set after C_InitToken"
expect_grep slots2 "token flags[[:space:]]*:.*PIN initialized" "CKF_USER_PIN_INITIALIZED not set after C_InitPIN"

note "ukey: RSA-2048 key pair (id $ID) and its certificate"
run_logged keygen p11 --login --pin env:E2E_USER_PIN --keypairgen --key-type rsa:2048 \
	--id "$ID" --label e2e-init-key
run_logged readpub p11 --read-object --type pubkey --id "$ID" -o "$T/pub.der"
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem" ||
	fail "public key $ID is not SPKI DER"
openssl pkey -pubin -in "$T/pub.pem" -noout -text | grep -q "Public-Key: (2048 bit)" ||
	fail "public key $ID is not 2048 bits"
make_ca
cert_for_pubkey "$T/pub.pem" "e2e ukey-initialised key" "$T/cert.pem"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der" || fail "cannot convert the certificate"
run_logged writecert p11 --login --pin env:E2E_USER_PIN --write-object "$T/cert.der" \
	--type cert --id "$ID" --label e2e-init-cert

# From here on only OpenSC touches the token.
note "OpenSC: pkcs15-tool -D lists ukey's PIN, key and certificate"
run_logged dump opensc_env pkcs15-tool -D
expect_fixed dump "$LABEL" "pkcs15-tool -D does not show the token label"
expect_grep dump "^PIN \[" "pkcs15-tool -D lists no PIN"
expect_grep dump "Private RSA Key \[e2e-init-key\]" "pkcs15-tool -D does not show ukey's private key"
expect_grep dump "X.509 Certificate \[e2e-init-cert\]" "pkcs15-tool -D does not show ukey's certificate"
expect_grep dump "ID[[:space:]]*:[[:space:]]*$ID" "pkcs15-tool -D shows no object with ID $ID"
run_logged p15cert opensc_env pkcs15-tool --read-certificate "$ID" -o "$T/opensc-cert.pem"
openssl x509 -in "$T/opensc-cert.pem" -outform DER | cmp -s - "$T/cert.der" ||
	fail "certificate read by OpenSC differs from the one ukey wrote"
run_logged p15pub opensc_env pkcs15-tool --read-public-key "$ID" -o "$T/opensc-pub.pem"
same_pubkey "$T/opensc-pub.pem" "$T/pub.pem" || fail "OpenSC's public key $ID differs from ukey's"

note "OpenSC: verify and change ukey's user PIN"
if opensc_env pkcs15-tool --verify-pin --pin env:E2E_BAD_PIN >"$T/badpin.out" 2>&1; then
	cat "$T/badpin.out" >&2
	fail "pkcs15-tool accepted a wrong PIN"
fi
run_logged verifypin opensc_env pkcs15-tool --verify-pin --pin env:E2E_USER_PIN
run_logged changepin opensc_env pkcs15-tool --change-pin --pin env:E2E_USER_PIN \
	--new-pin env:E2E_NEW_PIN
if opensc_env pkcs15-tool --verify-pin --pin env:E2E_USER_PIN >"$T/oldpin.out" 2>&1; then
	cat "$T/oldpin.out" >&2
	fail "the old PIN still verifies after pkcs15-tool --change-pin"
fi
run_logged verifynew opensc_env pkcs15-tool --verify-pin --pin env:E2E_NEW_PIN

note "OpenSC's module signs with key $ID under the changed PIN"
head -c 1000 /dev/urandom >"$T/data"
run_logged sign opensc_env pkcs11-tool --module "$OPENSC_MODULE" --login --pin env:E2E_NEW_PIN \
	--sign -m SHA256-RSA-PKCS --id "$ID" -i "$T/data" -o "$T/sig"
openssl x509 -in "$T/cert.pem" -noout -pubkey >"$T/cert.pub.pem" || fail "no public key in the certificate"
verify_sig "$T/cert.pub.pem" "$T/data" "$T/sig"

# ukey's C_InitToken makes the SO PIN the PKCS#15 PUK (reference 2), as
# pkcs15-init -P --puk does: OpenSC must unblock the user PIN with it.
# OpenSC's entersafe unblock ignores the card's status words (it exits 0
# even with a wrong PUK), so only a later --verify-pin proves the outcome.
note "OpenSC: unblock ukey's user PIN with the SO PIN as PUK (a wrong PUK changes nothing)"
E2E_BAD_PUK=${E2E_SO_PIN%?}$(if [ "${E2E_SO_PIN#"${E2E_SO_PIN%?}"}" = 0 ]; then echo 1; else echo 0; fi)
export E2E_BAD_PUK
opensc_env pkcs15-tool --unblock-pin --puk env:E2E_BAD_PUK --new-pin env:E2E_USER_PIN \
	>"$T/badpuk.out" 2>&1 || true
if opensc_env pkcs15-tool --verify-pin --pin env:E2E_USER_PIN >"$T/badpuk-verify.out" 2>&1; then
	cat "$T/badpuk.out" "$T/badpuk-verify.out" >&2
	fail "an unblock with a wrong PUK set the user PIN"
fi
run_logged unblock opensc_env pkcs15-tool --unblock-pin --puk env:E2E_SO_PIN \
	--new-pin env:E2E_USER_PIN
run_logged verifyback opensc_env pkcs15-tool --verify-pin --pin env:E2E_USER_PIN

note "ukey logs in with the PIN OpenSC set and signs"
run_logged ukeysign p11 --login --pin env:E2E_USER_PIN --sign -m SHA256-RSA-PKCS --id "$ID" \
	-i "$T/data" -o "$T/sig2"
verify_sig "$T/cert.pub.pem" "$T/data" "$T/sig2"
echo "e2e_interop_ukey_init_to_opensc: OK"
