#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_epass2003_*_sign_apdus MODULE SECRETS KEYFID — the APDUs of one
# CKM_SHA256_RSA_PKCS signature on a virtual ePass2003 (3DES secure
# messaging) follow the published sequence:
#   MSE SET     00 22 41 B6  80 01 82 81 02 <KEYFID>
#   PSO HASH    00 2A 90 A0  81 04 <blocks> 90 20 <SHA-256 state> 80 n <tail>
#   PSO CDS     00 2A 9E 9A
# one after the other, no raw RSA (PSO DECIPHER 2A 80 86) in between.
# UKEY_DEBUG=apdu traces what goes to the reader: the SM-wrapped commands
# (CLA 0C, data in 87 encrypted under the session key). The check
# therefore takes the session key from the traced mutual authentication
# (INITIALIZE UPDATE's host and card challenges, the card's init key
# K_enc = 01..10 of the profile; GP SCP01 derivation, docs/epass2003-wire.md)
# and decrypts each command's 87 object: the inner APDU data is compared,
# not only the outer headers. The signature is verified by openssl.
export MODULE="$1" SECRETS="$2"
keyfid=$(echo "$3" | tr 'a-f' 'A-F')
. "$(dirname "$0")/e2e-lib.sh"
. "$E2E_DIR/e2e-app-common.sh"

# The profile signs PKCS#15 keys raw (hash_on_card = entersafe-espk): for
# this test every layout hashes on the card (a profile of the same name in
# UKEY_PROFILE_DIR overrides the built-in one).
src=${UKEY_PROFILE_DIR:-$E2E_DIR/../../vendor-profiles}
mkdir -p "$T/profiles"
sed 's/^hash_on_card[[:space:]]*=.*/hash_on_card = all/' "$src/epass2003.profile" >"$T/profiles/epass2003.profile"
grep -q '^hash_on_card = all$' "$T/profiles/epass2003.profile" || fail "no hash_on_card in $src/epass2003.profile"
export UKEY_PROFILE_DIR="$T/profiles"

# 100 bytes: one full 64-byte block hashed on the host, 36 bytes of tail
head -c 100 /dev/urandom >"$T/msg"
note "sign with UKEY_DEBUG=apdu"
rm -f "$T/sign.trace"
UKEY_DEBUG=apdu UKEY_DEBUG_FILE="$T/sign.trace" p11 --login --pin env:PIN --sign \
	-m SHA256-RSA-PKCS --id "$ID" -i "$T/msg" -o "$T/sig" >"$T/sign.out" 2>&1 ||
	{ cat "$T/sign.out" >&2; fail "signature failed"; }
verify_sig "$CERTPUB" "$T/msg" "$T/sig"

cmds="$T/cmds"
grep -n 'apdu >> ' "$T/sign.trace" >"$cmds" || fail "no APDU in the trace"
lnum() { grep "apdu >> $1" "$cmds" | tail -n 1 | cut -d: -f1; }
mse=$(lnum "0C 22 41 B6")
hsh=$(lnum "0C 2A 90 A0")
cds=$(lnum "0C 2A 9E 9A")
if [ -z "$mse" ] || [ -z "$hsh" ] || [ -z "$cds" ]; then
	cat "$T/sign.trace" >&2
	fail "MSE B6 / PSO HASH / PSO CDS (wrapped, CLA 0C) not all in the trace"
fi
# consecutive commands of the trace (each followed by its answer line)
nxt() { awk -F: -v l="$1" '$1 > l { print $1; exit }' "$cmds"; }
[ "$(nxt "$mse")" = "$hsh" ] || fail "MSE B6 is not followed by PSO HASH"
[ "$(nxt "$hsh")" = "$cds" ] || fail "PSO HASH is not followed by PSO CDS"
if grep -q 'apdu >> 0C 2A 80 86' "$T/sign.trace"; then fail "a raw RSA (PSO DECIPHER) was sent"; fi
for l in "$mse" "$hsh" "$cds"; do
	sed -n "$((l + 1))p" "$T/sign.trace" | grep -q ' 90 00 (' || fail "command at trace line $l not answered 9000"
done

# inner data of the command at trace line $1 (hex, upper case)
inner() {
	iu=$(head -n "$1" "$T/sign.trace" | grep -n 'apdu >> 80 50 00 00 08' | tail -n 1 | cut -d: -f1)
	[ -n "$iu" ] || fail "no mutual authentication before trace line $1"
	host=$(sed -n "${iu}p" "$T/sign.trace" | sed 's/.*>> 80 50 00 00 08 //' | tr -d ' ' | cut -c1-16)
	card=$(sed -n "$((iu + 1))p" "$T/sign.trace" | sed 's/.*<< //; s/ (.*//' | tr -d ' ' | cut -c25-40)
	d="$(echo "$card" | cut -c9-16)$(echo "$host" | cut -c1-8)$(echo "$card" | cut -c1-8)$(echo "$host" | cut -c9-16)"
	senc=$(printf '%s' "$d" | xxd -r -p |
		openssl enc -des-ede-ecb -K 0102030405060708090A0B0C0D0E0F10 -nopad | xxd -p | tr -d '\n')
	body=$(sed -n "$1p" "$T/sign.trace" | sed 's/.*>> //' | tr -d ' ' | cut -c11-)
	[ "$(echo "$body" | cut -c1-2)" = 87 ] || fail "trace line $1 has no 87 object"
	l=$(echo "$body" | cut -c3-4)
	case $l in
	81) l=$(echo "$body" | cut -c5-6); off=9 ;;
	82) l=$(echo "$body" | cut -c5-8); off=11 ;;
	*) off=7 ;;
	esac
	n=$((0x$l - 1))
	echo "$body" | cut -c$off-$((off + 2 * n - 1)) | xxd -r -p |
		openssl enc -d -des-ede-cbc -K "$senc" -iv 0000000000000000 -nopad |
		xxd -p | tr -d '\n' | tr 'a-f' 'A-F'
}

note "inner MSE SET data"
m=$(inner "$mse")
[ "$m" = "8001828102${keyfid}80" ] || fail "MSE SET data $m, expected 80 01 82 81 02 $keyfid (+ SM padding 80)"
note "inner PSO HASH data"
h=$(inner "$hsh")
tail=$(tail -c 36 "$T/msg" | xxd -p | tr -d '\n' | tr 'a-f' 'A-F')
echo "$h" | grep -Eq "^810400000001902[0]([0-9A-F]{64})8024${tail}80(00)*$" ||
	fail "PSO HASH data $h is not 81 04 00000001 90 20 <state> 80 24 <the message's last 36 bytes>"
echo "MSE $m; PSO HASH $(echo "$h" | cut -c1-16)… (1 block, state, 36-byte tail); PSO CDS; signature verified"
echo "e2e_epass2003_sign_apdus: OK"
