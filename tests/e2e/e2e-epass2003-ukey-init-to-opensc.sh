#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_epass2003_ukey_init_to_opensc MODULE SECRETS — ukey alone
# personalises a BLANK virtual ePass2003 (C_InitToken: erase + the PKCS#15
# application of OpenSC's epass2003 profile; C_InitPIN; RSA-2048 key pair;
# certificate); then OpenSC alone uses it: pkcs15-tool lists the PIN, the
# key and the identical certificate, checks ukey's PIN (a wrong one is
# refused), and OpenSC's module signs with the key (verified by openssl).
# A second C_InitToken erases it all again.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
SO=$(secret so_pin)
BAD=000000
export PIN SO BAD # tools read them as env:…, never from their command line
if [ -z "$PIN" ] || [ -z "$SO" ]; then fail "user_pin/so_pin missing in $SECRETS"; fi
ID=03
LABEL=e2e-e3-ukey-init

note "the blank card shows as an uninitialised token"
run_logged slots p11 -L
expect_grep slots "token state:[[:space:]]*uninitialized" "the blank card is not shown as an uninitialised token"

note "ukey: C_InitToken, C_InitPIN"
run_logged inittoken p11 --init-token --label "$LABEL" --so-pin env:SO
run_logged initpin p11 --init-pin --login --login-type so --so-pin env:SO --new-pin env:PIN
run_logged slots2 p11 -L
expect_fixed slots2 "$LABEL" "token label not set by C_InitToken"
expect_grep slots2 "token flags[[:space:]]*:.*PIN initialized" "CKF_USER_PIN_INITIALIZED not set after C_InitPIN"

note "ukey: RSA-2048 key pair (id $ID) and its certificate"
run_logged keygen p11 --login --pin env:PIN --keypairgen --key-type rsa:2048 --id "$ID" --label e2e-init-key
run_logged readpub p11 --read-object --type pubkey --id "$ID" -o "$T/pub.der"
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem" || fail "public key $ID is not SPKI DER"
make_ca
cert_for_pubkey "$T/pub.pem" "e2e ukey-initialised epass2003" "$T/cert.pem"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der" || fail "cannot convert the certificate"
run_logged writecert p11 --login --pin env:PIN --write-object "$T/cert.der" --type cert --id "$ID" \
	--label e2e-init-cert

# From here on only OpenSC touches the token.
note "OpenSC: pkcs15-tool -D lists ukey's PIN, key and certificate"
run_logged dump opensc_env pkcs15-tool -D
expect_fixed dump "$LABEL" "pkcs15-tool -D does not show the token label"
expect_grep dump "^PIN \[" "pkcs15-tool -D lists no PIN"
expect_grep dump "Private RSA Key \[e2e-init-key\]" "pkcs15-tool -D does not show ukey's private key"
expect_grep dump "X.509 Certificate \[e2e-init-cert\]" "pkcs15-tool -D does not show ukey's certificate"
run_logged p15cert opensc_env pkcs15-tool --read-certificate "$ID" -o "$T/opensc-cert.pem"
openssl x509 -in "$T/opensc-cert.pem" -outform DER | cmp -s - "$T/cert.der" ||
	fail "certificate read by OpenSC differs from the one ukey wrote"

note "OpenSC: verify ukey's user PIN"
if opensc_env pkcs15-tool --verify-pin --pin env:BAD >"$T/badpin.out" 2>&1; then
	cat "$T/badpin.out" >&2
	fail "pkcs15-tool accepted a wrong PIN"
fi
run_logged verifypin opensc_env pkcs15-tool --verify-pin --pin env:PIN

note "OpenSC's module signs with ukey's key"
head -c 1000 /dev/urandom >"$T/data"
run_logged sign opensc_env pkcs11-tool --module "$OPENSC_MODULE" --login --pin env:PIN \
	--sign -m SHA256-RSA-PKCS --id "$ID" -i "$T/data" -o "$T/sig"
verify_sig "$T/pub.pem" "$T/data" "$T/sig"

note "C_InitToken again erases the personalised card"
run_logged reinit p11 --init-token --label e2e-e3-again --so-pin env:SO
run_logged slots3 p11 -L
expect_fixed slots3 "e2e-e3-again" "token label not set by the second C_InitToken"
run_logged objs3 p11 -O
if grep -q "Certificate Object" "$T/objs3.out"; then fail "a certificate survived C_InitToken"; fi
echo "e2e_epass2003_ukey_init_to_opensc: OK"
