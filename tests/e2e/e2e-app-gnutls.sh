#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_app_gnutls MODULE SECRETS — GnuTLS's p11tool lists the token's
# objects and signs with the private key (--test-sign, PIN via GNUTLS_PIN).
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
. "$E2E_DIR/e2e-app-common.sh"

run_logged listall p11tool --provider "$MODULE" --list-all </dev/null
expect_grep listall "Type: X\.509 Certificate" "p11tool lists no certificate"
expect_grep listall "Type: Public key" "p11tool lists no public key"
expect_grep listall "ID: $(echo "$ID" | sed 's/../&:/g; s/:$//')" "p11tool does not show the certificate's id"

export GNUTLS_PIN="$PIN"
run_logged privs p11tool --provider "$MODULE" --login --list-privkeys </dev/null
url=$(sed -n 's/^[[:space:]]*URL:[[:space:]]*\(pkcs11:.*type=private.*\)$/\1/p' "$T/privs.out" | head -n 1)
[ -n "$url" ] || { cat "$T/privs.out" >&2; fail "p11tool lists no private key URL"; }
# --test-sign looks for the public key with the URL's attributes and
# type=public; key pairs often carry different labels, so select by id.
url=$(echo "$url" | sed 's/;object=[^;]*//')

run_logged testsign p11tool --provider "$MODULE" --login --test-sign "$url" </dev/null
expect_grep testsign "Signing using RSA-SHA256\.\.\. ok" "p11tool --test-sign did not sign"
expect_grep testsign "Verifying against public key in the token\.\.\. ok" "p11tool --test-sign: signature did not verify"
unset GNUTLS_PIN
echo "e2e_app_gnutls: OK"
