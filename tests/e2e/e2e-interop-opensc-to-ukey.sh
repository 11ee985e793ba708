#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_interop_opensc_to_ukey MODULE SECRETS — a blank token personalised
# by OpenSC's pkcs15-init (create, PIN, RSA-2048 on the card, certificate)
# must be listed by ukey, and ukey must sign with OpenSC's key.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
export PIN # tools read it as env:PIN, never from their command line
PUK=$(secret so_pin)
export PUK
if [ -z "$PIN" ] || [ -z "$PUK" ]; then fail "user_pin/so_pin missing in $SECRETS"; fi

note "OpenSC sees an entersafe card"
run_logged name opensc_env opensc-tool -n
expect_grep name "^entersafe" "OpenSC does not take the virtual token for entersafe"

note "pkcs15-init: create, PIN, key, certificate"
run_logged p15create opensc_env pkcs15-init -C --no-so-pin --label "e2e-opensc"
run_logged p15pin opensc_env pkcs15-init -P -a 01 --pin env:PIN --puk env:PUK --label UserPIN
run_logged p15key opensc_env pkcs15-init -G rsa/2048 -a 01 -i 01 --pin env:PIN -u sign,decrypt --label e2e-opensc-key
run_logged p15pub opensc_env pkcs15-tool --read-public-key 01 -o "$T/opensc-pub.pem"
make_ca
cert_for_pubkey "$T/opensc-pub.pem" "e2e opensc key" "$T/cert.pem"
run_logged p15cert opensc_env pkcs15-init -X "$T/cert.pem" -i 01 -a 01 --pin env:PIN --label e2e-opensc-cert

note "ukey lists OpenSC's objects"
run_logged list p11 -O
expect_grep list "Certificate Object" "ukey lists no certificate"
expect_grep list "Public Key Object; RSA 2048" "ukey lists no 2048-bit public key"
expect_grep list "ID:[[:space:]]*01" "ukey does not show CKA_ID 01"
run_logged listpriv p11 -O --login --pin env:PIN
expect_grep listpriv "Private Key Object; RSA" "ukey lists no private key after login"
expect_grep list "label:[[:space:]]*e2e-opensc-cert" "certificate label not shown"

note "ukey reads the same certificate and public key"
export_cert 01 "$T/ukey-cert.pem"
cmp -s "$T/ukey-cert.pem" "$T/cert.pem" || fail "certificate read by ukey differs from the one OpenSC stored"
p11 --read-object --type pubkey --id 01 -o "$T/ukey-pub.der" >/dev/null 2>&1 || fail "ukey cannot read public key 01"
openssl pkey -pubin -inform DER -in "$T/ukey-pub.der" -out "$T/ukey-pub.pem" || fail "public key 01 is not SPKI DER"
same_pubkey "$T/ukey-pub.pem" "$T/opensc-pub.pem" || fail "ukey's public key 01 differs from OpenSC's"

note "ukey signs with OpenSC's key"
head -c 1000 /dev/urandom >"$T/data"
run_logged sign p11 --login --pin env:PIN --sign -m SHA256-RSA-PKCS --id 01 -i "$T/data" -o "$T/sig"
verify_sig "$T/ukey-cert.pub.pem" "$T/data" "$T/sig"
echo "e2e_interop_opensc_to_ukey: OK"
