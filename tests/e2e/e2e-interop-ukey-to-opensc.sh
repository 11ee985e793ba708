#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_interop_ukey_to_opensc MODULE SECRETS — on a card OpenSC has
# initialised, a key pair generated and a certificate written through ukey
# must be read by OpenSC (pkcs15-tool -D) and OpenSC's module must sign
# with that key.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
export PIN # tools read it as env:PIN, never from their command line
[ -n "$PIN" ] || fail "no user_pin in $SECRETS"

# The token starts as OpenSC's pkcs15-init leaves a fresh card: PKCS#15
# structure and PINs, no keys (key records for kids 1..9 installed).
PUK=$(secret so_pin)
export PUK
note "OpenSC initialises a blank card (structure + PINs, no key)"
run_logged p15create opensc_env pkcs15-init -C --no-so-pin --label "e2e-ukey2opensc"
run_logged p15pin opensc_env pkcs15-init -P -a 01 --pin env:PIN --puk env:PUK --label UserPIN

note "ukey generates an RSA-2048 key pair on the card (id 02)"
run_logged keygen p11 --login --pin env:PIN --keypairgen --key-type rsa:2048 --id 02 --label e2e-ukey-key
p11 --read-object --type pubkey --id 02 -o "$T/pub.der" >/dev/null 2>&1 || fail "cannot read the new public key"
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem" || fail "new public key is not SPKI DER"
openssl pkey -pubin -in "$T/pub.pem" -noout -text | grep -q "Public-Key: (2048 bit)" || fail "new key is not 2048 bits"

note "ukey writes the certificate (id 02)"
make_ca
cert_for_pubkey "$T/pub.pem" "e2e ukey key" "$T/cert.pem"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der"
run_logged writecert p11 --login --pin env:PIN --write-object "$T/cert.der" --type cert --id 02 --label e2e-ukey-cert

note "OpenSC reads the PKCS#15 structure"
run_logged dump opensc_env pkcs15-tool -D
expect_grep dump "X.509 Certificate \[e2e-ukey-cert\]" "pkcs15-tool -D does not show ukey's certificate"
expect_grep dump "Private RSA Key \[e2e-ukey-key\]" "pkcs15-tool -D does not show ukey's private key"
expect_grep dump "ID[[:space:]]*:[[:space:]]*02" "pkcs15-tool -D shows no object with ID 02"
run_logged p15cert opensc_env pkcs15-tool --read-certificate 02 -o "$T/opensc-cert.pem"
openssl x509 -in "$T/opensc-cert.pem" -outform DER | cmp -s - "$T/cert.der" ||
	fail "certificate read by OpenSC differs from the one ukey wrote"

note "OpenSC's module signs with ukey's key"
head -c 1000 /dev/urandom >"$T/data"
run_logged sign opensc_env pkcs11-tool --module "$OPENSC_MODULE" --login --pin env:PIN \
	--sign -m SHA256-RSA-PKCS --id 02 -i "$T/data" -o "$T/sig"
verify_sig "$T/pub.pem" "$T/data" "$T/sig"
echo "e2e_interop_ukey_to_opensc: OK"
