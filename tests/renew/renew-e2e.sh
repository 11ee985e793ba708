#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-e2e.sh CASE — one end-to-end renewal scenario of ukey-renew against
# the test CA (tests/testca) on a token behind MODULE.
#
# Environment: RENEW, TESTCA, MODULE, SECRETS (user_pin=…), W (scratch dir
# with ca.pem/ca.key of the root that issued the token's certificate), and
# UKEY_TEST_STATE (the virtual token's state file, for byte-for-byte
# comparisons; empty on SoftHSM). Runs in a private network namespace
# (pcsc-run, or renew-softhsm.sh's unshare).
set -eu
CASE=$1
D=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$D/renew-lib.sh"
. "$D/renew-token.sh"
trap rl_stop_ca EXIT
UKEY_TEST_PIN=$(sed -n 's/^user_pin=//p' "$SECRETS" | head -n 1)
export UKEY_TEST_PIN
rl_env
tok_snapshot old

# token_unchanged: the virtual token's state is byte for byte what it was.
token_unchanged() {
	[ -z "${UKEY_TEST_STATE:-}" ] && return 0
	cmp -s "$UKEY_TEST_STATE" "$W/token.before" || fail "$1: the token was changed"
}
[ -z "${UKEY_TEST_STATE:-}" ] || cp "$UKEY_TEST_STATE" "$W/token.before"

no_request_sent() {
	if grep -q 'kur' "$W/ca.log" 2>/dev/null; then fail "$1: a request reached the CA"; fi
}

case $CASE in
renew)
	rl_start_ca --check-after 1
	expect 10 status
	grep -q 'Zhang San\|renew' "$W/last.out" || fail "status does not show the certificate"
	expect 10 status --json
	grep -q '"due": *true' "$W/last.out" || fail "status --json: not due"
	expect 0 renew --pin-env UKEY_TEST_PIN
	grep -q 'renewal succeeded' "$W/last.out" || fail "no success message"
	cat "$W/last.out"
	tok_check_renewed
	tok_check_opensc
	expect 0 status
	;;
rekey)
	rl_start_ca
	old_keys=$(p11 --login --pin env:UKEY_TEST_PIN -O --type privkey 2>/dev/null | grep -c 'ID:')
	expect 0 renew --rekey --pin-env UKEY_TEST_PIN
	tok_check_renewed
	tok_check_opensc
	[ "$(cat "$W/old.id")" != "$(cat "$W/new.id")" ] || fail "rekey kept the key id"
	keys=$(p11 --login --pin env:UKEY_TEST_PIN -O --type privkey 2>/dev/null | sed -n 's/^ *ID: *//p')
	printf '%s\n' "$keys" | grep -qx "$(cat "$W/new.id")" || fail "new key missing"
	if [ -n "${RENEW_OLD_CERT_KEPT:-}" ]; then
		# The old certificate stays, so its key pair stays too.
		grep -q 'old key pair was kept' "$W/last.out" || fail "kept key pair not reported"
		printf '%s\n' "$keys" | grep -qx "$(cat "$W/old.id")" || fail "old key deleted, old certificate kept"
	else
		[ "$(printf '%s\n' "$keys" | grep -c .)" -eq "$old_keys" ] || fail "key count changed: $keys"
		if printf '%s\n' "$keys" | grep -qx "$(cat "$W/old.id")"; then fail "old key left behind"; fi
	fi
	;;
apply-install)
	rl_start_ca --wait-seconds 4 --check-after 1
	expect 11 apply --pin-env UKEY_TEST_PIN
	f=$(ls "$W/state/ukey/"pending-*.state) || fail "no state file"
	[ "$(stat -c %a "$f")" = 600 ] || fail "state file mode $(stat -c %a "$f")"
	expect 11 status
	expect 11 install --pin-env UKEY_TEST_PIN
	sleep 4
	# Two installs at once: one does the job, the other waits for the
	# lock and then finds nothing pending (or finishes first).
	set +e
	ur install --pin-env UKEY_TEST_PIN >"$W/i1.out" 2>&1 &
	p1=$!
	ur install --pin-env UKEY_TEST_PIN >"$W/i2.out" 2>&1
	r2=$?
	wait $p1
	r1=$?
	set -e
	note "concurrent installs: $r1 $r2"
	[ $r1 -eq 0 ] || [ $r2 -eq 0 ] || { cat "$W/i1.out" "$W/i2.out"; fail "no install succeeded"; }
	for r in $r1 $r2; do
		case $r in 0|3|5) ;; *) cat "$W/i1.out" "$W/i2.out"; fail "install exit $r";; esac
	done
	tok_check_renewed
	ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1 && fail "state file left"
	;;
early)
	rl_start_ca --refuse-days 180
	expect 0 status
	expect 20 apply --pin-env UKEY_TEST_PIN
	grep -q 'more than 180 days of validity left' "$W/last.out" || fail "CA text not shown"
	token_unchanged early
	;;
waitlimit)
	RL_WAIT_LIMIT=1
	rl_start_ca --wait-seconds -1 --check-after 5
	expect 11 renew --pin-env UKEY_TEST_PIN
	grep -q "call the test CA's support desk" "$W/last.out" || fail "no support text"
	token_unchanged waitlimit
	# The CA approves later: install still finishes the job.
	f=$(ls "$W/state/ukey/"pending-*.state) || fail "no state file after the wait limit"
	;;
wrongpin)
	rl_start_ca
	UKEY_TEST_PIN=000000 expect 4 apply --pin-env UKEY_TEST_PIN
	no_request_sent wrongpin
	# The token's PIN state after the wrong PIN (CKF_USER_PIN_COUNT_LOW /
	# FINAL_TRY) is shown to the user.
	grep -qE 'tries are left|ONE try is left' "$W/last.out" ||
		{ cat "$W/last.out"; fail "tries left not shown"; }
	# The right PIN still works afterwards (one wrong try, no more).
	tok_sign_check "$(cat "$W/old.id")" "$W/old.pem"
	;;
lockedpin)
	rl_start_ca
	locked='The PIN of the key is locked'
	i=0
	while [ $i -lt 20 ]; do
		set +e
		UKEY_TEST_PIN=000000 ur apply --pin-env UKEY_TEST_PIN >"$W/last.out" 2>&1
		set -e
		grep -q "$locked" "$W/last.out" && break
		i=$((i + 1))
	done
	grep -q "$locked" "$W/last.out" || fail "PIN never reported locked"
	note "locked after $((i + 1)) wrong PINs"
	# Now even the right PIN is refused, and the CA hears nothing.
	expect 4 apply --pin-env UKEY_TEST_PIN
	grep -q "$locked" "$W/last.out" || fail "locked PIN not reported"
	no_request_sent lockedpin
	;;
misbehave)
	for m in other-key:30 wrong-issuer:30 shorter-validity:30 expired:30 other-subject:30 \
		garbage:30 truncated:30 drop:31 http500:31 other-transaction:30; do
		mode=${m%:*} code=${m#*:}
		rl_start_ca --misbehave "$mode"
		expect "$code" renew --pin-env UKEY_TEST_PIN
		note "$mode: $(tail -n 2 "$W/last.out" | tr '\n' ' ')"
		token_unchanged "$mode"
		tok_snapshot after
		cmp -s "$W/old.pem" "$W/after.pem" || fail "$mode: certificate changed"
		ls "$W/state/ukey/"pending-*.state >/dev/null 2>&1 && fail "$mode: state file left"
	done
	;;
*) fail "unknown case $CASE" ;;
esac
echo "PASS $CASE"
