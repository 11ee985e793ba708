#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-softhsm.sh RENEW TESTCA SCRIPT CASE — sh SCRIPT CASE on a
# SoftHSMv2 token (a software key and a certificate from the test root with
# RENEW_DAYS_LEFT days, default 30), inside a private network namespace.
set -eu
if [ -z "${RENEW_IN_NETNS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
	command -v softhsm2-util >/dev/null || { echo "SKIP: no softhsm2-util"; exit 77; }
	exec unshare --net env RENEW_IN_NETNS=1 sh "$0" "$@"
fi
ip link set lo up
RENEW=$1 TESTCA=$2 SCRIPT=$3 CASE=$4
export RENEW TESTCA
D=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
W=$(mktemp -d /tmp/renew-softhsm.XXXXXX)
export W
[ -n "${RENEW_KEEP:-}" ] && echo "work dir: $W" >&2 || trap 'rm -rf "$W"' EXIT
. "$D/renew-lib.sh"
MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
export MODULE
SECRETS=$W/secrets
printf 'user_pin=246810\nso_pin=13572468\n' >"$SECRETS"
export SECRETS UKEY_TEST_STATE=
mkdir -p "$W/softhsm"
printf 'directories.tokendir = %s/softhsm\nobjectstore.backend = file\n' "$W" >"$W/softhsm.conf"
export SOFTHSM2_CONF=$W/softhsm.conf
softhsm2-util --init-token --free --label renew-softhsm --pin 246810 --so-pin 13572468 >/dev/null
rl_ca "$W"
days=${RENEW_DAYS_LEFT:-30}
openssl req -new -newkey rsa:2048 -nodes -keyout "$W/user.key" -subj "/O=ukey test/CN=Zhang San" \
	-out "$W/user.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' >"$W/user.ext"
openssl x509 -req -in "$W/user.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
	-days "$days" -extfile "$W/user.ext" -out "$W/user.pem" 2>/dev/null
openssl pkey -in "$W/user.key" -outform DER -out "$W/user.key.der"
openssl x509 -in "$W/user.pem" -outform DER -out "$W/user.der"
openssl pkey -in "$W/user.key" -pubout -outform DER -out "$W/user.pub.der"
for o in "privkey user.key.der" "pubkey user.pub.der" "cert user.der"; do
	set -- $o
	pkcs11-tool --module "$MODULE" --login --pin 246810 --write-object "$W/$2" --type "$1" \
		--id 01 --label renew-key >/dev/null 2>&1 || { echo "FAIL: import $1"; exit 1; }
done
sh ${RENEW_SH_X:+-x} "$SCRIPT" "$CASE"
