#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_pkcs11_tool_test MODULE SECRETS — OpenSC's generic PKCS#11 self-test
# (`pkcs11-tool --test --login`) against a personalised token.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
export PIN # tools read it as env:PIN, never from their command line
[ -n "$PIN" ] || fail "no user_pin in $SECRETS"

note "token and objects"
run_logged list p11 -L
expect_grep list "token label[[:space:]]*:" "no token listed"
expect_grep list "PIN initialized" "token does not report an initialised PIN"

note "pkcs11-tool --test --login"
# pkcs11-tool takes the PIN only as an argument; it lives for this one
# short command inside the test's private PID namespace.
run_logged selftest p11 --test --login --pin env:PIN
expect_grep selftest "^No errors" "pkcs11-tool --test reported errors"
# The self-test must really have signed with the token's RSA key.
expect_grep selftest "RSA-PKCS: OK|SHA256-RSA-PKCS: OK" "no RSA signature was tested"
if grep -v "^No errors" "$T/selftest.out" | grep -Eiq "ERR|failed|error"; then
	cat "$T/selftest.out" >&2
	fail "pkcs11-tool --test printed an error"
fi
echo "e2e_pkcs11_tool_test: OK"
