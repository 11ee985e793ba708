#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A pcsc-run card: an FTCOS vtoken from a known state, then exec'd (so the
# harness sees its PID).
#   model-card.sh blank VTOKEN STATE SERVE-ARGS…   factory-fresh card
#   model-card.sh init  VTOKEN STATE SERVE-ARGS…   personalised by
#       `ukey-vtoken init --atr epass3000 --key-bits 1024` (PINs 1234 /
#       56785678 from a secrets file, never argv)
set -eu
mode=$1 vt=$2 state=$3
shift 3
rm -f "$state" "$state.tmp"
if [ "$mode" = init ]; then
    umask 077
    printf 'user_pin=1234\nso_pin=56785678\n' > "$state.secrets"
    "$vt" init --os ftcos --atr epass3000 --state "$state" --secrets "$state.secrets" \
        --label model --key-bits 1024 --serial 0A0B0C0D0E0F1011 >&2
    rm -f "$state.secrets"
fi
exec "$vt" --state "$state" "$@"
