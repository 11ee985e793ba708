#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Two virtual tokens of different card OSes behind one pcscd: card 0 FTCOS
# with the PK-01C ATR, card 1 GM/T 0017 with the Watchdata ATR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export OPENSSL_CONF="$here/openssl-legacy.cnf"
T=${UKEY_TEST_TMP:-$(mktemp -d)}
fail() { echo "FAIL: $*" >&2; exit 1; }
opensc-tool -l > "$T/readers.txt" 2>&1 || true
[ "$(grep -c ' Yes ' "$T/readers.txt")" -eq 2 ] || { cat "$T/readers.txt"; fail "not two cards"; }
opensc-tool -a -r 0 2>/dev/null | tr -d ' :' | grep -qi '^3B9F958131FE9F006546530530' || fail "reader 0 ATR"
opensc-tool -a -r 1 2>/dev/null | tr -d ' :' | grep -qi '^3B6E000057443619' || fail "reader 1 ATR"
[ "$(opensc-tool -r 0 -n 2>/dev/null)" = entersafe ] || fail "reader 0 is not entersafe"
# FTCOS answers its serial; GM/T 0017 answers GetDevInfo (288 bytes, 61xx)
opensc-tool -r 0 -s 80:EA:00:00:08 > "$T/r0.txt" 2>&1 || fail "serial"
grep -q 'SW1=0x90, SW2=0x00' "$T/r0.txt" || { cat "$T/r0.txt"; fail "FTCOS serial SW"; }
opensc-tool -r 1 -s 80:04:00:00:00 > "$T/r1.txt" 2>&1 || fail "GetDevInfo"
grep -q 'SW1=0x90, SW2=0x00' "$T/r1.txt" || { cat "$T/r1.txt"; fail "GetDevInfo SW"; }
grep -q 'Watchdata' "$T/r1.txt" || { cat "$T/r1.txt"; fail "GetDevInfo content"; }
echo "ok: FTCOS and GM/T 0017 tokens served side by side"
