#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-espk.sh CASE — ukey-renew on a virtual token in the vendor's
# ENTERSAFE-ESPK layout (issue 11, acceptance 4), through MODULE: CASE
# renew (same key) or rekey. Afterwards:
#  - the renewed certificate is listed by pkcs11-tool -O, chains, and its
#    key signs (verified with openssl: tok_check_renewed);
#  - `ukey-vtoken check` (an independent checker of the layout's rules,
#    tests/vtoken/vt_check_espk.c) passes on the state file;
#  - nothing of the old layout was lost or converted: every index record
#    and file other than the ones the renewal means to change (the
#    certificate; rekey: the key objects and the container) is byte for
#    byte what it was, in the same record, and the token is still ESPK in
#    the same form.
# Environment as renew-e2e.sh, plus VTOKEN (ukey-vtoken).
set -eu
CASE=$1
D=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$D/renew-lib.sh"
. "$D/renew-token.sh"
trap rl_stop_ca EXIT
UKEY_TEST_PIN=$(sed -n 's/^user_pin=//p' "$SECRETS" | head -n 1)
export UKEY_TEST_PIN
rl_env

# layout NAME: the checker on the token's state; its listing in $W/NAME.list.
layout() {
	"$VTOKEN" check --state "$UKEY_TEST_STATE" --list >"$W/$1.list" 2>"$W/$1.check" ||
		{ cat "$W/$1.check" >&2; fail "ESPK checker ($1)"; }
}
# kept PATTERN: the listing lines not matching PATTERN, before vs after.
kept() {
	grep -Ev "$1" "$W/before.list" >"$W/before.kept" || true
	grep -Ev "$1" "$W/after.list" >"$W/after.kept" || true
	cmp -s "$W/before.kept" "$W/after.kept" ||
		{ diff "$W/before.kept" "$W/after.kept" >&2 || true; fail "$CASE: records or files changed that the renewal must keep"; }
}

tok_snapshot old
layout before
form=$(sed -n 's/^form \([a-z0-9]*\),.*/\1/p' "$W/before.list")
note "ESPK token, $form form: $(grep -c '^file ' "$W/before.list") files"
case $CASE in
renew)
	rl_start_ca --check-after 1
	expect 0 renew --pin-env UKEY_TEST_PIN
	grep -q 'renewal succeeded' "$W/last.out" || { cat "$W/last.out"; fail "no success message"; }
	tok_check_renewed
	[ "$(cat "$W/old.id")" = "$(cat "$W/new.id")" ] || fail "same-key renewal changed the key id"
	layout after
	# all but the certificate's record and file, byte for byte
	kept '^(rec [0-9]+|file [0-9A-F]+) cert[0-9]'
	;;
rekey)
	rl_start_ca
	expect 0 renew --rekey --pin-env UKEY_TEST_PIN
	tok_check_renewed
	[ "$(cat "$W/old.id")" != "$(cat "$W/new.id")" ] || fail "rekey kept the key id"
	keys=$(p11 --login --pin env:UKEY_TEST_PIN -O --type privkey 2>/dev/null | sed -n 's/^ *ID: *//p')
	[ "$keys" = "$(cat "$W/new.id")" ] || fail "private keys after rekey: $keys"
	layout after
	# all but the certificate, the key objects and the container's entries
	kept '^(rec [0-9]+|file [0-9A-F]+) (cert|pubk|prvk)[0-9]|^(rec [0-9]+|file [0-9A-F]+) (containermap|cmapfile) |^form '
	grep -q '^form .*, 1 containers,' "$W/after.list" || fail "rekey: not one container: $(tail -n 1 "$W/after.list")"
	# the containermap and cmapfile records themselves (FID, name, size)
	# stay where they were
	for f in containermap cmapfile; do
		b=$(sed -n "s/^rec \([0-9]*\) $f .*/\1/p" "$W/before.list")
		a=$(sed -n "s/^rec \([0-9]*\) $f .*/\1/p" "$W/after.list")
		[ "$a" = "$b" ] || fail "rekey: $f record moved ($b -> $a)"
	done
	;;
*) fail "unknown case $CASE" ;;
esac
grep -q "^form $form," "$W/after.list" || fail "$CASE: the token's ESPK form changed"
# the renewed certificate's DER is the CKA_VALUE of the one cert file
new_hex=$(openssl x509 -in "$W/new.pem" -outform DER | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F)
grep '^file [0-9A-F]* cert[0-9]' "$W/after.list" | grep -q "$new_hex" ||
	fail "$CASE: the renewed certificate is not in a cert file of the index"
[ "$(grep -c '^file [0-9A-F]* cert[0-9]' "$W/after.list")" -eq 1 ] || fail "$CASE: not one certificate file listed"
echo "PASS espk $CASE ($form)"
