#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# package_cmake_install BUILD_DIR SECRETS MODULE_DIR CONFIG_DIR
#
# `cmake --install` of this build tree into a scratch DESTDIR, then that
# root laid over the real /usr with a read-only overlay (in pcsc-run's
# private mount namespace, invisible to the host): what p11-kit itself
# reads. `p11-kit list-modules` must show ukey and its token, and
# pkcs11-tool must use the installed module from p11-kit's module path.
export MODULE="" SECRETS="$2"
build=$1 moddir=$3 confdir=$4
. "$(dirname "$0")/../e2e/e2e-lib.sh"

grep -q " /run .* - tmpfs ukey-pcsc-run " /proc/self/mountinfo ||
	fail "not inside pcsc-run's private mount namespace; refusing to mount"
unset UKEY_PROFILE_DIR
root=$T/destdir
rm -rf "$root"
run_logged install env DESTDIR="$root" cmake --install "$build"

[ -f "$root$moddir/ukey-pkcs11.so" ] || fail "no $moddir/ukey-pkcs11.so in the install"
[ -f "$root$confdir/ukey.module" ] || fail "no $confdir/ukey.module in the install"
find "$root" -path '*/bin/ukey-renew' -type f | grep -q . || fail "ukey-renew not installed"
find "$root" -path '*/zh_CN/LC_MESSAGES/ukey-renew.mo' -type f | grep -q . ||
	fail "ukey-renew.mo not installed"
find "$root" -path '*/vendor-profiles/ftcos-pk01c.profile' -type f | grep -q . ||
	fail "vendor profiles not installed"
note "installed: $(cd "$root" && find . -type f | sort | tr '\n' ' ')"

# Every top-level dir of the install over the real one (read-only overlay:
# the install above the system's files).
for top in "$root"/*; do
	d=/${top##*/}
	[ -d "$d" ] || fail "install created a new top-level dir $d"
	mount -t overlay ukey-install -o "ro,lowerdir=$top:$d" "$d" ||
		fail "cannot overlay $d"
done

run_logged lm p11-kit list-modules
expect_grep lm "^ukey: (ukey-pkcs11\.so|$moddir/ukey-pkcs11\.so)\$" \
	"p11-kit list-modules does not show ukey after cmake --install"
expect_fixed lm "token: package_cmake_install" "p11-kit list-modules does not show the token"
sed -n '/^ukey:/,/^[^ ]/p' "$T/lm.out" >&2
run_logged list pkcs11-tool --module "$moddir/ukey-pkcs11.so" -L
expect_grep list "token label +: package_cmake_install" \
	"the installed module does not recognise the token"

# The overlays go with pcsc-run's mount namespace.
echo "package_cmake_install: OK"
