#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-srv.sh CASE — ukey-renew against servers other than the plain test
# CA, and its command line (issue 7: OpenSSL's CMP mock server, HTTPS with
# client authentication and its failures, the CLI contract).
#
#   mock  OpenSSL's own mock server (openssl cmp -port): rejection with its
#         text (exit 20), an error message (exit 20: the CA said no, see
#         MOCK_ERROR_RC below), waiting then accepted (exit 0, renewed).
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

# The mock's -send_error answers a CMP error message (PKIStatus rejection,
# failInfo badRequest, text "error processing message"): the server failed
# to process the request, it did not decide on it. Issue 7's trouble list
# (manual 5.1, "login fails") files a CMP error with unreachable/TLS/HTTP
# problems: exit 31, with the CA's text.
MOCK_ERROR_RC=31

case_mock() {
	mock_rsp_cert 400
	note "mock: rejection"
	mock_start -pkistatus 2 -failure 23 -statusstring "more than 180 days of validity left (mock)"
	expect 20 --verbose renew --pin-env UKEY_TEST_PIN
	grep -v '^  ·' "$W/last.out" | sed 's/^/    | /' >&2
	grep 'CMP recv' "$W/last.out" | sed 's/^/    | /' >&2
	want "The CA refused the renewal."
	want "The CA says: more than 180 days of validity left (mock)"
	want "CMP recv kup status=rejection"
	token_unchanged "mock rejection"
	if ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1; then fail "mock rejection: state file left"; fi

	note "mock: error message"
	mock_start -send_error
	expect "$MOCK_ERROR_RC" --verbose renew --pin-env UKEY_TEST_PIN
	grep -v '^  ·' "$W/last.out" | sed 's/^/    | /' >&2
	grep 'CMP recv' "$W/last.out" | sed 's/^/    | /' >&2
	want "error processing message"
	want "CMP recv error"
	token_unchanged "mock error"
	if ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1; then fail "mock error: state file left"; fi

	note "mock: waiting (two polls), then accepted"
	mock_start -poll_count 2 -check_after 1
	expect 0 --verbose renew --pin-env UKEY_TEST_PIN
	grep -v '^  ·' "$W/last.out" | sed 's/^/    | /' >&2
	grep 'CMP \(send\|recv\)' "$W/last.out" | sed 's/^/    | /' >&2
	want "renewal succeeded"
	want "CMP recv kup status=waiting"
	[ "$(grep -c 'CMP send pollReq' "$W/last.out")" -eq 2 ] || fail "mock: not two pollReq"
	want "CMP send certConf"
	tok_check_renewed
	cmp -s "$W/new.pem" "$W/mock-rsp.pem" || fail "the token does not hold the mock's certificate"
}

# tls_cert NAME ISSUER SAN: a TLS server certificate $W/NAME.pem (key
# $W/NAME.key) issued by $W/ISSUER.pem with subjectAltName SAN.
tls_cert() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$W/$1.key" -subj "/CN=ukey test CA server" \
		-out "$W/$1.csr" 2>/dev/null
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
		"$3" >"$W/$1.ext"
	openssl x509 -req -in "$W/$1.csr" -CA "$W/$2.pem" -CAkey "$W/$2.key" -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' ')" \
		-days 30 -extfile "$W/$1.ext" -out "$W/$1.pem" 2>/dev/null || fail "cannot make $1.pem"
}

# tls_refused WHAT CODE TEXT: ukey-renew renew exits CODE naming TEXT, no
# request reached the CA, and nothing was written.
tls_refused() {
	expect "$2" renew --pin-env UKEY_TEST_PIN
	show
	want "$3"
	if grep -q 'body=kur' "$W/ca.log" 2>/dev/null; then fail "$1: a request reached the CA"; fi
	token_unchanged "$1"
	if ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1; then fail "$1: state file left"; fi
}

# tls_ca NAME [ukey-testca options…]: the test CA over HTTPS with the
# server certificate NAME, asking for a client certificate from the root.
tls_ca() {
	n=$1
	shift
	rl_start_ca --tls-cert "$W/$n.pem" --tls-key "$W/$n.key" --tls-client-ca "$W/ca.pem" "$@"
	rl_conf "https://127.0.0.1:$CA_PORT/pkix/"
}

