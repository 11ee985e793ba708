#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# browser-firefox.sh MODULE SECRETS VTOKEN OUTDIR right|wrong
#
# Firefox ESR logs in to a TLS site with the token, as the token's users do
# with their ministry's web site. Runs inside pcsc-run with one browser-card
# token (its certificate issued by the test CA in $UKEY_TEST_TMP/ca.*).
#
#   - `openssl s_server -Verify 1 -verify_return_error -www` on 127.0.0.1
#     (the namespace has only lo), its certificate issued by the test CA,
#     demanding a client certificate from that CA;
#   - a fresh Firefox profile: the test CA trusted (certutil), ukey in its
#     security-module database (modutil), client certificates chosen
#     automatically (user.js), no network services;
#   - Firefox under a private Xvfb opens https://127.0.0.1:PORT/; its own
#     "Password Required" dialog is answered with xdotool (NSS has no
#     profile setting that supplies a token PIN: the dialog is what users
#     see, so the test types into it);
#   - what Firefox shows is read back as text (select all, copy, xclip)
#     and as a screenshot of the private screen (ImageMagick's import):
#   - right: the PIN; the -www page Firefox shows names the token's
#     certificate (subject and serial), s_server's verify log shows the
#     chain test CA -> token certificate, the PIN counters are untouched;
#     OUTDIR/browser-right.{png,page.txt,server.log};
#   - wrong: a wrong PIN once, then Cancel on Firefox's repeated prompt;
#     Firefox shows its error page (SSL_ERROR_…), the server saw no
#     certificate, the card's own user-PIN counter is exactly one down (no
#     retries the user did not make), the token is not locked or at its
#     final try, and the right PIN then logs in at the first try and
#     restores the counter; OUTDIR/browser-wrong.{png,page.txt,server.log}.
# Exit 77 (skip) when Firefox ESR, Xvfb, xdotool, xclip or ImageMagick is missing.
set -eu
[ $# -eq 5 ] || { echo "usage: browser-firefox.sh MODULE SECRETS VTOKEN OUTDIR right|wrong" >&2; exit 2; }
export MODULE="$1" SECRETS="$2"
VTOKEN=$3 OUTDIR=$4 MODE=$5
case $MODE in right | wrong) ;; *) echo "browser-firefox.sh: mode is right or wrong" >&2; exit 2 ;; esac

for tool in firefox-esr Xvfb xdotool xclip import certutil modutil pkcs11-tool; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool missing (tools/setup installs it)" >&2
		exit 77
	fi
done

. "$(dirname "$0")/../e2e/e2e-lib.sh"
PIN=$(secret user_pin)
export PIN
[ -n "$PIN" ] || fail "no user_pin in $SECRETS"
if ! [ -r "$T/ca.pem" ] || ! [ -r "$T/ca.key" ]; then fail "no test CA in $T (run with browser-card)"; fi
STATE=$T/browser.state
mkdir -p "$OUTDIR"
OUTDIR=$(CDPATH='' cd -- "$OUTDIR" && pwd -P)
case $OUTDIR in /tmp | /tmp/*) fail "OUTDIR $OUTDIR is under /tmp, which this test mounts over" ;; esac
SHOT=$OUTDIR/browser-$MODE.png
rm -f "$SHOT"
t0=$(date +%s)

# Xvfb's socket and lock live in /tmp, shared with every other user of the
# machine: a private tmpfs over it (this mount namespace is ours) keeps
# display numbers from clashing. The harness's own scratch is under /run.
[ "${UKEY_HARNESS:-}" = 1 ] || fail "run this test under tests/harness/pcsc-run (it mounts over /tmp)"
mount -t tmpfs -o mode=1777,size=64m ukey-browser-tmp /tmp ||
	fail "cannot mount a private tmpfs on /tmp"

srv="" xvfb="" ff=""
cleanup() {
	for p in $ff $srv $xvfb; do
		kill "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

# pin_counters: the card's own PIN retry counters, read from the virtual
# token's state (ukey-vtoken show), not through the module under test:
# "USER SO", each TRIES-LEFT/MAX (FTCOS key ids 1 = user PIN, 2 = SO PIN).
pin_counters() {
	"$VTOKEN" show --os ftcos --state "$STATE" >"$T/show.out" || fail "ukey-vtoken show failed"
	for kid in 1 2; do
		sed -n "s/.* kid $kid usage .. PIN set, tries left \([0-9]*\) of \([0-9]*\).*/\1\/\2/p" "$T/show.out" | head -n 1
	done | tr '\n' ' ' | sed 's/ $//'
}
before=$(pin_counters)
case $before in
*/*" "*/*) ;;
*) cat "$T/show.out" >&2; fail "ukey-vtoken show lists no user and SO PIN counters" ;;
esac
# The token's certificate, read through the module (no login).
ID=$(first_id cert)
[ -n "$ID" ] || fail "no certificate on the token"
export_cert "$ID" "$T/token.pem"
token_subj=$(openssl x509 -in "$T/token.pem" -noout -subject -nameopt oneline | sed 's/^subject=[[:space:]]*//')

