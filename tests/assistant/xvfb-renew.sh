#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xvfb-renew.sh CASE — acceptance 2-4 and 6 of issue 10: the real
# ukey-assistant under Xvfb renews the virtual FTCOS token (card 0 of
# pcsc-run, made by tests/renew/renew-card) against the test CA, driven with
# xdotool keyboard input only. A PNG screenshot of every step goes to
# $SHOTS/<case>-NN-<page>.png; a page that does not appear fails the test.
#   renew  Renew → PIN → pending at the CA → result; the token holds the new certificate
#   pull   the token is pulled when the new certificate is about to be written:
#          the "token removed" page, then re-insertion and Retry finish the renewal
#   zh     the renewal with LANG=zh_CN.UTF-8: no untranslated message shown
# Environment: ASSISTANT, RENEW, TESTCA, VTOKEN, MODULE, SECRETS, W, SHOTS,
# UKEY_TEST_STATE (the token's state file), UKEY_VPCD_PORT and UKEY_CARD_PIDS (pcsc-run).
set -eu
CASE=$1
D=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
R=$D/../renew
for t in Xvfb xdotool import; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
# shellcheck source=SCRIPTDIR/../renew/renew-lib.sh
. "$R/renew-lib.sh"
# shellcheck source=SCRIPTDIR/../renew/renew-token.sh
. "$R/renew-token.sh"
UKEY_TEST_PIN=$(sed -n 's/^user_pin=//p' "$SECRETS" | head -n 1)
export UKEY_TEST_PIN
mkdir -p "$SHOTS"
rm -f "$SHOTS/$CASE"-*.png
XPID='' APID=''
cleanup() {
	if [ -n "$APID" ]; then kill "$APID" 2>/dev/null; fi
	if [ -n "$XPID" ]; then kill "$XPID" 2>/dev/null; fi
	rl_stop_ca
}
trap cleanup EXIT
rl_env
tok_snapshot old
# pending: the CA decides after 4 s, asked every second
rl_start_ca --wait-seconds 4 --check-after 1

