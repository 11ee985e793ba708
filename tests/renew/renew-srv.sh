#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-srv.sh CASE — ukey-renew against servers other than the plain test
# CA, and its command line (issue 7: OpenSSL's CMP mock server, HTTPS with
# client authentication and its failures, the CLI contract).
#
#   mock  OpenSSL's own mock server (openssl cmp -port): rejection with its
#         text (exit 20), an error message (exit 20: the CA said no, see
#         below), waiting then accepted (exit 0, renewed).
#   tls   ukey-testca over HTTPS with client authentication by the token
#         key: renews; untrusted server root, wrong IP in the server
#         certificate, plain http to the TLS port, nothing listening: 31,
#         and nothing written to the token.
#   cli   --dry-run, --verbose (the PIN never shown), module load errors,
#         bad configuration, Chinese, renew --if-due, PIN arguments
#         refused, trust add/list/remove, state file mode, status --json.
#
# Environment as renew-e2e.sh: RENEW, TESTCA, MODULE, SECRETS, W (with the
# root ca.pem/ca.key that issued the token's certificate), UKEY_TEST_STATE
# (the virtual token's state file, empty on SoftHSM). Runs in a private
# network namespace: every server binds 127.0.0.1 there (the mock server
# binds all interfaces of that namespace only).
set -eu
CASE=$1
D=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$D/renew-lib.sh"
. "$D/renew-token.sh"
MOCK_PID=
cleanup() {
	rl_stop_ca
	mock_stop
}
trap cleanup EXIT
UKEY_TEST_PIN=$(sed -n 's/^user_pin=//p' "$SECRETS" | head -n 1)
export UKEY_TEST_PIN
rl_env
tok_snapshot old
[ -z "${UKEY_TEST_STATE:-}" ] || cp "$UKEY_TEST_STATE" "$W/token.before"

# token_unchanged WHAT: the certificate on the token is still the old one
# (and the virtual token's state is byte for byte what it was).
token_unchanged() {
	if [ -n "${UKEY_TEST_STATE:-}" ]; then
		cmp -s "$UKEY_TEST_STATE" "$W/token.before" || fail "$1: the token was changed"
	fi
	tok_snapshot after
	cmp -s "$W/old.pem" "$W/after.pem" || fail "$1: certificate changed"
}

# want TEXT: the last output contains TEXT (fixed string).
want() {
	grep -qF -- "$1" "$W/last.out" || { cat "$W/last.out" >&2; fail "output lacks '$1'"; }
}
# show [N]: the last output's first N lines on stderr, for the test log.
show() {
	sed -n "1,${1:-40}p" "$W/last.out" | sed 's/^/    | /' >&2
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listen PORT: until something listens on 127.0.0.1:PORT (or 0.0.0.0).
wait_listen() {
	i=0
	while ! ss -ltnH "sport = :$1" | grep -q .; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "nothing listens on port $1"
		sleep 0.05
	done
}

# mock_start [openssl cmp mock options…]: OpenSSL's CMP mock server, its
# answers signed by the test root, returning $W/mock-rsp.pem; log in
# $W/mock.log; $W/renew.conf points at it.
mock_start() {
	mock_stop
	MOCK_PORT=$(free_port)
	OPENSSL_CONF=/dev/null openssl cmp -port "$MOCK_PORT" \
		-srv_cert "$W/ca.pem" -srv_key "$W/ca.key" -srv_trusted "$W/ca.pem" \
		-rsp_cert "$W/mock-rsp.pem" -rsp_capubs "$W/ca.pem" "$@" >"$W/mock.log" 2>&1 &
	MOCK_PID=$!
	wait_listen "$MOCK_PORT"
	rl_conf "http://127.0.0.1:$MOCK_PORT/pkix/"
}
mock_stop() {
	if [ -n "$MOCK_PID" ]; then
		kill -TERM "$MOCK_PID" 2>/dev/null || true
		wait "$MOCK_PID" 2>/dev/null || true
		MOCK_PID=
	fi
}

# mock_rsp_cert DAYS: the certificate the mock returns for "accepted": the
# token's own certificate re-issued by the test root with DAYS of validity
# from now: same key, subject, issuer and serial (the mock checks the
# oldCertId of a kur against it), later notAfter.
mock_rsp_cert() {
	serial=$(openssl x509 -in "$W/old.pem" -noout -serial | sed 's/^serial=//')
	subj=$(openssl x509 -in "$W/old.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
	openssl x509 -in "$W/old.pem" -noout -pubkey >"$W/old.pub.pem"
	printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' \
		>"$W/mock.ext"
	openssl x509 -new -subj "$subj" -force_pubkey "$W/old.pub.pem" -CA "$W/ca.pem" \
		-CAkey "$W/ca.key" -set_serial "0x$serial" -days "$1" -extfile "$W/mock.ext" \
		-out "$W/mock-rsp.pem" 2>"$W/x509.err" ||
		{ cat "$W/x509.err" >&2; fail "cannot make the mock's certificate"; }
}

case_mock() {
	mock_rsp_cert 400
	note "mock: rejection"
	mock_start -pkistatus 2 -failure 23 -statusstring "more than 180 days of validity left (mock)"
	expect 20 renew --pin-env UKEY_TEST_PIN
	show
	want "more than 180 days of validity left (mock)"
	token_unchanged "mock rejection"

	note "mock: error message"
	mock_start -send_error
	set +e; ur renew --pin-env UKEY_TEST_PIN >"$W/last.out" 2>&1; rc=$?; set -e
	show
	note "exit $rc"
	token_unchanged "mock error"

	note "mock: waiting, then accepted"
	mock_start -poll_count 2 -check_after 1
	expect 0 renew --pin-env UKEY_TEST_PIN
	show
	want "renewal succeeded"
	tok_check_renewed
	cmp -s "$W/new.pem" "$W/mock-rsp.pem" || fail "the token does not hold the mock's certificate"
}

case $CASE in
mock) case_mock ;;
*) fail "unknown case $CASE" ;;
esac
echo "PASS $CASE"
