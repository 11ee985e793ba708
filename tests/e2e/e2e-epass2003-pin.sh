#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_epass2003_pin MODULE SECRETS — PIN management on a virtual ePass2003
# (PKCS#15, `ukey-vtoken init`): a wrong PIN is refused and costs one try
# (the card's own counter, from the token's state), the right one resets
# it; a new process shows the card's counter in the token flags (COUNT_LOW,
# FINAL_TRY, LOCKED: PKCS#11 base 5.3); C_SetPIN changes the PIN (the old
# one stops working); C_InitPIN after an SO login (the PUK) sets a new user
# PIN, also on a blocked one; the APDU trace of a login carries no PIN byte.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
SO=$(secret so_pin)
BAD=000000 NEW=97531357
export PIN SO BAD NEW # tools read them as env:…, never from their command line
if [ -z "$PIN" ] || [ -z "$SO" ]; then fail "user_pin/so_pin missing in $SECRETS"; fi
state=${UKEY_E2E_STATE:?the card state file (UKEY_E2E_STATE)}
vt=${UKEY_E2E_VTOKEN:?ukey-vtoken (UKEY_E2E_VTOKEN)}
tries() {
	"$vt" show --state "$state" | sed -n 's/.*key kid 1 type 04 tries \([0-9]*\)\/.*/\1/p' | head -n 1
}

note "a wrong PIN is refused and counted by the card"
max=$(tries)
[ -n "$max" ] || fail "no user PIN record in the token state"
if p11 --login --pin env:BAD -O --type privkey >"$T/bad.out" 2>&1; then fail "wrong PIN accepted"; fi
expect_grep bad "CKR_PIN_INCORRECT" "wrong PIN not reported as CKR_PIN_INCORRECT"
[ "$(tries)" = $((max - 1)) ] || fail "card counter $(tries) after one wrong PIN (was $max)"
# token flags as a new process sees them (pkcs11-tool -L: "user PIN count low")
flags() {
	p11 -L 2>&1 | sed -n 's/.*token flags *: *//p' | head -n 1
}
f=$(flags)
case $f in *"user PIN count low"*) ;; *) fail "a new process does not show COUNT_LOW after a wrong PIN: $f" ;; esac
case $f in *"PIN try"*|*"locked"*) fail "COUNT_LOW shown as more: $f" ;; esac

note "the right PIN logs in and resets the counter"
rm -f "$T/login.trace"
UKEY_DEBUG=apdu UKEY_DEBUG_FILE="$T/login.trace" p11 --login --pin env:PIN -O --type privkey >"$T/ok.out" 2>&1 ||
	{ cat "$T/ok.out" >&2; fail "login with the right PIN"; }
expect_grep ok "Private Key Object" "no private key after login"
[ "$(tries)" = "$max" ] || fail "card counter $(tries) after a good PIN (want $max)"
f=$(flags)
case $f in *"user PIN"*) fail "PIN flags after a good PIN: $f" ;; esac
pinhex=$(printf '%s' "$PIN" | xxd -p | sed 's/../& /g; s/ $//' | tr 'a-f' 'A-F')
if grep -Fq "$pinhex" "$T/login.trace"; then fail "the PIN's bytes are in the APDU trace"; fi

note "C_SetPIN"
run_logged chg p11 --login --pin env:PIN --change-pin --new-pin env:NEW
if p11 --login --pin env:PIN -O --type privkey >"$T/old.out" 2>&1; then fail "old PIN still accepted"; fi
run_logged new p11 --login --pin env:NEW -O --type privkey
expect_grep new "Private Key Object" "no private key with the new PIN"

note "a new process sees FINAL_TRY and LOCKED"
n=1
while [ "$n" -lt "$max" ]; do
	if p11 --login --pin env:BAD -O --type privkey >"$T/bad$n.out" 2>&1; then fail "wrong PIN accepted"; fi
	n=$((n + 1))
done
[ "$(tries)" = 1 ] || fail "card counter $(tries) after $((max - 1)) wrong PINs (want 1)"
f=$(flags)
case $f in *"final user PIN try"*) ;; *) fail "a new process does not show FINAL_TRY: $f" ;; esac
if p11 --login --pin env:BAD -O --type privkey >"$T/last.out" 2>&1; then fail "wrong PIN accepted"; fi
[ "$(tries)" = 0 ] || fail "card counter $(tries) after $max wrong PINs (want 0)"
f=$(flags)
case $f in *"user PIN locked"*) ;; *) fail "a new process does not show LOCKED: $f" ;; esac
if p11 --login --pin env:NEW -O --type privkey >"$T/blocked.out" 2>&1; then fail "right PIN accepted on a blocked PIN"; fi
expect_grep blocked "CKR_PIN_LOCKED" "a blocked PIN not reported as CKR_PIN_LOCKED"

note "C_InitPIN after an SO login"
run_logged initpin p11 --login --login-type so --so-pin env:SO --init-pin --new-pin env:PIN
run_logged again p11 --login --pin env:PIN -O --type privkey
expect_grep again "Private Key Object" "no private key with the PIN set by C_InitPIN"
head -c 200 /dev/urandom >"$T/data"
run_logged sign p11 --login --pin env:PIN --sign -m SHA256-RSA-PKCS -i "$T/data" -o "$T/sig"
echo "e2e_epass2003_pin: OK"