note "server certificate from the test CA, s_server -Verify 1"
run_logged srvreq openssl req -new -newkey rsa:2048 -nodes -keyout "$T/srv.key" \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" -out "$T/srv.csr"
run_logged srvcert openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -days 1 -copy_extensions copy -out "$T/srv.pem"
port=$((20000 + $$ % 20000))
openssl s_server -accept "127.0.0.1:$port" -cert "$T/srv.pem" -key "$T/srv.key" \
	-CAfile "$T/ca.pem" -Verify 1 -verify_return_error -www \
	>"$T/server.log" 2>&1 </dev/null &
srv=$!
i=0
while ! grep -q "ACCEPT" "$T/server.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$T/server.log" >&2; fail "s_server did not start"; }
	sleep 0.1
done

note "fresh Firefox profile: test CA trusted, ukey loaded"
P=$T/profile
mkdir -p "$P"
run_logged nssinit certutil -N -d "sql:$P" --empty-password
run_logged caadd certutil -A -d "sql:$P" -n "ukey browser test CA" -t "CT,C,C" -i "$T/ca.pem"
run_logged modadd modutil -dbdir "sql:$P" -add ukey -libfile "$MODULE" -force
cat >"$P/user.js" <<'JS'
// The server asks for a certificate from the test CA: the token's only one.
user_pref("security.default_personal_cert", "Select Automatically");
user_pref("security.remember_cert_checkbox_default_setting", false);
// Nothing but the test page: no first-run pages, updates, telemetry or
// network services (the namespace has only lo anyway).
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("startup.homepage_welcome_url", "");
user_pref("browser.startup.page", 0);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.disabledForTesting", true);
user_pref("app.normandy.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("security.OCSP.enabled", 0);
user_pref("security.remote_settings.crlite_filters.enabled", false);
user_pref("services.settings.server", "http://127.0.0.1:9/");
JS

note "Xvfb and Firefox"
# -displayfd: Xvfb picks a free display and reports it.
Xvfb -displayfd 3 -screen 0 1280x2880x24 -nolisten tcp 3>"$T/xvfb.display" >"$T/xvfb.log" 2>&1 &
xvfb=$!
i=0
while ! [ -s "$T/xvfb.display" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$T/xvfb.log" >&2; fail "Xvfb did not start"; }
	sleep 0.1
done
DISPLAY=:$(tr -d '\n' <"$T/xvfb.display")
export DISPLAY
firefox-esr --no-remote --new-instance --profile "$P" "https://127.0.0.1:$port/" \
	>"$T/firefox.log" 2>&1 </dev/null &
ff=$!

# wait_window NAME SECS: id of the first visible window whose name
# contains NAME (empty after SECS seconds).
wait_window() {
	_n=0
	while [ $_n -lt $(($2 * 5)) ]; do
		_w=$(xdotool search --onlyvisible --name "$1" 2>/dev/null | head -n 1 || true)
		if [ -n "$_w" ]; then
			echo "$_w"
			return 0
		fi
		kill -0 "$ff" 2>/dev/null || return 0
		sleep 0.2
		_n=$((_n + 1))
	done
}

# answer WINDOW TEXT: type TEXT into Firefox's password dialog and press
# Enter (no window manager: focus is set directly).
answer() {
	xdotool windowfocus --sync "$1" 2>/dev/null || xdotool windowfocus "$1"
	xdotool type --delay 30 "$2"
	xdotool key Return
}

prompts=0
w=$(wait_window "Password Required" 60)
[ -n "$w" ] || { tail -20 "$T/firefox.log" >&2; fail "Firefox did not ask for the token's PIN"; }
prompts=1
note "Firefox asks for the PIN ($(($(date +%s) - t0)) s)"
if [ "$MODE" = right ]; then
	answer "$w" "$PIN"
else
	answer "$w" "0${PIN}9"
	# NSS asks again after CKR_PIN_INCORRECT: the user gives up.
	i=0
	while xdotool getwindowname "$w" >/dev/null 2>&1 && [ $i -lt 25 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	w2=$(wait_window "Password Required" 30)
	if [ -n "$w2" ]; then
		prompts=2
		note "Firefox asks again after the wrong PIN: Cancel"
		xdotool windowfocus --sync "$w2" 2>/dev/null || true
		xdotool key Escape
	fi
fi

# The outcome, read from the page Firefox shows: select all, copy, and read
# the clipboard (xclip). The -www page names the client certificate; the
# error page names the failure.
if [ "$MODE" = right ]; then
	want="Client certificate"
else
	want="SSL_ERROR_"
fi
main=""
got=""
i=0
while [ $i -lt 60 ]; do
	for win in $(xdotool search --onlyvisible --name "Mozilla Firefox" 2>/dev/null || true); do
		case $(xdotool getwindowname "$win" 2>/dev/null || true) in
		*"Password Required"*) ;;
		*) main=$win ;;
		esac
	done
	if [ -n "$main" ]; then
		xdotool windowfocus "$main" 2>/dev/null || true
		xdotool key ctrl+a ctrl+c 2>/dev/null || true
		xclip -o -selection clipboard >"$T/page.txt" 2>/dev/null || true
		if grep -q "$want" "$T/page.txt"; then
			got=1
			break
		fi
	fi
	sleep 0.5
	i=$((i + 1))
done
if [ -n "$main" ]; then
	# Room for the whole page, and no selection in the picture.
	xdotool windowsize --sync "$main" 1280 2880 2>/dev/null || true
	sleep 0.5
	xdotool mousemove 1000 2000 click 1 2>/dev/null || true
fi
# Let the page paint, then the screenshot of the whole (private) screen.
sleep 0.5
import -window root "$SHOT" || fail "no screenshot"
note "screenshot: $SHOT"
[ -n "$got" ] || {
	for win in $(xdotool search --onlyvisible --name . 2>/dev/null || true); do
		echo "window $win: $(xdotool getwindowname "$win" 2>/dev/null || true)" >&2
	done
	tail -20 "$T/firefox.log" >&2; cat "$T/server.log" >&2; fail "the page Firefox shows has no '$want'"; }
cp "$T/page.txt" "$OUTDIR/browser-$MODE.page.txt"
note "Firefox shows: $(grep -m1 "$want" "$T/page.txt")"
# The module Firefox has mapped (this PID namespace holds only the test's
# processes): ukey's, and no other PKCS#11 module that could read the token.
maps=$(cat /proc/[0-9]*/maps 2>/dev/null | awk '{ print $6 }' | sort -u)
mod=$(readlink -f "$MODULE")
echo "$maps" | grep -Fxq "$mod" || fail "Firefox has not loaded $MODULE"
others=$(echo "$maps" | grep -E 'opensc-pkcs11|p11-kit-proxy|ukey-pkcs11' | grep -Fxv "$mod" | tr '\n' ' ' || true)
[ -z "$others" ] || fail "Firefox loaded another PKCS#11 module: $others"
kill "$ff" 2>/dev/null || true
wait "$ff" 2>/dev/null || true
ff=""
kill "$srv" 2>/dev/null || true
wait "$srv" 2>/dev/null || true
srv=""
cp "$T/server.log" "$OUTDIR/browser-$MODE.server.log"

subj=$(openssl x509 -in "$T/ca.pem" -noout -subject -nameopt oneline | sed 's/^subject=[[:space:]]*//')
note "s_server log:"
cat "$T/server.log" >&2
if [ "$MODE" = right ]; then
	# s_server's verify callback prints the client chain as it checks it
	# (depth=1 the CA, depth=0 the token's certificate); -www's page names
	# it too (in the screenshot).
	grep -Fxq "depth=1 $subj" "$T/server.log" || fail "s_server did not verify a chain from the test CA"
	grep -Fxq "depth=0 $token_subj" "$T/server.log" ||
		fail "s_server did not see the token's certificate"
	# The page prints the certificate as X509_print does: "CN=…" and the
	# serial as lower-case colon-separated hex.
	page_subj=$(echo "$token_subj" | sed 's/ = /=/g')
	grep -Fq "Subject: $page_subj" "$T/page.txt" ||
		fail "the page Firefox shows does not name the token's certificate ($page_subj)"
	serial=$(openssl x509 -in "$T/token.pem" -noout -serial | sed 's/^serial=//' |
		tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//')
	grep -Fq "$serial" "$T/page.txt" ||
		fail "the page's client certificate has not the token certificate's serial $serial"
	grep -Fq "Verify return code: 0 (ok)" "$T/page.txt" ||
		fail "the page does not report the client certificate verified"
	# Firefox opens more than one connection (speculative ones, or one
	# whose handshake waited while the PIN dialog was open); those may end
	# without a certificate. -verify_return_error means none of them got
	# the page: only a verified client certificate does.
	nocert=$(grep -c "peer did not return a certificate" "$T/server.log" || true)
	note "connections without a client certificate (refused): $nocert"
	after=$(pin_counters)
	[ "$after" = "$before" ] || fail "PIN counters changed by a right PIN: $before -> $after"
else
	if grep -q "^depth=0" "$T/server.log"; then
		fail "s_server saw a client certificate although the PIN was wrong"
	fi
	after=$(pin_counters)
	note "card PIN counters (user SO, tries left/max): before $before, after $after"
	# One wrong PIN typed, one try spent: the user PIN's counter exactly
	# one down (not locked by retries the user did not make), SO PIN's kept.
	ub=${before%%/*} sb=${before#* }
	ua=${after%%/*} sa=${after#* }
	[ "$ua" -eq $((ub - 1)) ] ||
		fail "user PIN tries left went from $ub to $ua after one wrong PIN typed"
	[ "$sa" = "$sb" ] || fail "SO PIN counter changed: $sb -> $sa"
	run_logged flags p11 -L
	if grep -Eqi "locked|final try" "$T/flags.out"; then
		cat "$T/flags.out" >&2
		fail "the token reports its PIN locked or at its final try after one wrong PIN"
	fi
	note "the right PIN logs in at the first try"
	run_logged login p11 --login --pin env:PIN -O --type privkey
	after2=$(pin_counters)
	[ "$after2" = "$before" ] || fail "PIN counters not restored by a right login: $before -> $after2"
fi
echo "browser-firefox ($MODE): OK in $(($(date +%s) - t0)) s, $prompts PIN prompt(s), screenshot $SHOT"
