#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A virtual ePass2003 for a pcsc-run card slot, personalised by
# `ukey-vtoken init --os epass2003`:
#   opensc-epass2003-card.sh LAYOUT VTOKEN STATE  VTOKEN-SERVE-ARGS…
# LAYOUT pkcs15 or espk; RSA-2048, certificate issued by a throw-away CA
# in $STATE.ca/, PINs from a secrets file (user 1234, PUK 56785678), never
# argv; the serve arguments' --atr / --sm choose the SM model at init too.
# Then execs the vtoken (so the harness sees its PID).
set -eu
layout=$1 vt=$2 state=$3
shift 3
model=""
prev=""
for a in "$@"; do
    case $prev in --atr) model="$model --atr $a" ;; --sm) model="$model --sm $a" ;; esac
    prev=$a
done
rm -f "$state" "$state.tmp"
d="$state.ca"
rm -rf "$d"; mkdir -p "$d"
umask 077
printf 'user_pin=1234\nso_pin=56785678\n' > "$d/secrets"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" \
    -subj /CN=ukey-interop-ca -days 30 -out "$d/ca.pem" 2>/dev/null
# shellcheck disable=SC2086
"$vt" init --os epass2003 $model --layout "$layout" --state "$state" \
    --secrets "$d/secrets" --label ukey-init --key-bits 2048 \
    --ca-cert "$d/ca.pem" --ca-key "$d/ca.key" --days-left 20 \
    --cn "ukey interop" --serial 0011223344556677 >&2
rm -f "$d/secrets"
exec "$vt" --os epass2003 --state "$state" "$@"
