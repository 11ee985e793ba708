#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_epass2003_ukey_to_opensc MODULE SECRETS — on a virtual ePass2003 that
# OpenSC's pkcs15-init has erased and given a PKCS#15 application (PIN and
# PUK, no key), ukey generates an RSA-2048 key pair and writes a
# certificate; OpenSC reads both and its module signs with ukey's key,
# verified by openssl.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
PUK=$(secret so_pin)
export PIN PUK # tools read them as env:…, never from their command line
if [ -z "$PIN" ] || [ -z "$PUK" ]; then fail "user_pin/so_pin missing in $SECRETS"; fi

note "OpenSC erases a blank card, creates PKCS#15 (PIN + PUK, no key)"
run_logged p15erase opensc_env pkcs15-init -E
run_logged p15create opensc_env pkcs15-init -C --profile pkcs15+onepin --pin env:PIN \
	--puk env:PUK --label e2e-ukey2opensc-e3

note "ukey generates an RSA-2048 key pair on the card (id 02)"
run_logged keygen p11 --login --pin env:PIN --keypairgen --key-type rsa:2048 --id 02 --label e2e-ukey-key
p11 --read-object --type pubkey --id 02 -o "$T/pub.der" >/dev/null 2>&1 || fail "cannot read the new public key"
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem" || fail "new public key is not SPKI DER"
openssl pkey -pubin -in "$T/pub.pem" -noout -text | grep -q "Public-Key: (2048 bit)" || fail "new key is not 2048 bits"

note "ukey writes the certificate (id 02)"
make_ca
cert_for_pubkey "$T/pub.pem" "e2e ukey epass2003 key" "$T/cert.pem"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der"
run_logged writecert p11 --login --pin env:PIN --write-object "$T/cert.der" --type cert --id 02 --label e2e-ukey-cert

note "ukey itself signs with the new key"
head -c 1000 /dev/urandom >"$T/data"
run_logged usign p11 --login --pin env:PIN --sign -m SHA256-RSA-PKCS --id 02 -i "$T/data" -o "$T/usig"
verify_sig "$T/pub.pem" "$T/data" "$T/usig"

note "OpenSC reads the PKCS#15 structure"
run_logged dump opensc_env pkcs15-tool -D
expect_grep dump "X.509 Certificate \[e2e-ukey-cert\]" "pkcs15-tool -D does not show ukey's certificate"
expect_grep dump "Private RSA Key \[e2e-ukey-key\]" "pkcs15-tool -D does not show ukey's private key"
run_logged p15cert opensc_env pkcs15-tool --read-certificate 02 -o "$T/opensc-cert.pem"
openssl x509 -in "$T/opensc-cert.pem" -outform DER | cmp -s - "$T/cert.der" ||
	fail "certificate read by OpenSC differs from the one ukey wrote"

note "OpenSC's module signs with ukey's key"
run_logged sign opensc_env pkcs11-tool --module "$OPENSC_MODULE" --login --pin env:PIN \
	--sign -m SHA256-RSA-PKCS --id 02 -i "$T/data" -o "$T/sig"
verify_sig "$T/pub.pem" "$T/data" "$T/sig"
echo "e2e_epass2003_ukey_to_opensc: OK"
