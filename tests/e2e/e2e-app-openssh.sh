#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_app_openssh MODULE SECRETS — `ssh-keygen -D MODULE` prints the
# token's RSA key, equal to the key derived from the certificate.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
. "$E2E_DIR/e2e-app-common.sh"

run_logged sshd ssh-keygen -D "$MODULE"
expect_grep sshd "^ssh-rsa " "ssh-keygen -D prints no ssh-rsa key"
want=$(ssh-keygen -i -m PKCS8 -f "$CERTPUB" | awk '{print $2}')
[ -n "$want" ] || fail "cannot convert the certificate's key to OpenSSH format"
awk '$1 == "ssh-rsa" {print $2}' "$T/sshd.out" | grep -qxF "$want" ||
	{ cat "$T/sshd.out" >&2; fail "ssh-keygen -D does not print the certificate's key"; }
echo "e2e_app_openssh: OK"
