#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_app_openssl MODULE SECRETS — OpenSSL through libp11's pkcs11 engine:
# a CSR signed on the token verifies, and `openssl dgst -sign` with the
# token key verifies with the certificate's public key.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
. "$E2E_DIR/e2e-app-common.sh"

ENGINE=${UKEY_PKCS11_ENGINE:-/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so}
[ -r "$ENGINE" ] || fail "libp11 engine $ENGINE missing (libengine-pkcs11-openssl)"
umask 077
# The PIN lives in this private config only (not on a command line).
cat >"$T/engine.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $MODULE
PIN = $PIN
init = 0
CNF
uri="pkcs11:id=$(pct_id "$ID");type=private"

note "openssl req -new with the token key"
run_logged req env OPENSSL_CONF="$T/engine.cnf" openssl req -new -engine pkcs11 -keyform engine \
	-key "$uri" -subj "/CN=e2e openssl engine" -out "$T/csr.pem"
run_logged reqverify openssl req -verify -in "$T/csr.pem" -noout
expect_grep reqverify "verify OK" "the CSR's self-signature does not verify"
openssl req -in "$T/csr.pem" -noout -pubkey >"$T/csr.pub.pem"
same_pubkey "$T/csr.pub.pem" "$CERTPUB" || fail "the CSR carries a different key than the certificate"

note "openssl dgst -sign with the token key"
run_logged dgst env OPENSSL_CONF="$T/engine.cnf" openssl dgst -sha256 -engine pkcs11 -keyform engine \
	-sign "$uri" -out "$T/sig" "$T/data"
verify_sig "$CERTPUB" "$T/data" "$T/sig"
rm -f "$T/engine.cnf"
echo "e2e_app_openssl: OK"
