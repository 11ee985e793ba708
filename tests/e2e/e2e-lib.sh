# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared glue for the e2e shell tests (sourced, not run). Each test runs
# inside pcsc-run: private pcscd, UKEY_TEST_TMP scratch dir, private HOME.
#
# The caller sets MODULE (the PKCS#11 module under test) and SECRETS (the
# token's secrets file: user_pin=…, so_pin=…) before sourcing.

set -eu

E2E_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
OPENSC_MODULE=${OPENSC_MODULE:-/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so}
# Debian's OpenSC 0.23 needs the legacy provider (single DES) for FTCOS
# secure messaging; only OpenSC's own tools get this config.
OPENSC_OPENSSL_CONF=$E2E_DIR/openssl-legacy.cnf

# Sanitizer builds: the applications below load an instrumented module.
if [ -n "${UKEY_E2E_PRELOAD:-}" ]; then
	export LD_PRELOAD="$UKEY_E2E_PRELOAD"
	export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
fi

T=${UKEY_TEST_TMP:?run this test under tests/harness/pcsc-run}
cd "$T"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "--- $*" >&2
}

# secret KEY: value of KEY= in the secrets file (never echoed).
secret() {
	sed -n "s/^$1=//p" "$SECRETS" | head -n 1
}

# run_logged NAME CMD…: run CMD with its output in $T/NAME.out; on failure
# print that output and fail. The output file stays for later greps.
run_logged() {
	_name=$1
	shift
	if ! "$@" >"$T/$_name.out" 2>&1; then
		cat "$T/$_name.out" >&2
		fail "$_name: '$1' exited with an error"
	fi
}

# expect_grep NAME PATTERN WHAT: PATTERN (extended regexp) must be in NAME.out.
expect_grep() {
	if ! grep -Eq -- "$2" "$T/$1.out"; then
		cat "$T/$1.out" >&2
		fail "$3 (no /$2/ in the output of $1)"
	fi
}

# expect_fixed NAME STRING WHAT: like expect_grep, STRING taken literally
# (token labels may hold regexp characters).
expect_fixed() {
	if ! grep -Fq -- "$2" "$T/$1.out"; then
		cat "$T/$1.out" >&2
		fail "$3 (no '$2' in the output of $1)"
	fi
}

# p11 ARGS…: pkcs11-tool on the module under test (OpenSC's own module,
# used to validate these tests, needs its legacy-provider config).
p11() {
	if [ "$MODULE" = "$OPENSC_MODULE" ]; then
		OPENSSL_CONF=$OPENSC_OPENSSL_CONF pkcs11-tool --module "$MODULE" "$@"
	else
		pkcs11-tool --module "$MODULE" "$@"
	fi
}

# opensc_env CMD…: run an OpenSC tool with the legacy-provider config.
opensc_env() {
	OPENSSL_CONF=$OPENSC_OPENSSL_CONF "$@"
}

# first_id TYPE: hex CKA_ID of the first object of TYPE (cert, pubkey,
# privkey — privkey needs the PIN in the exported $PIN) as pkcs11-tool lists it.
first_id() {
	if [ "$1" = privkey ]; then
		p11 -O --type privkey --login --pin env:PIN 2>/dev/null
	else
		p11 -O --type "$1" 2>/dev/null
	fi | sed -n 's/^[[:space:]]*ID:[[:space:]]*\([0-9a-fA-F]*\).*/\1/p' | head -n 1
}

# pct_id HEX: the id as a PKCS#11 URI path attribute value (%01%02…).
pct_id() {
	echo "$1" | sed 's/../%&/g'
}

# export_cert ID OUT.pem: the certificate with CKA_ID ID, read through the
# module under test, as PEM; OUT.pub.pem gets its public key.
export_cert() {
	p11 --read-object --type cert --id "$1" -o "$T/cert.der" >/dev/null 2>&1 ||
		fail "cannot read certificate $1 through the module"
	openssl x509 -inform DER -in "$T/cert.der" -out "$2" ||
		fail "certificate $1 is not DER X.509"
	openssl x509 -in "$2" -noout -pubkey >"${2%.pem}.pub.pem" ||
		fail "no public key in certificate $1"
}

# make_ca: a throw-away test CA in $T/ca.{key,pem}.
make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" \
		-subj "/CN=ukey e2e test CA" -days 2 -out "$T/ca.pem" 2>/dev/null ||
		fail "cannot make the test CA"
}

# cert_for_pubkey PUB.pem CN OUT.pem: a CA-signed certificate for a public
# key whose private half is on the token (the CSR is only a carrier,
# signed by the CA key; -force_pubkey puts the token's key in).
cert_for_pubkey() {
	if ! openssl req -new -key "$T/ca.key" -subj "/CN=$2" -out "$T/carrier.csr" 2>/dev/null ||
		! openssl x509 -req -in "$T/carrier.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
			-CAcreateserial -days 2 -force_pubkey "$1" -out "$3" 2>/dev/null; then
		fail "cannot issue a certificate for $1"
	fi
}

# verify_sig PUB.pem DATA SIG: RSASSA-PKCS1-v1_5 SHA-256, checked by OpenSSL.
verify_sig() {
	openssl dgst -sha256 -verify "$1" -signature "$3" "$2" >"$T/verify.out" 2>&1 ||
		{ cat "$T/verify.out" >&2; fail "signature $3 does not verify with $1"; }
	grep -q "Verified OK" "$T/verify.out" || fail "openssl did not say Verified OK"
}

# same_pubkey A.pem B.pem: both files hold the same public key.
same_pubkey() {
	_a=$(openssl pkey -pubin -in "$1" -outform DER | od -An -tx1 | tr -d ' \n')
	_b=$(openssl pkey -pubin -in "$2" -outform DER | od -An -tx1 | tr -d ' \n')
	[ -n "$_a" ] && [ "$_a" = "$_b" ]
}
