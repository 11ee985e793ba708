#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Start a virtual token for a pcsc-run card slot, from a known state:
#   vtoken-card.sh blank VTOKEN STATE  VTOKEN-SERVE-ARGS…
#   vtoken-card.sh init  VTOKEN STATE  VTOKEN-SERVE-ARGS…
# blank: the state file is removed first (a factory-fresh card);
# init:  the state is personalised with `ukey-vtoken init` (PKCS#15 layout,
#        RSA-2048, certificate issued by a throw-away CA in $STATE.ca/), PINs
#        from a secrets file (user 1234, PUK 56785678), never argv.
# Then execs the vtoken (so the harness sees its PID).
set -eu
mode=$1 vt=$2 state=$3
shift 3
rm -f "$state" "$state.tmp"
if [ "$mode" = init ]; then
    d="$state.ca"
    rm -rf "$d"; mkdir -p "$d"
    umask 077
    printf 'user_pin=1234\nso_pin=56785678\n' > "$d/secrets"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" \
        -subj /CN=ukey-interop-ca -days 30 -out "$d/ca.pem" 2>/dev/null
    "$vt" init --os ftcos --state "$state" --secrets "$d/secrets" --label ukey-init \
        --key-bits 2048 --ca-cert "$d/ca.pem" --ca-key "$d/ca.key" --days-left 20 \
        --cn "ukey interop" --serial 0011223344556677 >&2
    rm -f "$d/secrets"
fi
exec "$vt" --state "$state" "$@"
