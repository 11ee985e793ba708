#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_app_nss MODULE SECRETS — NSS loads the module (modutil), lists the
# token's certificate (certutil -L) and, after login, its key (certutil -K).
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
. "$E2E_DIR/e2e-app-common.sh"

db=sql:$T/nssdb
mkdir -p "$T/nssdb"
# The token PIN for NSS's password prompts, in a private file.
umask 077
printf '%s\n' "$PIN" >"$T/pwfile"
run_logged nssinit certutil -N -d "$db" --empty-password
run_logged modadd modutil -dbdir "$db" -add ukey -libfile "$MODULE" -force
# modutil -list exits non-zero for the harness's empty second reader, so
# only its output is checked.
modutil -dbdir "$db" -list ukey >"$T/modlist.out" 2>&1 || true
expect_fixed modlist "Token Name: $LABEL" "NSS does not see the token"

note "certutil -L"
run_logged certs certutil -L -d "$db" -h all -f "$T/pwfile"
# Lines are "NICKNAME<spaces>TRUST"; the token's certificates are
# "TOKEN LABEL:CERT LABEL".
nick=$(awk -v l="$LABEL:" 'index($0, l) == 1 { sub(/[[:space:]]+[a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*[[:space:]]*$/, ""); print; exit }' "$T/certs.out")
[ -n "$nick" ] || { cat "$T/certs.out" >&2; fail "certutil -L lists no certificate of the token"; }
run_logged certpem certutil -L -d "$db" -h "$LABEL" -n "$nick" -a -f "$T/pwfile"
openssl x509 -in "$T/certpem.out" -outform DER | cmp -s - "$T/cert.der" ||
	fail "NSS shows a different certificate than the token holds"

note "certutil -K (with the token PIN in the password file)"
run_logged keys certutil -K -d "$db" -h all -f "$T/pwfile"
id_lc=$(echo "$ID" | tr 'A-F' 'a-f')
expect_grep keys "rsa[[:space:]]+$id_lc" "certutil -K does not list the RSA key with the certificate's id"
rm -f "$T/pwfile"
echo "e2e_app_nss: OK"
