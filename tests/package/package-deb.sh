#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# package_deb SOURCE_DIR SECRETS
#
# Builds the Debian packages from a copy of the source tree
# (dpkg-buildpackage -us -uc -b, nocheck), runs lintian (no errors allowed;
# warnings are printed), then installs them with the real dpkg onto
# tmpfs-backed overlays of /usr, /etc and /var (pcsc-run's private mount
# namespace: the host's system and dpkg database are untouched, while
# dpkg checks the Depends against the packages really installed).
# Installed: p11-kit list-modules shows ukey and its token, pkcs11-tool
# works with /usr/lib/<triplet>/pkcs11/ukey-pkcs11.so. Purged: no file or
# directory of ours is left in /usr, /etc or /var and p11-kit no longer
# lists ukey. Exit 77 (skip) without debhelper, lintian or dpkg-dev.
export MODULE="" SECRETS="$2"
src=$1
for tool in dpkg-buildpackage dh lintian dpkg-architecture; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "package_deb: SKIP: $tool not installed (tools/setup installs" \
			"debhelper lintian dpkg-dev fakeroot)"
		exit 77
	fi
done
. "$(dirname "$0")/../e2e/e2e-lib.sh"

grep -q " /run .* - tmpfs ukey-pcsc-run " /proc/self/mountinfo ||
	fail "not inside pcsc-run's private mount namespace; refusing to mount"
unset UKEY_PROFILE_DIR
t0=$(date +%s)

# ------------------------------------------------------------- build
w=$T/deb
rm -rf "$w"
mkdir -p "$w/ukey"
tar -C "$src" --anchored --exclude='./build*' --exclude='./obj-*' --exclude=./.git \
	--exclude='./debian/.debhelper' --exclude='./debian/tmp' -cf - . |
	tar -C "$w/ukey" -xf - || fail "cannot copy the source tree"
(cd "$w/ukey" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$T/build.out" 2>&1 || {
	tail -n 60 "$T/build.out" >&2
	fail "dpkg-buildpackage failed"
}
note "built in $(($(date +%s) - t0)) s: $(cd "$w" && find . -maxdepth 1 -name "*.deb" | sort | tr '\n' ' ')"
changes=$(ls "$w"/ukey_*_"$(dpkg-architecture -qDEB_HOST_ARCH)".changes)
deb=$(ls "$w"/ukey_*.deb)
renew_deb=$(ls "$w"/ukey-renew_*.deb)

# lintian refuses nothing as root but says so; its tags are what count.
lintian --fail-on error "$changes" >"$T/lintian.out" 2>&1
lrc=$?
grep -v '^N: running with root privileges' "$T/lintian.out" >&2 || true
[ "$lrc" -eq 0 ] || fail "lintian reports errors (exit $lrc)"
grep -q '^E:' "$T/lintian.out" && fail "lintian reports errors"

# ------------------------------------------- install on overlays
ovl=/run/ukey-pkg-ovl
mkdir -p "$ovl"
mount -t tmpfs ukey-pkg-ovl "$ovl" || fail "cannot mount tmpfs on $ovl"
for d in usr etc var; do
	mkdir "$ovl/$d.up" "$ovl/$d.work" "$ovl/$d.low"
	mount --bind -o ro "/$d" "$ovl/$d.low" || fail "cannot bind /$d"
	mount -t overlay ukey-pkg -o "lowerdir=/$d,upperdir=$ovl/$d.up,workdir=$ovl/$d.work" "/$d" ||
		fail "cannot overlay /$d"
done
# (The mounts go with pcsc-run's mount namespace.)

run_logged dpkg_i dpkg -i "$deb" "$renew_deb"
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
mod=/usr/lib/$triplet/pkcs11/ukey-pkcs11.so
[ -f "$mod" ] || fail "$mod not installed"
[ -f /usr/share/p11-kit/modules/ukey.module ] || fail "ukey.module not installed"
run_logged lm p11-kit list-modules
expect_grep lm "^ukey: (ukey-pkcs11\.so|$mod)\$" "p11-kit list-modules does not show ukey"
expect_fixed lm "token: package_deb" "p11-kit list-modules does not show the token"
sed -n '/^ukey:/,/^[^ ]/p' "$T/lm.out" >&2
run_logged list pkcs11-tool --module "$mod" -L
expect_grep list "token label +: package_deb" "the packaged module does not see the token"
run_logged renew_help ukey-renew --help
dpkg -L ukey-renew | grep -q '/usr/share/locale/zh_CN/LC_MESSAGES/ukey-renew.mo$' ||
	fail "ukey-renew.mo not in the package"

# ------------------------------------------------------ purge
run_logged dpkg_p dpkg --purge ukey-renew ukey
dpkg-query -W ukey >/dev/null 2>&1 && fail "ukey still known to dpkg after --purge"
ls /var/lib/dpkg/info/ukey.* /var/lib/dpkg/info/ukey-renew.* >/dev/null 2>&1 &&
	fail "dpkg info files of ukey left behind"
run_logged lm2 p11-kit list-modules
grep -q '^ukey:' "$T/lm2.out" && fail "p11-kit still lists ukey after --purge"
# What is left in the upper layers: whiteouts (char devices) and copied-up
# directories that exist below are normal; any file or link, or a directory
# the lower layer does not have, is ours — except dpkg's own database and
# log and man-db's index under /var.
left=""
for d in usr etc var; do
	up=$ovl/$d.up
	for f in $(cd "$up" && find . -mindepth 1 \( -type f -o -type l -o -type d \) | sort); do
		p=/$d/${f#./}
		case $p in
		# dpkg's database and log; man-db's index, rebuilt by its
		# trigger whenever any manual page comes or goes
		/var/lib/dpkg | /var/lib/dpkg/* | /var/log | /var/log/* | \
			/var/cache/man | /var/cache/man/*) continue ;;
		esac
		if [ -d "$up/$f" ] && [ ! -L "$up/$f" ] && [ -d "$ovl/$d.low/$f" ]; then
			continue
		fi
		left="$left $p"
	done
done
[ -z "$left" ] || fail "left behind after dpkg --purge:$left"
note "total $(($(date +%s) - t0)) s"
echo "package_deb: OK"
