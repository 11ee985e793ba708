#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_app_p11kit MODULE SECRETS — registered through a p11-kit .module
# file, the module is listed by `p11-kit list-modules` with its token, and
# a p11-kit client (p11tool without --provider) finds the token.
#
# p11-kit ignores user configuration when run as root, so the test mounts
# a private modules directory over the system one; pcsc-run's mount
# namespace (propagation private) keeps that invisible to the host.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
. "$E2E_DIR/e2e-app-common.sh"

sysdir=/usr/share/p11-kit/modules
[ -d "$sysdir" ] || fail "$sysdir missing"
grep -q " /run .* - tmpfs ukey-pcsc-run " /proc/self/mountinfo ||
	fail "not inside pcsc-run's private mount namespace; refusing to mount"
mkdir -p "$T/p11kit-modules"
printf 'module: %s\ncritical: yes\n' "$MODULE" >"$T/p11kit-modules/ukey.module"
mount --bind "$T/p11kit-modules" "$sysdir" || fail "cannot bind-mount $sysdir"

run_logged lm p11-kit list-modules
expect_fixed lm "ukey: $MODULE" "p11-kit list-modules does not show ukey"
expect_fixed lm "token: $LABEL" "p11-kit list-modules does not show the token"
run_logged tokens p11tool --list-tokens </dev/null
expect_fixed tokens "Label: $LABEL" "p11tool via p11-kit does not find the token"
umount "$sysdir"
echo "e2e_app_p11kit: OK"