case_tls() {
	mkdir -p "$W/other"
	rl_ca "$W/other"
	cp "$W/other/ca.pem" "$W/other.pem"
	cp "$W/other/ca.key" "$W/other.key"
	tls_cert tls ca IP:127.0.0.1
	tls_cert tls-untrusted other IP:127.0.0.1
	tls_cert tls-wrongip ca "IP:127.0.0.2,DNS:ca.example.cn"

	note "tls: server certificate from an untrusted root"
	tls_ca tls-untrusted
	tls_refused untrusted 31 "server certificate not trusted"

	note "tls: server certificate for another IP address"
	tls_ca tls-wrongip
	tls_refused wrong-ip 31 "server certificate not trusted"

	note "tls: plain http to the TLS port"
	tls_ca tls
	rl_conf "http://127.0.0.1:$CA_PORT/pkix/"
	tls_refused plain-http 31 "connection dropped by the server"

	note "tls: nothing listening"
	port=$CA_PORT
	rl_stop_ca
	rl_conf "https://127.0.0.1:$port/pkix/"
	tls_refused unreachable 31 "connection refused"

	note "tls: renewal over HTTPS, the token key authenticates the client"
	tls_ca tls --check-after 1 --wait-seconds 1
	expect 0 --verbose renew --pin-env UKEY_TEST_PIN
	grep -v '^  ·' "$W/last.out" | sed 's/^/    | /' >&2
	want "renewal succeeded"
	note "token signatures (TLS client authentication and CMP):"
	grep -E 'C_SignInit|HTTP POST' "$W/last.out" | head -n 6 | sed 's/^/    | /' >&2
	subj=$(openssl x509 -in "$W/old.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
	grep -F "[tls-client $subj]" "$W/ca.log" | grep -q 'body=kur' ||
		{ cat "$W/ca.log" >&2; fail "the CA did not see the token's client certificate"; }
	sed 's/^/    ca.log: /' "$W/ca.log" >&2
	tok_check_renewed
	cp "$W/new.pem" "$W/old.pem"
	[ -z "${UKEY_TEST_STATE:-}" ] || cp "$UKEY_TEST_STATE" "$W/token.before"

	# The answer read over TLS is checked like any other: garbage is
	# refused (30), a dropped connection is a network failure (31).
	for m in garbage:30 truncated:30 drop:31 http500:31; do
		mode=${m%:*} code=${m#*:}
		tls_ca tls --refuse-days -1 --misbehave "$mode"
		expect "$code" renew --pin-env UKEY_TEST_PIN
		note "https $mode: exit $code, $(grep 'Detail:' "$W/last.out" | sed 's/^ *//')"
		token_unchanged "https $mode"
		if ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1; then fail "https $mode: state file left"; fi
	done
}

# keep: append the last output to $W/all.out (every output of the case,
# searched for the PIN at the end).
keep() {
	cat "$W/last.out" >>"$W/all.out"
}
# raw CODE ARGS…: "$RENEW" ARGS… (no default options), exit CODE.
raw() {
	want_rc=$1
	shift
	set +e
	"$RENEW" "$@" >"$W/last.out" 2>&1
	got=$?
	set -e
	keep
	[ "$got" -eq "$want_rc" ] || { cat "$W/last.out" >&2; fail "ukey-renew $* exited $got, expected $want_rc"; }
}
# one_line_error: the output is one "ukey-renew: …" line (the error) only.
one_line_error() {
	[ "$(grep -c . "$W/last.out")" -eq 1 ] || { cat "$W/last.out" >&2; fail "$1: not one line"; }
}
ca_requests() {
	grep -c 'body=' "$W/ca.log" 2>/dev/null || true
}
# json_contract: $W/last.out is a JSON array of objects with the README's
# fields and types.
json_contract() {
	python3 -m json.tool "$W/last.out" >/dev/null || fail "status --json is not JSON"
	python3 - "$W/last.out" <<'PY' || fail "status --json lacks contract fields"
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and a, a
S = ("token_label", "token_serial", "id", "label", "subject", "issuer", "serial",
     "not_before", "not_after")
for o in a:
    for k in S:
        assert isinstance(o[k], str), k
    assert isinstance(o["days_left"], int) and not isinstance(o["days_left"], bool)
    assert o["key_present"] in (True, False, None)
    for k in ("due", "expired", "pending"):
        assert isinstance(o[k], bool), k
    import re
    for k in ("not_before", "not_after"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", o[k]), o[k]
print("status --json:", ", ".join(sorted(a[0])), file=sys.stderr)
PY
}

case_cli() {
	: >"$W/all.out"
	conf="$W/renew.conf"
	note "cli: a PIN is never taken from the command line"
	for a in "--pin $UKEY_TEST_PIN" "--pin=$UKEY_TEST_PIN" "-p $UKEY_TEST_PIN" \
		"--user-pin $UKEY_TEST_PIN" "--password=$UKEY_TEST_PIN"; do
		# shellcheck disable=SC2086
		raw 1 --module "$MODULE" --config "$conf" apply $a
		want "a PIN is never accepted on the command line"
		if grep -q 'loading the PKCS#11 module' "$W/last.out"; then fail "$a: work started"; fi
	done
	show 2

	note "cli: modules that do not load are named with dlerror's text"
	raw 1 --config "$conf" --module /nonexistent.so status
	show
	want "/nonexistent.so: cannot open shared object file: No such file or directory"
	z=/lib/x86_64-linux-gnu/libz.so.1
	[ -e "$z" ] || z=$(ls /lib/*/libz.so.1 /usr/lib/*/libz.so.1 2>/dev/null | head -n 1)
	raw 1 --config "$conf" --module "$z" apply --pin-env UKEY_TEST_PIN
	show
	want "undefined symbol: C_GetFunctionList"

	note "cli: bad configuration is one line naming FILE:LINE"
	printf '# test\nserver = http://127.0.0.1:1/pkix/\ncolour = blue\n' >"$W/bad-key.conf"
	raw 1 --module "$MODULE" --config "$W/bad-key.conf" status
	one_line_error "unknown key"
	want "$W/bad-key.conf:3: unknown key 'colour'"
	show
	printf 'window_days = 12x\n' >"$W/bad-num.conf"
	raw 1 --module "$MODULE" --config "$W/bad-num.conf" status
	one_line_error "bad number"
	want "$W/bad-num.conf:1:"
	want "12x"
	show
	printf 'wait_limit_minutes = 0\n' >"$W/bad-range.conf"
	raw 1 --module "$MODULE" --config "$W/bad-range.conf" status
	one_line_error "out of range"
	want "$W/bad-range.conf:1:"
	show

	note "cli: trust add with a wrong fingerprint, list, remove"
	fp=$(openssl x509 -in "$W/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	hex=$(printf '%s' "$fp" | tr -d ':' | tr 'A-F' 'a-f')
	bad=$(printf '%s' "$hex" | sed 's/^./0/; t; s/^/x/')
	[ "$bad" != "$hex" ] || bad=$(printf '%s' "$hex" | sed 's/^./1/')
	raw 1 --config "$conf" trust add "$W/ca.pem" --sha256 "$bad"
	show
	want "The root was not added"
	raw 0 --config "$conf" trust list
	show
	want "$hex"
	want "ukey renewal test root"
	raw 0 --config "$conf" trust remove "$fp"
	show
	raw 0 --config "$conf" trust list
	show
	if grep -q "$hex" "$W/last.out"; then fail "trust remove left the root"; fi
	[ -z "$(ls "$W/trust")" ] || fail "trust directory not empty: $(ls "$W/trust")"
	raw 0 --config "$conf" trust add "$W/ca.pem" --sha256 "$(printf '%s' "$fp" | tr 'A-F' 'a-f')"
	show
	[ -f "$W/trust/$hex.pem" ] || fail "trust add did not store $hex.pem"

	note "cli: status --json"
	rl_start_ca --wait-seconds 3 --check-after 1 --refuse-days -1
	expect 10 status --json
	keep
	json_contract

	note "cli: --dry-run apply and renew stop before the first message to the CA"
	for c in apply renew; do
		expect 0 --dry-run "$c" --pin-env UKEY_TEST_PIN
		keep
		show
		want "would send a key update request"
		want "Nothing was changed."
		[ "$(ca_requests)" -eq 0 ] || fail "dry-run $c: the CA got a request"
		token_unchanged "dry-run $c"
		if ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1; then fail "dry-run $c: state file"; fi
	done

	note "cli: --verbose apply (waiting): PKCS#11 calls and CMP messages"
	expect 11 --verbose apply --pin-env UKEY_TEST_PIN
	keep
	grep -E 'C_Login|C_Sign|CMP (send|recv)|HTTP POST' "$W/last.out" | head -n 8 | sed 's/^/    | /' >&2
	want "C_Login(session"
	want "<PIN withheld>"
	want "C_Sign(session"
	want "CMP send kur"
	want "CMP recv"
	grep -q 'CMP recv .*waiting' "$W/last.out" || fail "verbose: no waiting answer shown"
	f=$(ls "$W/state/ukey/"pending-*.state) || fail "no state file"
	[ "$(stat -c %a "$f")" = 600 ] || fail "state file mode $(stat -c %a "$f")"
	note "state file $(basename "$f"): mode $(stat -c %a "$f"), dir $(stat -c %a "$W/state/ukey")"

	note "cli: --dry-run install stops before polling"
	n=$(ca_requests)
	sleep 3
	expect 0 --dry-run install --pin-env UKEY_TEST_PIN
	keep
	show
	want "would poll"
	[ "$(ca_requests)" -eq "$n" ] || fail "dry-run install: the CA got a request"
	token_unchanged "dry-run install"
	[ -f "$f" ] || fail "dry-run install removed the state file"

	note "cli: Chinese (LANG=zh_CN.UTF-8)"
	LANG=zh_CN.UTF-8 expect 11 status
	keep
	show
	want "CA 审批中"
	LANG=zh_CN.UTF-8 expect 0 --verbose install --pin-env UKEY_TEST_PIN
	keep
	grep -v '^  ·' "$W/last.out" | sed 's/^/    | /' >&2
	want "续期成功"
	want "C_CreateObject"
	tok_check_renewed
	cp "$W/new.pem" "$W/old.pem"
	[ -z "${UKEY_TEST_STATE:-}" ] || cp "$UKEY_TEST_STATE" "$W/token.before"

	note "cli: renew --if-due when not due asks nothing and sends nothing"
	n=$(ca_requests)
	expect 0 renew --if-due --pin-env UKEY_NO_SUCH_PIN_VARIABLE
	keep
	show
	want "No renewal is due"
	[ "$(ca_requests)" -eq "$n" ] || fail "renew --if-due: the CA got a request"
	token_unchanged "renew --if-due (not due)"
	note "cli: renew --if-due renews when due (window_days = 3650)"
	rl_conf "http://127.0.0.1:$CA_PORT/pkix/" "window_days = 3650"
	LANG=zh_CN.UTF-8 expect 0 renew --if-due --pin-env UKEY_TEST_PIN
	keep
	show
	want "续期成功"
	tok_check_renewed

	note "cli: the PIN appears in no output"
	if grep -qF -- "$UKEY_TEST_PIN" "$W/all.out"; then
		grep -nF -- "$UKEY_TEST_PIN" "$W/all.out" >&2
		fail "the PIN appears in the output"
	fi
	note "$(wc -l <"$W/all.out") lines of output checked"
}

# ifdue (certificate with 300 days left): renew --if-due exits 0 asking
# nothing; with a window that covers it, it renews.
case_ifdue() {
	rl_start_ca --refuse-days -1
	expect 0 status
	want "more than 180 days left"
	expect 0 renew --if-due --pin-env UKEY_NO_SUCH_PIN_VARIABLE
	show
	want "No renewal is due"
	[ "$(ca_requests)" -eq 0 ] || fail "renew --if-due: the CA got a request"
	token_unchanged "renew --if-due (not due)"
	if ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1; then fail "state file written"; fi
	rl_conf "http://127.0.0.1:$CA_PORT/pkix/" "window_days = 365"
	expect 10 status
	expect 0 renew --if-due --pin-env UKEY_TEST_PIN
	show
	want "renewal succeeded"
	tok_check_renewed
}

case $CASE in
mock) case_mock ;;
tls) case_tls ;;
cli) case_cli ;;
ifdue) case_ifdue ;;
*) fail "unknown case $CASE" ;;
esac
echo "PASS $CASE"
