#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-layering.sh SRC APDU_LIB DRIVERS_LIB P11_MODULE VTOKEN_BIN… [-- RENEW_BIN]
# The README's layering (Architecture): apdu/ knows no driver and no module,
# drivers/ know no PKCS#11 module (and drivers/layout/ no card OS: ftcos/,
# gmt0017/, epass2003/), tests/vtoken (and tests/unit/vtoken) share
# no code with apdu/, drivers/ or p11/, renew/ reaches tokens only through a
# PKCS#11 module loaded at run time.
#  includes: no source of a layer includes a header (by file name, as
#            renew-layering.sh does) of a directory it must not know;
#  links:    no symbol a lower layer's library needs is defined by a higher
#            layer (nm --undefined-only vs --defined-only), and no vtoken /
#            renew binary defines a global symbol of apdu/, drivers/, p11/;
#  CMake:    $UKEY_LAYERING_LINK_REPORT (targets' LINK_LIBRARIES) is empty.
set -eu
src=$1 apdu_lib=$2 drv_lib=$3 p11_mod=$4
shift 4
vt_bins="" renew_bin=""
while [ $# -gt 0 ]; do
	if [ "$1" = "--" ]; then shift; renew_bin=${1:-}; break; fi
	vt_bins="$vt_bins $1"; shift
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
bad=0

# includes: check_includes WHO-DIR... -- FORBIDDEN-DIR...
check_includes() {
	who=$1 name=$2; shift 2
	for dir in "$@"; do
		for h in $(cd "$src/$dir" && find . -name '*.h' | sed 's|^\./||'); do
			base=$(basename "$h")
			for w in $who; do
				[ -d "$src/$w" ] || continue
				if grep -rnE "#[[:space:]]*include[[:space:]]*[<\"]([^\">]*/)?${base}[\">]" "$src/$w" \
					--include='*.c' --include='*.h' | grep -v "p11-kit/pkcs11.h"; then
					echo "FAIL: $w/ ($name) includes $dir/$h"
					bad=1
				fi
			done
		done
	done
}
check_includes apdu apdu drivers p11
check_includes drivers drivers p11
check_includes "tests/vtoken tests/unit/vtoken" vtoken apdu drivers p11
check_includes renew renew apdu drivers p11
# the on-card layouts reach a card OS only through drivers/cardfs.h: no
# file of drivers/layout/ includes a header of a card-OS directory
for os_dir in drivers/ftcos drivers/gmt0017 drivers/epass2003; do
	if [ -d "$src/$os_dir" ]; then
		check_includes drivers/layout layout "$os_dir"
	fi
done

# global defined symbols of an object/library/binary
gdef() { nm --defined-only "$1" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBRVWG]$/ {print $3}' | sort -u; }
undef() { nm --undefined-only "$1" 2>/dev/null | awk '{print $NF}' | sort -u; }
gdef "$apdu_lib" >"$T/apdu"
gdef "$drv_lib" >"$T/drivers"
# p11's own code: what the module defines beyond apdu/ and drivers/
gdef "$p11_mod" | comm -23 - "$T/apdu" | comm -23 - "$T/drivers" >"$T/p11"
if [ ! -s "$T/apdu" ] || [ ! -s "$T/drivers" ] || [ ! -s "$T/p11" ]; then
	echo "FAIL: no symbols read (nm on $apdu_lib $drv_lib $p11_mod)"; exit 1
fi

uses() { # uses NAME LIB SYMFILE LAYER
	undef "$2" | comm -12 - "$3" >"$T/common"
	if [ -s "$T/common" ]; then
		echo "FAIL: $1 uses symbols of $4:"; head -n 5 "$T/common"; bad=1
	fi
}
uses apdu "$apdu_lib" "$T/drivers" drivers
uses apdu "$apdu_lib" "$T/p11" p11
uses drivers "$drv_lib" "$T/p11" p11

# names both sides define independently (same-name.txt), not shared code
grep -v '^#' "$(dirname "$0")/same-name.txt" | sort -u >"$T/same" 2>/dev/null || : >"$T/same"
contains() { # contains BIN LAYER…
	b=$1; shift
	gdef "$b" | comm -23 - "$T/same" >"$T/bin"
	for l in "$@"; do
		comm -12 "$T/bin" "$T/$l" >"$T/common"
		if [ -s "$T/common" ]; then
			echo "FAIL: $(basename "$b") contains symbols of $l:"; head -n 5 "$T/common"; bad=1
		fi
		undef "$b" | comm -23 - "$T/same" | comm -12 - "$T/$l" >"$T/common"
		if [ -s "$T/common" ]; then
			echo "FAIL: $(basename "$b") needs symbols of $l:"; head -n 5 "$T/common"; bad=1
		fi
	done
}
for b in $vt_bins; do contains "$b" apdu drivers p11; done
[ -n "$renew_bin" ] && contains "$renew_bin" apdu drivers p11

# CMake's link interface (tests/layering/CMakeLists.txt, configure time)
if [ -n "${UKEY_LAYERING_LINK_REPORT:-}" ]; then
	if [ ! -f "$UKEY_LAYERING_LINK_REPORT" ]; then
		echo "FAIL: no link report $UKEY_LAYERING_LINK_REPORT"; bad=1
	elif [ -s "$UKEY_LAYERING_LINK_REPORT" ]; then
		cat "$UKEY_LAYERING_LINK_REPORT"; bad=1
	fi
fi

[ $bad -eq 0 ] && echo "PASS: apdu -/-> drivers,p11; drivers -/-> p11; drivers/layout -/-> card OSes; vtoken, renew -/-> apdu,drivers,p11"
exit $bad