# X server (a free display number, told through -displayfd)
rm -f "$W/dpy"
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$W/dpy" 2>"$W/xvfb.log" &
XPID=$!
i=0
while [ ! -s "$W/dpy" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "Xvfb did not start"
	sleep 0.1
done
DISPLAY=:$(cat "$W/dpy")
export DISPLAY GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=none NO_AT_BRIDGE=1
export UKEY_ASSISTANT_TRACE=1
[ "$CASE" = zh ] && export LANG=zh_CN.UTF-8 LANGUAGE='' LC_ALL=''
[ "$CASE" = pull ] && export UKEY_ASSISTANT_TEST_PAUSE_STEP=12 UKEY_ASSISTANT_TEST_PAUSE_S=4

"$ASSISTANT" --module "$MODULE" --config "$W/renew.conf" >"$W/app.out" 2>"$W/app.err" &
APID=$!
n=0
# shot NAME: a screenshot of the whole screen
shot() {
	n=$((n + 1))
	sleep 0.5
	import -window root "$SHOTS/$CASE-$(printf %02d $n)-$1.png" || fail "screenshot $1"
}
# wait_for PATTERN SECONDS: a line of the app's trace
wait_for() {
	i=0
	while ! grep -q -- "$1" "$W/app.out"; do
		kill -0 "$APID" 2>/dev/null || { cat "$W/app.err" >&2; fail "the assistant exited"; }
		i=$((i + 1)); [ $i -lt $(($2 * 10)) ] || { cat "$W/app.out" >&2; fail "'$1' did not appear"; }
		sleep 0.1
	done
}
page_count() { grep -c "^page: $1\$" "$W/app.out" || true; }
# wait_page NAME [SECONDS] [NTH]
wait_page() {
	i=0 want=${3:-1}
	while [ "$(page_count "$1")" -lt "$want" ]; do
		kill -0 "$APID" 2>/dev/null || { cat "$W/app.err" >&2; fail "the assistant exited"; }
		i=$((i + 1)); [ $i -lt $((${2:-30} * 10)) ] || { cat "$W/app.out" >&2; fail "page '$1' did not appear"; }
		sleep 0.1
	done
}
keys() { xdotool key --delay 80 "$@"; }

wait_page tokens 20
# the certificate is listed as due (2 s status poll)
if [ "$CASE" = zh ]; then wait_for "shown: 需要续期" 15; else wait_for "shown: Renewal due" 15; fi
wid=$(xdotool search --sync --onlyvisible --pid "$APID" | head -n 1)
xdotool windowfocus --sync "$wid" 2>/dev/null || true
# usable at 1024x768: the whole window fits the screen
geo=$(xdotool getwindowgeometry "$wid" | sed -n 's/^ *Geometry: *//p')
gw=${geo%x*} gh=${geo#*x}
if [ "$gw" -gt 1024 ] || [ "$gh" -gt 768 ]; then fail "window ${geo} larger than 1024x768"; fi
echo "ok: window ${geo} on a 1024x768 screen"
shot tokens
keys alt+r
wait_page pin 20
shot pin
# a wrong PIN first: the tries-left message, then the right one
if [ "$CASE" = renew ]; then
	xdotool type --delay 60 "000000"
	keys Return
	wait_page pin 20 2
	if ! grep -q "shown: The PIN was wrong" "$W/app.out"; then fail "no wrong-PIN message"; fi
	shot pin-wrong
fi
xdotool type --delay 60 "$UKEY_TEST_PIN"
grep -q -- "$UKEY_TEST_PIN" "$W/app.out" "$W/app.err" && fail "the PIN was shown or logged"
keys Return
wait_page progress 20
if [ "$CASE" = zh ]; then wait_for "约 3 分钟" 30; else wait_for "about 3 minutes" 30; fi
shot pending

if [ "$CASE" = pull ]; then
	wait_for "^paused: 12" 30
	# pull: the virtual token's process ends (its state file stays)
	for p in $UKEY_CARD_PIDS; do kill "$p" 2>/dev/null || true; done
	wait_page removed 30
	shot removed
	grep -q "shown: The key was pulled out" "$W/app.out" || fail "no 'token removed' sentence"
	# re-insert: the same token on the same vpcd port
	"$VTOKEN" --os ftcos --atr ftcos-pk01c --port "$UKEY_VPCD_PORT" --state "$UKEY_TEST_STATE" \
		</dev/null >"$W/card2.log" 2>&1 &
	wait_for "shown: The key is back" 30
	shot reinserted
	keys alt+r
	wait_page progress 20 2
	# the PIN again (a new login)
	wait_page pin 30 2
	xdotool type --delay 60 "$UKEY_TEST_PIN"
	keys Return
fi

wait_page result 90
shot result
grep -q "shown: .*Old certificate: valid from\|shown: 旧证书" "$W/app.out" ||
	grep -q "Old certificate\|旧证书" "$W/app.out" || fail "no old/new validity shown"
# keyboard only: Alt+C (the Close mnemonic), or Escape
if [ "$CASE" = zh ]; then keys Escape; else keys alt+c; fi
wait_page tokens 20 2
shot tokens-after

tok_check_renewed
echo "ok: the token holds the renewed certificate"

kill "$APID"
wait "$APID" 2>/dev/null || true
APID=
if grep -n "CRITICAL\|Gtk-WARNING\|GLib-GObject-WARNING" "$W/app.err"; then fail "GTK criticals or warnings in the log"; fi

if [ "$CASE" = zh ]; then
	# no message ID of the catalog is shown as is (or as the start of a shown line)
	sed -n 's/^msgid "\(.\+\)"$/\1/p' "$D/../../renew/assistant/po/zh_CN.po" | sed 's/\\"/"/g' >"$W/msgids"
	sed -n 's/^shown: //p' "$W/app.out" >"$W/shown"
	while IFS= read -r id; do
		pre=$(printf '%s' "$id" | sed 's/%.*//' | cut -c1-24)
		[ ${#pre} -ge 6 ] || continue
		if grep -qF -- "$pre" "$W/shown"; then fail "untranslated message shown: $id"; fi
	done <"$W/msgids"
	grep -q '[一-龥]' "$W/shown" || fail "nothing Chinese shown"
	echo "ok: $(wc -l <"$W/shown") texts shown, none untranslated"
fi
ls "$SHOTS/$CASE"-*.png
echo "PASS: $CASE"
