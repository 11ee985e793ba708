#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-layering.sh SRC RENEW_BIN LIB… — renew/ reaches tokens only through
# a PKCS#11 module loaded at run time: no renew/ source includes a header
# of apdu/, drivers/ or p11/, and the ukey-renew binary defines no symbol of
# those libraries (LIB…: libukey_apdu.a, libukey_drivers.a).
set -eu
src=$1 bin=$2
shift 2
bad=0
for dir in apdu drivers p11; do
	for h in $(cd "$src/$dir" && find . -name '*.h' | sed 's|^\./||'); do
		base=$(basename "$h")
		if grep -rnE "#[[:space:]]*include[[:space:]]*[<\"]([^\">]*/)?$base[\">]" "$src/renew" \
			| grep -v "p11-kit/pkcs11.h"; then
			echo "FAIL: renew/ includes $dir/$h"
			bad=1
		fi
	done
done
nm --defined-only "$bin" | awk '{print $3}' | sort -u >"${TMPDIR:-/tmp}/renew-syms.$$"
for lib in "$@"; do
	nm --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBR]/ {print $3}' | sort -u |
		comm -12 - "${TMPDIR:-/tmp}/renew-syms.$$" >"${TMPDIR:-/tmp}/renew-common.$$"
	if [ -s "${TMPDIR:-/tmp}/renew-common.$$" ]; then
		echo "FAIL: ukey-renew contains symbols of $(basename "$lib"):"
		head -n 5 "${TMPDIR:-/tmp}/renew-common.$$"
		bad=1
	fi
done
rm -f "${TMPDIR:-/tmp}/renew-syms.$$" "${TMPDIR:-/tmp}/renew-common.$$"
[ $bad -eq 0 ] && echo "PASS: renew/ is independent of apdu/, drivers/ and p11/"
exit $bad
