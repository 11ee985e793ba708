#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# kill -9 the vtoken at random moments of a write-heavy APDU loop; after
# every kill the state file must load (`ukey-vtoken show`) and hold either
# the old or the new content, never a torn image.
#   state-kill9.sh UKEY-VTOKEN VPCD-DRIVER
set -eu
vt=$1 drv=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'user_pin=1234\nso_pin=56785678\n' > "$T/secrets"
"$vt" init --os ftcos --state "$T/st" --secrets "$T/secrets" --key-bits 0 >/dev/null
rounds=25
: > "$T/apdu.log"
i=0
while [ $i -lt $rounds ]; do
    rm -f "$T/port"
    "$drv" "$T/port" &
    dpid=$!
    n=0; while [ ! -s "$T/port" ] && [ $n -lt 200 ]; do sleep 0.01; n=$((n+1)); done
    port=$(cat "$T/port")
    c0=$(grep -c ' D6 ' "$T/apdu.log" 2>/dev/null || true)
    "$vt" --os ftcos --atr ftcos-pk01c --port "$port" --state "$T/st" \
        --apdu-log "$T/apdu.log" &
    vpid=$!
    # wait until this vtoken is busy writing, then kill it at a random
    # moment of the next 0..150 ms (one state write takes ~50 ms)
    n=0
    while [ "$(grep -c ' D6 ' "$T/apdu.log" 2>/dev/null || true)" -le "${c0:-0}" ] && [ $n -lt 500 ]; do
        sleep 0.01; n=$((n+1))
    done
    ms=$(( $(od -An -N2 -tu2 /dev/urandom) % 150 ))
    sleep "0.$(printf '%03d' $ms)"
    kill -9 "$vpid" 2>/dev/null || true
    wait "$vpid" 2>/dev/null || true
    wait "$dpid" 2>/dev/null || true
    if ! "$vt" show --state "$T/st" > "$T/show.txt" 2>"$T/err.txt"; then
        echo "FAIL: round $i: state file broken: $(cat "$T/err.txt")" >&2
        exit 1
    fi
    grep -q '3F00/5015/4404' "$T/show.txt" || { echo "FAIL: round $i: content lost" >&2; exit 1; }
    i=$((i + 1))
done
# the kills must have hit a busy writer, not an idle token
writes=$(grep -c ' D6 ' "$T/apdu.log" || true)
[ "$writes" -ge "$rounds" ] || { echo "FAIL: only $writes writes happened" >&2; exit 1; }
echo "ok: $rounds kill -9 rounds during $writes state-changing writes; state file loaded every time"
