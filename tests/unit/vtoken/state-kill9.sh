#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# kill -9 the vtoken at random moments of a write-heavy APDU loop and prove
# "old or new state, never a broken one": with --apdu-log the vtoken logs
# "save begin SHA256" before it touches the state file and "save done
# SHA256" once the image is committed. After every kill the file's SHA-256
# must equal the last committed image (or the file the round started from)
# or the image whose save was under way, and the file must load.
#   state-kill9.sh UKEY-VTOKEN VPCD-DRIVER
set -eu
vt=$1 drv=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: round $i: $*" >&2; exit 1; }
sha() { sha256sum < "$1" | cut -d' ' -f1; }
printf 'user_pin=1234\nso_pin=56785678\n' > "$T/secrets"
"$vt" init --os ftcos --state "$T/st" --secrets "$T/secrets" --key-bits 0 >/dev/null
rounds=25
i=0 writes=0 mid=0 mid_new=0
while [ $i -lt $rounds ]; do
    start=$(sha "$T/st")
    log="$T/apdu.$i.log"
    : > "$log"
    rm -f "$T/port"
    "$drv" "$T/port" &
    dpid=$!
    n=0; while [ ! -s "$T/port" ] && [ $n -lt 200 ]; do sleep 0.01; n=$((n+1)); done
    port=$(cat "$T/port")
    "$vt" --os ftcos --atr ftcos-pk01c --port "$port" --state "$T/st" \
        --apdu-log "$log" &
    vpid=$!
    # wait until this vtoken is busy writing, then kill it at a random
    # moment of the next 0..150 ms (one state write takes a few ms to ~50 ms)
    n=0
    while ! grep -q ' D6 ' "$log" && [ $n -lt 500 ]; do
        sleep 0.01; n=$((n+1))
    done
    ms=$(( $(od -An -N2 -tu2 /dev/urandom) % 150 ))
    sleep "0.$(printf '%03d' $ms)"
    kill -9 "$vpid" 2>/dev/null || true
    wait "$vpid" 2>/dev/null || true
    wait "$dpid" 2>/dev/null || true
    # replay the log: last committed image, and the one being written
    last=$start pending=
    while read -r w1 w2 h; do
        [ "$w1" = save ] || continue
        case $w2 in
        begin) [ -z "$pending" ] || fail "two saves overlap"; pending=$h ;;
        done) [ "$h" = "$pending" ] || fail "save done without its begin"
              last=$h pending= ;;
        *) fail "bad log line: $w1 $w2" ;;
        esac
    done < "$log"
    now=$(sha "$T/st")
    if [ -n "$pending" ]; then
        mid=$((mid + 1))
        if [ "$now" = "$pending" ]; then
            mid_new=$((mid_new + 1))
        elif [ "$now" != "$last" ]; then
            fail "killed while saving: file is neither the old nor the new image"
        fi
    elif [ "$now" != "$last" ]; then
        fail "file is not the last committed image"
    fi
    if ! "$vt" show --state "$T/st" > "$T/show.txt" 2>"$T/err.txt"; then
        fail "state file broken: $(cat "$T/err.txt")"
    fi
    grep -q '3F00/5015/4404' "$T/show.txt" || fail "content lost"
    writes=$((writes + $(grep -c ' D6 ' "$log" || true)))
    i=$((i + 1))
done
# the kills must have hit a busy writer, and some of them a save under way
[ "$writes" -ge "$rounds" ] || { echo "FAIL: only $writes writes happened" >&2; exit 1; }
[ "$mid" -ge 1 ] || { echo "FAIL: no kill landed during a save" >&2; exit 1; }
echo "ok: $rounds kill -9 rounds during $writes writes; $mid kills during a save" \
     "(file = new image in $mid_new, old in $((mid - mid_new))); every file was" \
     "the last committed image or the one being written, and loaded"
