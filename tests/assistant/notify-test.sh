#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# notify-test.sh ASSISTANT LISTENER — acceptance 5 of issue 10:
# `ukey-assistant --notify` on a private D-Bus session bus sends exactly one
# notification per threshold crossed (60, 30, 10, 3 days before expiry) and
# none when nothing is due. SoftHSMv2 tokens hold certificates from a
# throw-away CA; the days are walked with UKEY_ASSISTANT_NOW.
set -eu
AS=$1 LISTENER=$2
command -v dbus-daemon >/dev/null || { echo "SKIP: no dbus-daemon"; exit 77; }
command -v softhsm2-util >/dev/null || { echo "SKIP: no softhsm2-util"; exit 77; }
command -v pkcs11-tool >/dev/null || { echo "SKIP: no pkcs11-tool"; exit 77; }
MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
[ -e "$MODULE" ] || { echo "SKIP: no $MODULE"; exit 77; }
W=$(mktemp -d /tmp/as-notify.XXXXXX)
BUS_PID='' LIS_PID=''
cleanup() {
	if [ -n "$LIS_PID" ]; then kill "$LIS_PID" 2>/dev/null; wait "$LIS_PID" 2>/dev/null; fi
	if [ -n "$BUS_PID" ]; then kill "$BUS_PID" 2>/dev/null; fi
	if [ -n "${AS_KEEP:-}" ]; then echo "work dir: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$W/record" ] && cat "$W/record"; exit 1; }

# no configuration of this machine, state in the work dir
export HOME="$W/home" XDG_STATE_HOME="$W/state" XDG_CONFIG_HOME="$W/config"
export UKEY_RENEW_SYSTEM_CONFIG="$W/none.conf" UKEY_RENEW_MODULE="$MODULE"
mkdir -p "$HOME"
export SOFTHSM2_CONF="$W/softhsm.conf"
mkdir -p "$W/softhsm"
printf 'directories.tokendir = %s/softhsm\nobjectstore.backend = file\n' "$W" >"$SOFTHSM2_CONF"

# private session bus and the listener
dbus-daemon --session --fork --print-address=3 --print-pid=4 3>"$W/addr" 4>"$W/pid"
BUS_PID=$(cat "$W/pid")
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$W/addr")
export DBUS_SESSION_BUS_ADDRESS
: >"$W/record"
"$LISTENER" "$W/record" "$W/ready" &
LIS_PID=$!
i=0
while [ ! -e "$W/ready" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "listener did not own the name"
	sleep 0.1
done

count() { wc -l <"$W/record" | tr -d ' '; }
# run_at DAYS_BEFORE_NOT_AFTER EXPECTED_NEW_NOTIFICATIONS
run_at() {
	before=$(count)
	UKEY_ASSISTANT_NOW=$((NOT_AFTER - $1 * 86400 - 60)) "$AS" --notify >"$W/out" 2>&1 ||
		{ cat "$W/out"; fail "--notify at $1 days failed"; }
	got=$(($(count) - before))
	[ "$got" -eq "$2" ] || { cat "$W/out"; fail "at $1 days left: $got notifications, want $2"; }
	echo "ok: $1 days left: $got notification(s)"
}

# no token at all: nothing, exit 0
NOT_AFTER=$(date +%s)
run_at 5 0

# a CA and a certificate with 100 days on one token
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -subj "/CN=ukey notify test CA" \
	-days 400 -out "$W/ca.pem" 2>/dev/null
mkcert() { # mkcert NAME DAYS LABEL
	softhsm2-util --init-token --free --label "$3" --pin 246810 --so-pin 13572468 >/dev/null
	openssl req -new -newkey rsa:2048 -nodes -keyout "$W/$1.key" -subj "/O=ukey test/CN=$1" \
		-out "$W/$1.csr" 2>/dev/null
	openssl x509 -req -in "$W/$1.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
		-days "$2" -out "$W/$1.pem" 2>/dev/null
	openssl x509 -in "$W/$1.pem" -outform DER -out "$W/$1.der"
	pkcs11-tool --module "$MODULE" --token-label "$3" --login --pin 246810 --write-object "$W/$1.der" \
		--type cert --id 01 --label "$1" >/dev/null 2>&1 || fail "import $1"
}
mkcert far 300 far-token
# nothing due: a 300-day certificate
NOT_AFTER=$(date -d "$(openssl x509 -in "$W/far.pem" -noout -enddate | cut -d= -f2)" +%s)
run_at 300 0
run_at 100 0
run_at 61 0

# the walk on the same certificate: 60, 30, 10, 3 once each
run_at 60 1
run_at 60 0
run_at 59 0
run_at 45 0
run_at 30 1
run_at 29 0
run_at 10 1
run_at 10 0
run_at 3 1
run_at 2 0
run_at 1 0
[ "$(count)" -eq 4 ] || fail "total $(count) notifications, want 4"
grep -q "far" "$W/record" || fail "the subject is not in the notification"
cut -f4 "$W/record" | grep -qv '^default,' && fail "a notification without the default action"
cut -f1 "$W/record" | grep -qvx 'ukey-assistant' && fail "app_name is not ukey-assistant"
grep -q ' 15$' "$XDG_STATE_HOME/ukey/notify.state" || fail "state file does not record all four thresholds"

# a second certificate first seen at 25 days: one reminder (30), not two
mkcert near 400 near-token
NOT_AFTER=$(date -d "$(openssl x509 -in "$W/near.pem" -noout -enddate | cut -d= -f2)" +%s)
# "far" is then 100 days past its end: expired, all sent, quiet
run_at 25 1
run_at 25 0
tail -n1 "$W/record" | grep -q "near" || fail "the 25-day reminder is not for 'near'"

# Chinese
: >"$W/record"
rm -f "$XDG_STATE_HOME/ukey/notify.state"
LANG=zh_CN.UTF-8 LANGUAGE='' UKEY_ASSISTANT_NOW=$((NOT_AFTER - 5 * 86400)) "$AS" --notify >"$W/out" 2>&1 ||
	{ cat "$W/out"; fail "zh run"; }
grep -q '证书' "$W/record" || fail "the zh_CN notification is not in Chinese"

# the notification's action opens the assistant (UKEY_ASSISTANT_OPEN_CMD
# stands for it here); the listener "clicks" every notification
kill "$LIS_PID"; wait "$LIS_PID" 2>/dev/null || true
rm -f "$W/ready" "$XDG_STATE_HOME/ukey/notify.state"
LISTENER_INVOKE=1 "$LISTENER" "$W/record" "$W/ready" &
LIS_PID=$!
i=0
while [ ! -e "$W/ready" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "listener did not own the name again"
	sleep 0.1
done
printf '#!/bin/sh\ntouch "%s/opened"\n' "$W" >"$W/open.sh"
chmod +x "$W/open.sh"
t0=$(date +%s)
UKEY_ASSISTANT_OPEN_CMD="$W/open.sh" UKEY_ASSISTANT_NOW=$((NOT_AFTER - 5 * 86400)) \
	"$AS" --notify --wait 20 >"$W/out" 2>&1 || { cat "$W/out"; fail "--notify --wait"; }
i=0
while [ ! -e "$W/opened" ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "the action did not open the assistant"
	sleep 0.1
done
[ $(($(date +%s) - t0)) -lt 15 ] || fail "--notify did not end after the action"
echo "ok: the action opens the assistant"
echo "PASS: one notification per threshold crossed, none when nothing is due"
