#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# package_copied_module MODULE SECRETS INSTALL_PROFILE_DIR SOURCE_PROFILE_DIR
#
# A user copies ukey-pkcs11.so somewhere and points an application at it:
# with no profile file anywhere (the install dir is hidden under an empty
# tmpfs) and no UKEY_PROFILE_DIR, the module still recognises the virtual
# PK-01C from its built-in profiles. Then a profile file of the same name
# in UKEY_PROFILE_DIR replaces the built-in one (its manufacturer shows).
export MODULE="$1" SECRETS="$2"
inst=$3 srcprof=$4
. "$(dirname "$0")/../e2e/e2e-lib.sh"

grep -q " /run .* - tmpfs ukey-pcsc-run " /proc/self/mountinfo ||
	fail "not inside pcsc-run's private mount namespace; refusing to mount"
unset UKEY_PROFILE_DIR
if [ -d "$inst" ]; then
	mount -t tmpfs -o ro,size=4k ukey-no-profiles "$inst" || fail "cannot hide $inst"
fi

mkdir -p "$T/elsewhere"
cp "$MODULE" "$T/elsewhere/ukey-pkcs11.so"
copy=$T/elsewhere/ukey-pkcs11.so

run_logged list pkcs11-tool --module "$copy" -L
expect_grep list "token label +: package_copied_module" \
	"the copied module does not recognise the token"
expect_grep list "token manufacturer +: Feitian Technologies" \
	"not the built-in PK-01C profile"

# Override by file name: the same profile with another manufacturer.
mkdir -p "$T/override"
sed 's/^manufacturer *=.*/manufacturer = Overridden By File/' \
	"$srcprof/ftcos-pk01c.profile" >"$T/override/ftcos-pk01c.profile"
run_logged over env UKEY_PROFILE_DIR="$T/override" pkcs11-tool --module "$copy" -L
expect_grep over "token label +: package_copied_module" "override lost the token"
expect_grep over "token manufacturer +: Overridden By File" \
	"UKEY_PROFILE_DIR's ftcos-pk01c.profile did not replace the built-in one"

echo "package_copied_module: OK"
