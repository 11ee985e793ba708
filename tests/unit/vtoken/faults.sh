#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault injection and T=0 behaviour of ukey-vtoken, driven over the vpcd
# wire protocol by vpcd_driver (no pcscd needed):
#   --garble N, --delay-ms, --pull-after N + --reconnect-after-pull MS,
#   --t0 (short APDUs only, 61xx + GET RESPONSE), ATR by name, SIGTERM.
#   faults.sh UKEY-VTOKEN VPCD-DRIVER
set -eu
vt=$1 drv=$2
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

run() { # run DRIVER-SCRIPT VTOKEN-ARGS… ; output in $T/out
    rm -f "$T/port"
    "$drv" "$T/port" script < "$T/script" > "$T/out" &
    dpid=$!
    n=0; while [ ! -s "$T/port" ] && [ $n -lt 300 ]; do sleep 0.01; n=$((n+1)); done
    "$vt" --os ftcos --port "$(cat "$T/port")" --state "$T/st" "$@" 2>"$T/vt.err" &
    vpid=$!
    wait "$dpid" || fail "driver failed: $(cat "$T/out")"
    kill "$vpid" 2>/dev/null || true
    wait "$vpid" 2>/dev/null || true
}

SERIAL='apdu 80EA000008'
# 1. ATR by name, SERIAL, then garble the 2nd response
printf 'accept\n%s\n%s\n%s\n' "$SERIAL" "$SERIAL" "$SERIAL" > "$T/script"
run --atr epass3000 --garble 2
grep -q '^atr 3B0F0065465305190571DF000000000000$' "$T/out" || fail "ATR: $(cat "$T/out")"
[ "$(sed -n 2p "$T/out")" = "rsp 01020304050607089000" ] || fail "serial: $(cat "$T/out")"
[ "$(sed -n 3p "$T/out")" = "rsp A4A7A6A1A0A3A2AD35A5" ] || fail "garble: $(sed -n 3p "$T/out")"
[ "$(sed -n 4p "$T/out")" = "rsp 01020304050607089000" ] || fail "after garble"
echo "ok: named ATR, --garble flips exactly the Nth response"

# 2. --delay-ms
printf 'accept\n%s\nms\n' "$SERIAL" > "$T/script"
run --atr ftcos-pk01c --delay-ms 300
took=$(sed -n 's/^took //p' "$T/out")
[ "$took" -ge 290 ] || fail "delay: $took ms"
echo "ok: --delay-ms ($took ms)"

# 3. --pull-after 2 with reconnect: the 2nd APDU is never answered, the
#    token comes back with a fresh session (volatile state reset)
printf 'accept\n%s\n%s\naccept\n%s\n' "$SERIAL" "$SERIAL" "$SERIAL" > "$T/script"
run --atr ftcos-pk01c --pull-after 2 --reconnect-after-pull 100
[ "$(sed -n 3p "$T/out")" = closed ] || fail "pull: $(cat "$T/out")"
[ "$(sed -n 5p "$T/out")" = "rsp 01020304050607089000" ] || fail "reconnect: $(cat "$T/out")"
echo "ok: --pull-after + --reconnect-after-pull"

# 4. --pull-after without reconnect: the process exits by itself
rm -f "$T/port"
printf 'accept\n%s\n' "$SERIAL" > "$T/script"
"$drv" "$T/port" script < "$T/script" > "$T/out" &
dpid=$!
n=0; while [ ! -s "$T/port" ] && [ $n -lt 300 ]; do sleep 0.01; n=$((n+1)); done
"$vt" --os ftcos --atr ftcos-pk01c --port "$(cat "$T/port")" --state "$T/st" --pull-after 1 \
    || fail "exit status after pull"
wait "$dpid"
[ "$(sed -n 2p "$T/out")" = closed ] || fail "pull without reconnect"
echo "ok: --pull-after exits"

# 5. --t0: extended APDUs refused; a 266-byte answer comes as 256 + 61 0A
printf 'user_pin=1234\nso_pin=56785678\n' > "$T/secrets"
"$vt" init --os ftcos --state "$T/st" --secrets "$T/secrets" --key-bits 2048 >/dev/null
printf 'accept\napdu 00A40000025015\napdu 80E62A0100\napdu 00C000000A\napdu 00B00000000010\n' > "$T/script"
run --atr ftcos-pk01c --t0
sed -n 3p "$T/out" | grep -q '^rsp 4504010001004E820100.*610A$' || fail "61 0A: $(sed -n 3p "$T/out")"
[ "$(sed -n 3p "$T/out" | wc -c)" -eq $((4 + 258 * 2 + 1)) ] || fail "256 + SW"
sed -n 4p "$T/out" | grep -q '^rsp [0-9A-F]\{20\}9000$' || fail "GET RESPONSE: $(sed -n 4p "$T/out")"
[ "$(sed -n 5p "$T/out")" = "rsp 6700" ] || fail "extended APDU under --t0"
echo "ok: --t0 GET RESPONSE and short-APDU enforcement"

# 6. SIGTERM: clean exit (status 0) while waiting for vpcd
"$vt" --os ftcos --atr ftcos-pk01c --port 1 --state "$T/st" &
vpid=$!
sleep 0.2
kill -TERM "$vpid"
wait "$vpid" || fail "SIGTERM exit status"
echo "ok: SIGTERM exits cleanly"
